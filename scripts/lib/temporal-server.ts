// `temporal server start-dev`: SQLite persistence in the data folder (dev stack) or in memory
// (tests), the Web UI, and the engine's search attributes registered at start.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { firstFreePort, waitForPort } from './ports.js';
import { temporalCliPath } from './tools.js';

/** Typed search attributes the workflows set; ops filter on them in the Temporal UI. */
export const SEARCH_ATTRIBUTES: Record<string, 'Keyword' | 'Text' | 'Int' | 'Datetime' | 'Bool'> = {
  ProjectId: 'Keyword',
  WorkspaceId: 'Keyword',
  DeploymentId: 'Keyword',
  CommitSha: 'Keyword',
  DeployTrigger: 'Keyword',
  DeployStatus: 'Keyword',
  DeployKind: 'Keyword',
};

export interface TemporalServer {
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export interface StartTemporalOptions {
  /** SQLite file; omit for an in-memory server. */
  dbFile?: string;
  firstPort?: number;
  firstUiPort?: number;
  ui?: boolean;
  logFile?: string;
}

export async function startTemporal({ dbFile, firstPort = 7233, firstUiPort = 8233, ui = true }: StartTemporalOptions = {}): Promise<TemporalServer> {
  const port = await firstFreePort(firstPort);
  const taken = new Set([port]);
  const uiPort = await firstFreePort(firstUiPort, taken);
  // start-dev also binds an HTTP API port and a metrics port: give them free ones explicitly.
  const httpPort = await firstFreePort(port + 10, new Set([...taken, uiPort]));
  const metricsPort = await firstFreePort(httpPort + 1, new Set([...taken, uiPort, httpPort]));
  const args = [
    'server',
    'start-dev',
    '--ip',
    '127.0.0.1',
    '--port',
    String(port),
    '--http-port',
    String(httpPort),
    '--metrics-port',
    String(metricsPort),
    '--log-level',
    'warn',
  ];
  if (ui) args.push('--ui-port', String(uiPort), '--ui-ip', '127.0.0.1');
  else args.push('--headless');
  if (dbFile) {
    mkdirSync(path.dirname(dbFile), { recursive: true });
    args.push('--db-filename', dbFile);
  }
  for (const [name, type] of Object.entries(SEARCH_ATTRIBUTES)) args.push('--search-attribute', `${name}=${type}`);
  // Workflow ids like `deployment/<id>` are fine; allow long-polling for update-with-start.
  args.push('--dynamic-config-value', 'frontend.enableUpdateWorkflowExecution=true', '--dynamic-config-value', 'frontend.enableExecuteMultiOperation=true');

  const child = spawn(temporalCliPath(), args, { stdio: ['ignore', 'pipe', 'pipe'], detached: false });
  let output = '';
  child.stdout?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const ready = waitForPort(port, '127.0.0.1', 90_000).then(() => 'ready' as const);
  const first = await Promise.race([ready, exited.then(() => 'exited' as const)]);
  if (first === 'exited') throw new Error(`temporal server start-dev exited early:\n${output}`);
  if (ui) await waitForPort(uiPort, '127.0.0.1', 30_000);
  return {
    address: `127.0.0.1:${port}`,
    uiUrl: `http://127.0.0.1:${uiPort}`,
    process: child,
    stop: async () => {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    },
  };
}
