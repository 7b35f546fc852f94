// The checkout step of the simulated pipeline: a real `git` fetch of REPO_URL and checkout of
// COMMIT_SHA into a scratch folder, logged the way the Jenkins Git plugin logs it. A missing
// repository or commit fails like the real step does.
// A private repository's credential (REPO_USERNAME / REPO_TOKEN) reaches git the way the
// Jenkinsfile passes it: an `Authorization: Basic` http.extraHeader in GIT_CONFIG_* environment
// variables, so it is never in the URL, in argv (visible in `ps`) or in the log.
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { BuildLog } from './log.js';

export interface CheckoutOptions {
  repoUrl: string;
  commitSha: string;
  /** Empty folder to check out into. */
  dir: string;
  log: BuildLog;
  signal: AbortSignal;
  /** Workspace path shown in the log (the real agent's path). */
  workspace: string;
  timeoutMs?: number;
  /** HTTP Basic credential for the repository; absent (or an empty token): anonymous. */
  credential?: { username: string; token: string };
}

export type CheckoutResult = { ok: true; sha: string; branch: string; subject: string; packageJson?: Buffer } | { ok: false; error: string };

class GitError extends Error {
  constructor(
    readonly command: string,
    readonly code: number | string | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(`Command "${command}" returned status code ${code ?? 'unknown'}`);
  }
}

/** Git's environment: no prompts, and the credential (if any) as a config header. */
function gitEnv(credential: CheckoutOptions['credential']): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_ASKPASS: 'echo', LC_ALL: 'C' };
  if (credential && credential.token !== '') {
    const basic = Buffer.from(`${credential.username}:${credential.token}`).toString('base64');
    Object.assign(env, { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${basic}` });
  }
  return env;
}

function git(args: string[], cwd: string, signal: AbortSignal, timeoutMs: number, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      {
        cwd,
        signal,
        timeout: timeoutMs,
        maxBuffer: 16 * 1024 * 1024,
        env,
      },
      (error, stdout, stderr) => {
        if (error) {
          const code = (error as NodeJS.ErrnoException & { code?: number | string }).code ?? null;
          reject(new GitError(`git ${args.join(' ')}`, code, String(stdout), String(stderr)));
        } else resolve(String(stdout));
      },
    );
  });
}

/** Accepts local paths and file://, http(s)://, ssh and scp-like git URLs. */
export async function checkout(o: CheckoutOptions): Promise<CheckoutResult> {
  const { log, repoUrl, commitSha, dir, signal, workspace } = o;
  const timeoutMs = o.timeoutMs ?? 120_000;
  const env = gitEnv(o.credential);
  const run = (args: string[]) => git(args, dir, signal, timeoutMs, env);
  const refspec = '+refs/heads/*:refs/remotes/origin/*';

  log.line('The recommended git tool is: NONE');
  // The git plugin's line names the credential's id, never its value.
  log.line(o.credential && o.credential.token !== '' ? 'using credential REPO_TOKEN' : 'No credentials specified');
  log.line('Cloning the remote Git repository');
  log.line(`Cloning repository ${repoUrl}`);
  log.line(` > git init ${workspace} # timeout=10`);
  try {
    await run(['init', '--quiet', dir]);
    log.line(`Fetching upstream changes from ${repoUrl}`);
    log.line(' > git --version # timeout=10');
    log.line(` > git fetch --tags --force --progress -- ${repoUrl} ${refspec} # timeout=10`);
    await run(['fetch', '--tags', '--force', '--quiet', '--', repoUrl, refspec]);
  } catch (error) {
    if (signal.aborted) throw error;
    const e = error instanceof GitError ? error : undefined;
    log.line("ERROR: Error cloning remote repo 'origin'");
    log.line(`hudson.plugins.git.GitException: Command "git fetch --tags --force --progress -- ${repoUrl} ${refspec}" returned status code ${e?.code ?? 128}:`);
    log.line(`stdout: ${e?.stdout.trim() ?? ''}`);
    log.line(`stderr: ${(e?.stderr ?? String(error)).trim()}`);
    return { ok: false, error: `Error cloning remote repo 'origin'` };
  }

  log.line(` > git config remote.origin.url ${repoUrl} # timeout=10`);
  log.line(` > git config --add remote.origin.fetch ${refspec} # timeout=10`);
  log.line(` > git rev-parse ${commitSha}^{commit} # timeout=10`);
  let sha: string;
  try {
    if (!/^[0-9a-fA-F]{4,64}$/.test(commitSha)) throw new Error('not a commit id');
    sha = (await run(['rev-parse', '--verify', '--quiet', `${commitSha}^{commit}`])).trim();
  } catch (error) {
    if (signal.aborted) throw error;
    log.line(` > git rev-parse origin/${commitSha}^{commit} # timeout=10`);
    log.line("ERROR: Couldn't find any revision to build. Verify the repository and branch configuration for this job.");
    return { ok: false, error: "Couldn't find any revision to build" };
  }

  let branch = 'detached';
  try {
    const containing = (await run(['branch', '-r', '--contains', sha, '--format=%(refname)']))
      .split('\n')
      .map((s) => s.trim())
      .filter(Boolean);
    branch = containing.find((r) => r.endsWith('/main')) ?? containing[0] ?? 'detached';
  } catch {
    // keep "detached"
  }
  log.line(`Checking out Revision ${sha} (${branch})`);
  log.line(' > git config core.sparsecheckout # timeout=10');
  log.line(` > git checkout -f ${sha} # timeout=10`);
  await run(['checkout', '--quiet', '--force', sha]);
  const subject = (await run(['log', '-1', '--format=%s', sha])).trim();
  log.line(`Commit message: "${subject}"`);
  const packageJson = await readFile(path.join(dir, 'package.json')).catch(() => undefined);
  return { ok: true, sha, branch, subject, packageJson };
}
