// scripts/compose-check: `docker compose config` without Docker (compose-go, the library Docker
// Compose loads files with). Built with Go into the tools cache, keyed by its source, so a
// change to it builds a new one. `tsx scripts/lib/compose-check.ts build` is run by setup.sh.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { toolsCacheDir } from './tools.js';

const SOURCE_DIR = fileURLToPath(new URL('../compose-check/', import.meta.url));
const SOURCE_FILES = ['main.go', 'go.mod', 'go.sum'];

/** Where the binary for the current source lives (it may not be built yet). */
export function composeCheckPath(): string {
  const hash = createHash('sha256');
  for (const file of SOURCE_FILES) hash.update(readFileSync(path.join(SOURCE_DIR, file)));
  return path.join(toolsCacheDir(), `compose-check-${hash.digest('hex').slice(0, 12)}`, 'compose-check');
}

/** Builds it when missing (about a minute and a half on a new machine, from the Go module proxy). */
export function buildComposeCheck(): string {
  const binary = composeCheckPath();
  if (existsSync(binary)) return binary;
  execFileSync('go', ['build', '-o', binary, '.'], {
    cwd: SOURCE_DIR,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, GOFLAGS: '-mod=readonly' },
  });
  return binary;
}

if (process.argv[2] === 'build' && process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const started = Date.now();
  const existed = existsSync(composeCheckPath());
  const binary = buildComposeCheck();
  if (!existed) process.stderr.write(`[setup] compose-check built in ${Math.round((Date.now() - started) / 1000)} s: ${binary}\n`);
}
