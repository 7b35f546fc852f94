// The set-up's first run on a machine that never ran the project: no ~/.cache, no cache folder,
// nothing built. A fake `go` stands in for the real builds (CI's first run does those for real);
// what is tested is that every folder the set-up writes into is made before it writes there.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const scratch = mkdtempSync(path.join(os.tmpdir(), 'setup-first-run-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** A `go` that does what `go install pkg@version` does for the set-up: an executable in $GOBIN. */
function fakeGo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, 'go');
  writeFileSync(
    file,
    `#!/usr/bin/env bash
set -eu
if [ "$1" = build ]; then
  # go build -o <file> . (scripts/compose-check)
  out=""; while [ $# -gt 0 ]; do [ "$1" = -o ] && { out=$2; shift; }; shift; done
  mkdir -p "$(dirname "$out")"; printf '#!/bin/sh\\necho compose-check fake\\n' > "$out"; chmod +x "$out"
  echo "build $out" >> "${path.join(dir, 'calls.log')}"
  exit 0
fi
[ "$1" = install ] || { echo "fake go: only install and build" >&2; exit 2; }
pkg="\${@: -1}"; name=$(basename "\${pkg%@*}")
echo "fake go: building $pkg" >&2
mkdir -p "$GOBIN"
printf '#!/bin/sh\\necho %s fake\\n' "$name" > "$GOBIN/$name"
chmod +x "$GOBIN/$name"
echo "$pkg" >> "${path.join(dir, 'calls.log')}"
`,
  );
  chmodSync(file, 0o755);
  return dir;
}

describe('scripts/setup.sh on a fresh machine', () => {
  it('builds into a cache folder that does not exist yet, under a home folder with no .cache', async () => {
    const home = path.join(scratch, 'home');
    mkdirSync(home);
    const bin = fakeGo(path.join(scratch, 'bin'));
    // No DEPLOY_ENGINE_CACHE: the default under $HOME/.cache, exactly as on a new machine.
    const env: NodeJS.ProcessEnv = { ...process.env, HOME: home, PATH: `${bin}:${process.env.PATH ?? ''}` };
    delete env.DEPLOY_ENGINE_CACHE;
    delete env.XDG_CACHE_HOME;
    delete env.TEMPORAL_CLI_PATH;
    const { stderr } = await run('bash', [path.join(repo, 'scripts/setup.sh')], { cwd: repo, env, timeout: 120_000 });
    const cache = path.join(home, '.cache', 'deploy-engine');
    for (const tool of ['temporal-v1.5.1/temporal', 'helm-v3.22.0/helm']) {
      const file = path.join(cache, tool);
      expect(existsSync(file), `${tool} in ${cache}\n${stderr}`).toBe(true);
      expect(statSync(file).mode & 0o111).not.toBe(0);
    }
    expect(existsSync(path.join(cache, 'temporal-build.log'))).toBe(true);
    expect(readFileSync(path.join(bin, 'calls.log'), 'utf8')).toMatch(new RegExp(`build ${cache}/compose-check-[0-9a-f]{12}/compose-check`));
    expect(readFileSync(path.join(bin, 'calls.log'), 'utf8')).toMatch(/temporalio\/cli\/cmd\/temporal@v1\.5\.1/);
    expect(stderr).toMatch(/Temporal CLI built in/);
  });

  it('reports a failed build with what Go said, and stops', async () => {
    const bin = path.join(scratch, 'broken-bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'go'), '#!/bin/sh\necho "go: module lookup disabled by GOPROXY=off" >&2\nexit 1\n');
    chmodSync(path.join(bin, 'go'), 0o755);
    const cache = path.join(scratch, 'missing', 'nested', 'cache');
    const env: NodeJS.ProcessEnv = { ...process.env, DEPLOY_ENGINE_CACHE: cache, PATH: `${bin}:${process.env.PATH ?? ''}` };
    delete env.TEMPORAL_CLI_PATH;
    const failure = await run('bash', [path.join(repo, 'scripts/setup.sh')], { cwd: repo, env, timeout: 120_000 }).then(
      () => undefined,
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failure?.code).toBe(1);
    expect(failure?.stderr).toMatch(/Temporal CLI build FAILED/);
    expect(failure?.stderr).toMatch(/module lookup disabled/);
    expect(failure?.stderr).not.toMatch(/No such file or directory/);
  });
});
