// The worker as a real separate process (`node --import tsx worker.ts`), so tests can SIGKILL it.
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Env } from '../../lib/config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface WorkerProcess {
  child: ChildProcess;
  /** Resolves once the worker has logged that it started. */
  ready: Promise<void>;
  kill(signal?: NodeJS.Signals): Promise<void>;
  output(): string;
}

/** The config back as environment variables (durations as milliseconds). */
export function configToEnv(config: Env): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(config)) if (value !== undefined) env[key] = asEnvValue(value);
  return env;
}

/** Lists of status ranges (LIVE_URL_PROBE_STATUSES) go back to `200-399,401`; scalars as they are. */
function asEnvValue(value: unknown): string {
  if (Array.isArray(value))
    return value
      .map((v: unknown) =>
        typeof v === 'object' && v !== null && 'from' in v && 'to' in v ? (v.from === v.to ? String(v.from) : `${String(v.from)}-${String(v.to)}`) : String(v),
      )
      .join(',');
  return String(value);
}

export function startWorkerProcess(config: Env, overrides: Record<string, string> = {}): WorkerProcess {
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'worker.ts')], {
    cwd: root,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...configToEnv(config), LOG_LEVEL: 'info', ...overrides },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (d: Buffer) => (output = (output + d.toString()).slice(-20_000));
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const ready = new Promise<void>((resolve, reject) => {
    const check = () => {
      if (output.includes('worker started')) resolve();
    };
    child.stdout.on('data', check);
    child.stderr.on('data', check);
    void exited.then(() => reject(new Error(`worker exited before it started:\n${output}`)));
  });
  return {
    child,
    ready,
    output: () => output,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
