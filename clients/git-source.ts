// Reads an app's source repository with git: pins a branch to a commit, fetches exactly one
// commit (shallow) and lists or reads its files. Knows git, nothing of Temporal.
//
// Credentials travel as an HTTP header in git's environment (GIT_CONFIG_COUNT/KEY/VALUE), never
// in the URL or on the command line: a URL ends up in error messages, logs and `ps`, the
// environment of a child process does not.
//
// Failures are ClientErrors (clients/errors.ts) of system `source`: `not_found` (no such branch
// or commit, or no such repository), `auth` (the repository wants credentials it was not given,
// or refused the ones it was given: retrying with the same credential cannot help, and the
// message says which of the two) and transient `unavailable` for anything else git reports.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';
import { ClientError } from './errors.js';

/** HTTP Basic credentials for an https repository: a token as password (GitHub: any user name). */
export interface GitCredential {
  username: string;
  password: string;
}

export interface SourceSnapshot {
  commitSha: string;
  files: string[];
  readFile: (file: string) => Promise<string | undefined>;
  dispose: () => Promise<void>;
}

const SHA = /^[0-9a-f]{40}$/;

/** What git prints when a server wants credentials or refused them (GitHub, GitLab, git http-backend behind auth). */
const ACCESS_DENIED =
  /could not read (Username|Password)|terminal prompts disabled|Authentication failed|Invalid username or password|HTTP Basic: Access denied|The requested URL returned error: (401|403)|Permission denied \(publickey/i;
/** GitHub answers 404 "Repository not found" to a token without access to a private repository. */
const NOT_FOUND =
  /not our ref|couldn't find remote ref|does not appear to be a git repository|Repository not found|not found|no such|unadvertised object|invalid object|bad object|unable to read tree/i;

/** Git errors that mean "it is not there" or "you may not" rather than "try again". */
function classify(error: unknown, what: string, credential: GitCredential | undefined): ClientError {
  const message = scrub(error instanceof Error ? error.message : String(error), credential);
  // GitHub hides a private repository from a token without access behind "not found": with a
  // credential sent, that is the credential's fault (or a wrong URL), said as such.
  if (ACCESS_DENIED.test(message) || (credential && /Repository not found|repository '[^']*' not found/i.test(message))) {
    return new ClientError(
      'source',
      'auth',
      `${what}: ${credential ? 'the repository refused the credential' : 'the repository needs a credential and none was given'} (${firstLine(message)})`,
    );
  }
  if (NOT_FOUND.test(message)) return new ClientError('source', 'not_found', `${what}: ${firstLine(message)}`);
  return new ClientError('source', 'unavailable', `${what}: ${firstLine(message)}`);
}

/** Git never prints the header, but a server's error page might echo what it was sent. */
function scrub(text: string, credential: GitCredential | undefined): string {
  if (!credential) return text;
  return text.split(credential.password).join('***').split(basic(credential)).join('***');
}

function firstLine(text: string): string {
  return (
    text
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean)
      .find((l) => /fatal|error/i.test(l)) ??
    text.split('\n')[0] ??
    text
  );
}

const basic = (c: GitCredential) => Buffer.from(`${c.username}:${c.password}`).toString('base64');

/** Ambient variables a git run keeps: where programs, home, locale, temp, proxies and CA certificates are. */
const KEPT_ENV = /^(PATH|HOME|LANG|LC_[A-Z]+|TMPDIR|TZ|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|SSL_CERT_(FILE|DIR)|CURL_CA_BUNDLE)$/;

/**
 * The environment of one git run, built from nothing rather than copied: no editor, pager, askpass
 * or config of the machine's can take part. No prompt ever (a missing credential fails at once
 * instead of waiting for a terminal), no credential helper, and the credential as a header.
 */
export function gitEnvironment(credential: GitCredential | undefined, extraConfig: [string, string][] = []): Record<string, string> {
  const config: [string, string][] = [['credential.helper', ''], ...extraConfig];
  if (credential) config.push(['http.extraHeader', `Authorization: Basic ${basic(credential)}`]);
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(process.env)) if (value !== undefined && KEPT_ENV.test(key)) env[key] = value;
  Object.assign(env, { GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', GIT_CONFIG_COUNT: String(config.length) });
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * simple-git refuses, by default, settings that can run programs or change credentials, and any
 * GIT_* variable it was not told about. These runs set exactly these on purpose: our GIT_*
 * variables, the config count, an empty credential helper (none of the machine's), and, for
 * ssh, the command that pins the checked address. Nothing a tenant sends reaches them.
 */
function gitWith(env: Record<string, string>, dir?: string): SimpleGit {
  return simpleGit({
    ...(dir ? { baseDir: dir } : {}),
    allowEnvironment: Object.keys(env).filter((key) => key.startsWith('GIT_')),
    unsafe: { allowUnsafeConfigEnvCount: true, allowUnsafeCredentialHelper: true, allowUnsafeSshCommand: true },
  }).env(env);
}

export interface GitReadOptions {
  credential?: GitCredential;
  /** More `-c` settings for this run (e.g. pinning the address a host name resolves to). */
  config?: [string, string][];
}

export class GitSource {
  constructor(private readonly workDir: string) {}

  /** The commit a branch points at now. */
  async resolveBranch(repoUrl: string, branch: string, options: GitReadOptions = {}): Promise<string> {
    let out: string;
    try {
      out = await gitWith(gitEnvironment(options.credential, options.config)).listRemote([repoUrl, `refs/heads/${branch}`]);
    } catch (error) {
      throw classify(error, `Cannot read repository ${repoUrl}`, options.credential);
    }
    const sha = out
      .split('\n')
      .map((l) => l.split('\t'))
      .find(([, ref]) => ref === `refs/heads/${branch}`)?.[0];
    if (!sha) throw new ClientError('source', 'not_found', `Branch ${branch} does not exist in ${repoUrl}`);
    return sha;
  }

  /** Fetches exactly `commitSha` (depth 1) into a scratch repository named after `key`. */
  async snapshot(repoUrl: string, commitSha: string, key: string, options: GitReadOptions = {}): Promise<SourceSnapshot> {
    if (!SHA.test(commitSha)) throw new ClientError('source', 'not_found', `Not a full commit SHA: ${commitSha}`);
    const dir = path.join(this.workDir, 'sources', key);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    try {
      await simpleGit(dir).init(true);
      // Serving a commit by id needs protocol v2 (GitHub, GitLab and local repos allow it).
      await gitWith(gitEnvironment(options.credential, options.config), dir).raw([
        '-c',
        'protocol.version=2',
        'fetch',
        '--depth=1',
        '--no-tags',
        repoUrl,
        commitSha,
      ]);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw classify(error, `Commit ${commitSha} is not in ${repoUrl}`, options.credential);
    }
    const local = simpleGit(dir);
    const files = (await local.raw(['ls-tree', '-r', '--name-only', commitSha])).split('\n').filter(Boolean);
    return {
      commitSha,
      files,
      readFile: async (file) => (files.includes(file) ? local.show([`${commitSha}:${file}`]) : undefined),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  }
}
