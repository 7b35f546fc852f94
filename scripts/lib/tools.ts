// Where the binaries the stack needs live. scripts/setup.sh builds the missing ones into a
// cache outside the checkout, so every clone on the machine (CI's included) reuses them.
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

export const TEMPORAL_CLI_VERSION = 'v1.5.1';
export const HELM_VERSION = 'v3.22.0';

export function toolsCacheDir(): string {
  return process.env.DEPLOY_ENGINE_CACHE || path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'deploy-engine');
}

function onPath(name: string): string | undefined {
  try {
    const found = execFileSync('bash', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
    return found || undefined;
  } catch {
    return undefined;
  }
}

/** The Temporal CLI: $TEMPORAL_CLI_PATH, else `temporal` on PATH, else the cached build. */
export function temporalCliPath(): string {
  const candidates = [process.env.TEMPORAL_CLI_PATH, onPath('temporal'), path.join(toolsCacheDir(), `temporal-${TEMPORAL_CLI_VERSION}`, 'temporal')];
  const found = candidates.find((p): p is string => !!p && existsSync(p));
  if (!found) throw new Error('Temporal CLI not found: run `npm run setup` (it builds it with Go into the tools cache).');
  return found;
}

/** Helm is optional (the Argo CD simulator renders charts with it when present). */
export function helmPath(): string | undefined {
  const candidates = [process.env.HELM_PATH, onPath('helm'), path.join(toolsCacheDir(), `helm-${HELM_VERSION}`, 'helm')];
  return candidates.find((p): p is string => !!p && existsSync(p));
}

/** PostgreSQL server binaries (initdb, pg_ctl, postgres). */
export function postgresBinDir(): string {
  const candidates = [process.env.PG_BIN_DIR, '/usr/lib/postgresql/17/bin', '/usr/lib/postgresql/16/bin', '/usr/lib/postgresql/15/bin'];
  const found = candidates.find((p): p is string => !!p && existsSync(path.join(p, 'initdb')));
  if (!found) throw new Error('PostgreSQL server binaries not found: run `npm run setup` (it installs Debian postgresql).');
  return found;
}
