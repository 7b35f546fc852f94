// Runs the Jenkinsfile's private-repository checkout as Jenkins would (`sh -xe` on the agent's
// script, with the parameters in the environment) against a private smart-HTTP git server: it
// checks out exactly COMMIT_SHA with the token, fails without it, and neither the trace nor the
// repository's config ever holds the token.
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGitRepo, startPrivateGitServer, type PrivateGitServer } from '../../simulators/jenkins/test-helpers.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const jenkinsfile = readFileSync(path.join(here, 'Jenkinsfile'), 'utf8');
const USERNAME = 'x-access-token';

/** A Groovy single-quoted string's text as the shell receives it (`\\` is `\`, `\n` a newline). */
function groovyText(body: string): string {
  const escapes: Record<string, string> = { n: '\n', t: '\t', r: '\r' };
  return body.replace(/\\(.)/g, (_, c: string) => escapes[c] ?? c);
}

/** The ''' script that reads REPO_TOKEN (the private checkout). */
function checkoutScript(): string {
  const scripts = jenkinsfile.split("'''").filter((_, i) => i % 2 === 1 && /\$REPO_TOKEN\b/.test(_));
  expect(scripts).toHaveLength(1);
  return groovyText(scripts[0]!);
}

/** The one-line script that decides whether REPO_TOKEN is set. */
function tokenTest(): string {
  const found = /\bsh\s*\(\s*script:\s*'((?:\\.|[^'\\])*REPO_TOKEN(?:\\.|[^'\\])*)'/.exec(jenkinsfile);
  expect(found).not.toBeNull();
  return groovyText(found![1]!);
}

interface ShellResult {
  code: number;
  stdout: string;
  /** stdout and stderr (the -x trace), as the console log would show them. */
  output: string;
}

/** `sh -xe` as the durable-task plugin runs a step's script. Async: the git server is in this process. */
function runSh(script: string, cwd: string, env: Record<string, string>): Promise<ShellResult> {
  return new Promise((resolve) => {
    execFile('sh', ['-xe', '-c', script], { cwd, env: { PATH: process.env.PATH ?? '', LC_ALL: 'C', ...env }, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, output: `${stdout}${stderr}` });
    });
  });
}

describe("the Jenkinsfile's private-repository checkout script", () => {
  const token = `ghs_${randomBytes(18).toString('hex')}`;
  const header = Buffer.from(`${USERNAME}:${token}`).toString('base64');
  let tmp: string;
  let sha: string;
  let server: PrivateGitServer;
  let home: string;

  const workspace = (name: string) => {
    const dir = path.join(tmp, name, 'src');
    mkdirSync(dir, { recursive: true });
    return dir;
  };
  const env = (overrides: Record<string, string>) => ({
    HOME: home,
    REPO_URL: server.url,
    COMMIT_SHA: sha,
    REPO_USERNAME: USERNAME,
    REPO_TOKEN: token,
    ...overrides,
  });

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'jenkinsfile-checkout-'));
    home = path.join(tmp, 'home'); // no user git config (credential helpers) of the machine
    mkdirSync(home);
    const repo = createGitRepo(path.join(tmp, 'repo'));
    repo.commit({ 'README.md': 'newer\n' }, 'A newer commit on main');
    sha = repo.initialSha; // not the tip: the checkout must fetch this commit by id
    server = await startPrivateGitServer(repo.dir, tmp, { username: USERNAME, token });
  });
  afterAll(async () => {
    await server?.close();
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('tells a set token from an empty one without tracing it', async () => {
    const dir = workspace('test');
    const set = await runSh(tokenTest(), dir, env({}));
    expect(set.code).toBe(0);
    expect(set.output).not.toContain(token);
    expect((await runSh(tokenTest(), dir, env({ REPO_TOKEN: '' }))).code).not.toBe(0);
  });

  it('checks out exactly COMMIT_SHA with the token, which is in no trace, URL or git config', async () => {
    const dir = workspace('ok');
    const run = await runSh(checkoutScript(), dir, env({}));
    expect(run.code, run.output).toBe(0);
    const head = await runSh('git rev-parse HEAD', dir, { HOME: home });
    expect(head.stdout.trim()).toBe(sha);
    for (const text of [run.output, readFileSync(path.join(dir, '.git', 'config'), 'utf8'), ...server.requests]) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(header);
    }
  });

  it('fails with a wrong or an empty token, printing neither', async () => {
    const wrong = `ghs_${randomBytes(18).toString('hex')}`;
    for (const [name, value] of [
      ['wrong', wrong],
      ['empty', ''],
    ] as const) {
      const run = await runSh(checkoutScript(), workspace(name), env({ REPO_TOKEN: value }));
      expect(run.code, name).not.toBe(0);
      expect(run.output).toMatch(/Authentication failed|could not read Username|401/);
      expect(run.output).not.toContain(token);
      if (value) expect(run.output).not.toContain(value);
    }
  });
});
