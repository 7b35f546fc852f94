// The GitOps repository, through `simple-git` only. The engine owns a clone (workDir) and
// never trusts its local state: every operation fetches and, before writing, hard-resets to
// origin/<branch>, writes the generated files, commits, pushes.
//
// Exactly once: every release commit carries the trailers
//     Deployment-Id: <deploymentId>
//     GitOps-Path: apps/<ws>/<user>/<project>
// and commitRelease first looks for such a commit on the remote branch, so a retried
// activity gets the commit its earlier attempt pushed instead of a second one. (The lookup
// does not use `git log -- <path>`: an empty commit touches no path and would be missed.)
// An undeploy's removal of a folder works the same way with an `Undeploy-Id:` trailer.
//
// Concurrency: calls on one workDir are serialised by an in-process mutex (a promise chain
// keyed by the workDir; Kargo holds a lock per repository and branch the same way). Writers
// with other clones (other workers, other processes) race at `git push`; the loser fetches,
// resets, re-applies its files on top of the new head and pushes again, with a bounded,
// jittered backoff. Regenerating the files is safer than a rebase for generated content.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { simpleGit } from 'simple-git';
import type { SimpleGit } from 'simple-git';
import { GitOpsPathError, emptyDirInside, joinSafe, safeRelativePath, writeFileInside } from '../gitops/paths.js';
import { ClientError, type ClientErrorKind, type ClientErrorOptions } from './errors.js';

export { GitOpsPathError };

// Failures are ClientErrors (clients/errors.ts) of system `gitops`, `transient` telling the
// activity whether a retry can help: a push that lost the race every time within the attempt
// budget (`conflict`, transient) and a failed clone, fetch or push (`unavailable`) are; so is a
// local git or file-system step that failed in the clone (`local`: the clone is dropped and the
// next attempt starts from a fresh one). Bad options or a workDir that is not our clone
// (`invalid`), and a deployment id that already has a commit for another path (`conflict`, a
// caller bug), are terminal. Bad paths are GitOpsPathError (gitops/paths.ts).
const gitopsError = (kind: ClientErrorKind, message: string, options?: ClientErrorOptions) => new ClientError('gitops', kind, message, options);

export interface GitOpsRepoOptions {
  /** Remote URL (`https://`, `ssh://`, `file://`) or a local path (made absolute). */
  url: string;
  branch: string;
  /** The engine's own clone. Created if missing; must not be shared with anything else. */
  workDir: string;
  author: { name: string; email: string };
  /** Push attempts and backoff (defaults: 8 attempts, 250 ms doubling, capped at 5 s, jittered). */
  push?: { attempts?: number; baseDelayMs?: number; maxDelayMs?: number };
  /** Kill a git command that prints nothing for this long (default 120 s). */
  commandTimeoutMs?: number;
  /** Called before each push retry (for logs and metrics). */
  onPushRetry?: (info: { attempt: number; delayMs: number; reason: string }) => void;
  /** For `ssh://` and `git@host:` URLs: the key and the known_hosts this repository is reached with. */
  ssh?: GitOpsSshOptions;
}

export interface GitOpsSshOptions {
  keyFile: string;
  knownHostsFile: string;
}

/**
 * The ssh command of the GitOps clone's own git runs: only this key is offered, and only a host
 * key listed in this known_hosts is accepted (never trust on first use). No prompt can block a
 * worker: BatchMode fails instead of asking.
 */
export function gitOpsSshCommand({ keyFile, knownHostsFile }: GitOpsSshOptions): string {
  const quote = (value: string) => `'${value.replace(/'/g, `'\\''`)}'`;
  return `ssh -i ${quote(keyFile)} -o IdentitiesOnly=yes -o UserKnownHostsFile=${quote(knownHostsFile)} -o StrictHostKeyChecking=yes -o BatchMode=yes`;
}

export interface CommitResult {
  sha: string;
  /** false when an earlier attempt's commit was found, or nothing needed committing. */
  created: boolean;
}

export interface CommitReleaseInput {
  /** Directory of the release, e.g. `apps/ws1/alice/shop` (gitops/naming.ts gitopsPath). */
  path: string;
  /** The complete content of that directory, keyed by path relative to it. */
  files: Record<string, string>;
  deploymentId: string;
  /** Subject (and optional body); the trailers are added. */
  message: string;
}

export interface CommitFilesInput {
  path: string;
  files: Record<string, string>;
  message: string;
}

export interface RemoveFolderInput {
  /** The folder to remove, e.g. `apps/ws1/alice/shop`. */
  path: string;
  /** The undeploy's id: the `Undeploy-Id:` trailer a retried attempt finds its commit by. */
  undeployId: string;
  message: string;
}

export interface RemoveFolderResult {
  /** The removal commit; undefined when the folder was not there and nothing was committed. */
  sha: string | undefined;
  /** false when an earlier attempt's commit was found, or there was nothing to remove. */
  created: boolean;
}

export interface ReleaseCommit {
  sha: string;
  /** The `GitOps-Path` trailer. */
  path: string | undefined;
}

export const DEPLOYMENT_ID_TRAILER = 'Deployment-Id';
export const PATH_TRAILER = 'GitOps-Path';
export const UNDEPLOY_ID_TRAILER = 'Undeploy-Id';

const DEPLOYMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;
const BRANCH = /^(?!-)(?!.*\.\.)(?!.*\/\/)(?!.*@\{)[A-Za-z0-9._/-]{1,200}(?<![./])(?<!\.lock)$/;
const NON_FAST_FORWARD =
  /non-fast-forward|\[rejected\]|fetch first|failed to update ref|cannot lock ref|failed to lock|stale info|Unable to create '.*\.lock'/i;
const MISSING_REMOTE_REF = /couldn't find remote ref|could not find remote ref/i;
/** A lock file left in our clone by a crashed git process. */
const LOCAL_LOCK = /Unable to create '[^']*\.lock'|cannot lock ref 'refs\/remotes\//i;

const locks = new Map<string, Promise<void>>();

/** Runs `fn` after every earlier holder of `key` in this process has finished. */
async function withLock<T>(key: string, fn: () => Promise<T>): Promise<T> {
  const previous = locks.get(key) ?? Promise.resolve();
  let release!: () => void;
  const mine = new Promise<void>((resolve) => (release = resolve));
  const tail = previous.then(() => mine);
  locks.set(key, tail);
  await previous;
  try {
    return await fn();
  } finally {
    release();
    if (locks.get(key) === tail) locks.delete(key);
  }
}

/** True for a plain path (not `scheme://` and not scp-like `host:path`). */
export function isLocalRepoUrl(url: string): boolean {
  if (/^[A-Za-z][A-Za-z0-9+.-]*:\/\//.test(url)) return false;
  if (/^[^/]+:/.test(url) && !url.startsWith('.')) return false;
  return true;
}

const REVISION = /^[0-9a-fA-F]{4,64}$/;

function checkRevision(revision: string): string {
  if (!REVISION.test(revision)) throw gitopsError('invalid', `invalid commit SHA ${JSON.stringify(revision)}`);
  return revision.toLowerCase();
}

function gitMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function cleanMessage(message: string): string {
  return message
    .replace(/\r\n?/g, '\n')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f]/g, '')
    .trim();
}

export class GitOpsRepo {
  readonly url: string;
  readonly branch: string;
  readonly workDir: string;
  private readonly author: { name: string; email: string };
  private readonly attempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly timeoutMs: number;
  private readonly onPushRetry?: GitOpsRepoOptions['onPushRetry'];
  private readonly sshCommand?: string;

  constructor(options: GitOpsRepoOptions) {
    if (!options.url || options.url.startsWith('-') || /[\s\0]/.test(options.url))
      throw gitopsError('invalid', `invalid GitOps repository URL ${JSON.stringify(options.url)}`);
    if (!BRANCH.test(options.branch)) throw gitopsError('invalid', `invalid GitOps branch ${JSON.stringify(options.branch)}`);
    const { name, email } = options.author;
    if (!name || !email || /[<>\n\r\0]/.test(name + email)) throw gitopsError('invalid', 'invalid commit author');
    this.url = isLocalRepoUrl(options.url) ? path.resolve(options.url) : options.url;
    this.branch = options.branch;
    this.workDir = path.resolve(options.workDir);
    this.author = { name, email };
    this.attempts = Math.max(1, options.push?.attempts ?? 8);
    this.baseDelayMs = options.push?.baseDelayMs ?? 250;
    this.maxDelayMs = options.push?.maxDelayMs ?? 5_000;
    this.timeoutMs = options.commandTimeoutMs ?? 120_000;
    this.sshCommand = options.ssh ? gitOpsSshCommand(options.ssh) : undefined;
    this.onPushRetry = options.onPushRetry;
  }

  private get remoteRef(): string {
    return `refs/remotes/origin/${this.branch}`;
  }

  private git(baseDir = this.workDir): SimpleGit {
    return simpleGit({
      baseDir,
      maxConcurrentProcesses: 1,
      trimmed: false,
      timeout: { block: this.timeoutMs },
      config: [
        `user.name=${this.author.name}`,
        `user.email=${this.author.email}`,
        'commit.gpgsign=false',
        'core.autocrlf=false',
        'advice.detachedHead=false',
        ...(this.sshCommand ? [`core.sshCommand=${this.sshCommand}`] : []),
      ],
      // The ssh command is the engine's own (from config), never anything a tenant sends.
      ...(this.sshCommand ? { unsafe: { allowUnsafeSshCommand: true } } : {}),
    });
  }

  /** Makes sure the workDir is a clone of the repository (clones it if missing). */
  async ensureClone(): Promise<void> {
    await this.guarded('ensureClone', () => this.ensureCloneUnlocked());
  }

  private async ensureCloneUnlocked(): Promise<void> {
    if (existsSync(path.join(this.workDir, '.git'))) {
      let origin: string;
      try {
        origin = (await this.git().raw(['config', '--get', 'remote.origin.url'])).trim();
      } catch (error) {
        throw gitopsError('invalid', `${this.workDir} is not a usable git clone: ${gitMessage(error)}`, { cause: error });
      }
      if (origin !== this.url)
        throw gitopsError('invalid', `${this.workDir} is a clone of ${origin}, not of ${this.url}: remove it or choose another GITOPS_WORKDIR`);
      return;
    }
    if (existsSync(this.workDir) && (await readdir(this.workDir)).length > 0) {
      throw gitopsError('invalid', `${this.workDir} exists, is not empty and is not a git clone: remove it or choose another GITOPS_WORKDIR`);
    }
    const parent = path.dirname(this.workDir);
    await mkdir(parent, { recursive: true });
    // Clone beside the target and rename: a crash mid-clone never leaves a half clone in place.
    const temporary = `${this.workDir}.clone-${process.pid}-${randomBytes(4).toString('hex')}`;
    try {
      await this.git(parent).clone(this.url, temporary, ['--no-checkout', '--no-tags']);
      if (existsSync(this.workDir)) await rm(this.workDir, { recursive: true });
      await rename(temporary, this.workDir);
    } catch (error) {
      await rm(temporary, { recursive: true, force: true });
      throw gitopsError('unavailable', `cannot clone ${this.url}: ${gitMessage(error)}`, { cause: error });
    }
  }

  /** Fetches the branch. Returns false when the remote branch does not exist yet. */
  private async fetch(): Promise<boolean> {
    try {
      await this.git().raw(['fetch', '--prune', '--no-tags', 'origin', `+refs/heads/${this.branch}:${this.remoteRef}`]);
      return true;
    } catch (error) {
      if (MISSING_REMOTE_REF.test(gitMessage(error))) {
        await this.git().raw(['update-ref', '-d', this.remoteRef]);
        return false;
      }
      if (LOCAL_LOCK.test(gitMessage(error))) throw gitopsError('local', `cannot update the clone: ${gitMessage(error)}`, { cause: error });
      throw gitopsError('unavailable', `cannot fetch ${this.branch} from ${this.url}: ${gitMessage(error)}`, { cause: error });
    }
  }

  /** Fetch, then make the working tree exactly origin/<branch> (or empty when the branch is unborn). */
  private async syncToRemote(): Promise<boolean> {
    const exists = await this.fetch();
    const git = this.git();
    if (exists) {
      // --force -B: index and tracked files become exactly the remote head (like reset --hard).
      await git.raw(['checkout', '--force', '-B', this.branch, this.remoteRef]);
    } else {
      await git.raw(['symbolic-ref', 'HEAD', `refs/heads/${this.branch}`]);
      await git.raw(['update-ref', '-d', `refs/heads/${this.branch}`]);
      await git.raw(['read-tree', '--empty']);
    }
    await git.raw(['clean', '-ffdx']);
    return exists;
  }

  /** Removes the workDir, but only if it is a git clone (ensureCloneUnlocked checked it is ours). */
  private async dropClone(): Promise<void> {
    if (existsSync(path.join(this.workDir, '.git'))) await rm(this.workDir, { recursive: true, force: true });
  }

  /** syncToRemote, re-cloning once if the clone is broken (e.g. a crash left .git/index.lock behind). */
  private async syncFresh(): Promise<boolean> {
    await this.ensureCloneUnlocked();
    try {
      return await this.syncToRemote();
    } catch (error) {
      if (error instanceof ClientError && error.kind !== 'local') throw error;
      await this.dropClone();
      await this.ensureCloneUnlocked();
      return this.syncToRemote();
    }
  }

  /**
   * Runs a locked operation. Our own errors and path errors pass through; anything else is a
   * local failure: the clone is dropped (the next call re-clones) and a transient error thrown.
   */
  private async guarded<T>(what: string, fn: () => Promise<T>): Promise<T> {
    return withLock(this.workDir, async () => {
      try {
        return await fn();
      } catch (error) {
        if (error instanceof ClientError || error instanceof GitOpsPathError) throw error;
        await this.dropClone().catch(() => undefined);
        throw gitopsError('local', `${what} failed in ${this.workDir}: ${gitMessage(error)}`, { cause: error });
      }
    });
  }

  private async findUnlocked(id: string, trailer: string = DEPLOYMENT_ID_TRAILER): Promise<ReleaseCommit | undefined> {
    const format = `%H%x00%(trailers:key=${trailer},valueonly,separator=%x2C)%x00%(trailers:key=${PATH_TRAILER},valueonly,separator=%x2C)%x1e`;
    const out = await this.git().raw(['log', this.remoteRef, '--fixed-strings', `--grep=${trailer}: ${id}`, `--format=${format}`]);
    for (const record of out.split('\x1e')) {
      const [sha, ids, paths] = record.trim().split('\0');
      if (!sha || ids === undefined) continue;
      if (ids.split(',').some((found) => found.trim() === id)) {
        const found = paths?.split(',')[0]?.trim();
        return { sha, path: found || undefined };
      }
    }
    return undefined;
  }

  /** The commit on the remote branch that carries `Deployment-Id: <id>`, if any. */
  async findCommitByDeploymentId(deploymentId: string): Promise<ReleaseCommit | undefined> {
    if (!DEPLOYMENT_ID.test(deploymentId)) throw gitopsError('invalid', `invalid deployment id ${JSON.stringify(deploymentId)}`);
    return this.guarded('findCommitByDeploymentId', async () => {
      await this.ensureCloneUnlocked();
      if (!(await this.fetch())) return undefined;
      return this.findUnlocked(deploymentId);
    });
  }

  /** SHA of the remote branch head (undefined when the branch does not exist yet). */
  async headSha(): Promise<string | undefined> {
    return this.guarded('headSha', async () => {
      await this.ensureCloneUnlocked();
      if (!(await this.fetch())) return undefined;
      return (await this.git().raw(['rev-parse', '--verify', `${this.remoteRef}^{commit}`])).trim();
    });
  }

  /** A file's content at the remote branch head; undefined if absent. Symbolic links are refused. */
  async readFile(filePath: string): Promise<string | undefined> {
    const rel = safeRelativePath(filePath);
    return this.guarded('readFile', async () => {
      await this.ensureCloneUnlocked();
      if (!(await this.fetch())) return undefined;
      return this.readBlob(this.remoteRef, rel);
    });
  }

  /**
   * A file's content at a given commit of the repository (after a fetch); undefined if the
   * commit or the file is unknown.
   */
  async readFileAt(revision: string, filePath: string): Promise<string | undefined> {
    const commit = checkRevision(revision);
    const rel = safeRelativePath(filePath);
    return this.guarded('readFileAt', async () => {
      await this.ensureCloneUnlocked();
      await this.fetch();
      const resolved = await this.resolveCommit(commit);
      return resolved ? this.readBlob(resolved, rel) : undefined;
    });
  }

  /** True when `ancestor` is `descendant` or one of its ancestors (false if either is unknown). */
  async isAncestor(ancestor: string, descendant: string): Promise<boolean> {
    const a = checkRevision(ancestor);
    const d = checkRevision(descendant);
    return this.guarded('isAncestor', async () => {
      await this.ensureCloneUnlocked();
      await this.fetch();
      const [fullA, fullD] = [await this.resolveCommit(a), await this.resolveCommit(d)];
      if (!fullA || !fullD) return false;
      // merge-base (not --is-ancestor): its answer is in the output, not only in the exit code.
      const base = (await this.git().raw(['merge-base', fullA, fullD])).trim();
      return base === fullA;
    });
  }

  private async resolveCommit(revision: string): Promise<string | undefined> {
    const out = (await this.git().raw(['rev-parse', '--verify', '--quiet', `${revision}^{commit}`])).trim();
    return /^[0-9a-f]{40,64}$/.test(out) ? out : undefined;
  }

  private async readBlob(treeish: string, rel: string): Promise<string | undefined> {
    const entry = (await this.git().raw(['ls-tree', '-z', treeish, '--', rel])).replace(/\0$/, '');
    if (!entry) return undefined;
    const [mode, type, object] = entry.split(/\s+/, 3);
    if (type !== 'blob') return undefined;
    if (mode === '120000') throw new GitOpsPathError(`${rel} is a symbolic link in the repository`, rel);
    return this.git().raw(['cat-file', 'blob', object!]);
  }

  /**
   * Commits a release: `files` (paths relative to `path`) become the complete content of the
   * directory `path`. Exactly once per deployment id: when the remote branch already has a
   * commit with `Deployment-Id: <deploymentId>` for that path, returns it with created=false.
   * Always commits otherwise (`--allow-empty`: a rollback to identical values is still a
   * release of its own).
   */
  async commitRelease(input: CommitReleaseInput): Promise<CommitResult> {
    if (!DEPLOYMENT_ID.test(input.deploymentId)) throw gitopsError('invalid', `invalid deployment id ${JSON.stringify(input.deploymentId)}`);
    const dir = safeRelativePath(input.path);
    const files = this.checkFiles(dir, input.files);
    const subject = cleanMessage(input.message) || `Release ${dir}`;
    const message = `${subject}\n\n${DEPLOYMENT_ID_TRAILER}: ${input.deploymentId}\n${PATH_TRAILER}: ${dir}\n`;
    return this.guarded('commitRelease', () =>
      this.writeCommitPush({
        dir,
        files,
        message,
        allowEmpty: true,
        existing: async () => {
          const found = await this.findUnlocked(input.deploymentId);
          if (found && found.path !== dir)
            throw gitopsError(
              'conflict',
              `deployment ${input.deploymentId} was already committed for ${found.path ?? 'another path'} (${found.sha}), not ${dir}`,
            );
          return found?.sha;
        },
      }),
    );
  }

  /**
   * Makes `files` (relative to `path`) the complete content of the directory `path`; commits and
   * pushes only if that changes anything (created=false and the current head otherwise).
   */
  async commitFiles(input: CommitFilesInput): Promise<CommitResult> {
    const dir = safeRelativePath(input.path);
    const files = this.checkFiles(dir, input.files);
    const message = `${cleanMessage(input.message) || `Update ${dir}`}\n`;
    return this.guarded('commitFiles', () => this.writeCommitPush({ dir, files, message, allowEmpty: false }));
  }

  /**
   * Removes the directory `path` in one commit carrying `Undeploy-Id: <undeployId>` and
   * `GitOps-Path: <path>`. Exactly once per undeploy id: when the remote branch already has such
   * a commit, returns it (created=false) even if later commits re-created the folder (a new
   * project of the same name). A folder that is not there is not an error: nothing is committed
   * and `sha` is undefined. Lost push races are retried on top of the other writer, like releases.
   */
  async removeFolder(input: RemoveFolderInput): Promise<RemoveFolderResult> {
    if (!DEPLOYMENT_ID.test(input.undeployId)) throw gitopsError('invalid', `invalid undeploy id ${JSON.stringify(input.undeployId)}`);
    const dir = safeRelativePath(input.path);
    const subject = cleanMessage(input.message) || `Remove ${dir}`;
    const message = `${subject}\n\n${UNDEPLOY_ID_TRAILER}: ${input.undeployId}\n${PATH_TRAILER}: ${dir}\n`;
    return this.guarded('removeFolder', async () => {
      let lastError: unknown;
      for (let attempt = 1; attempt <= this.attempts; attempt++) {
        if (!(await this.syncFresh())) return { sha: undefined, created: false };
        const found = await this.findUnlocked(input.undeployId, UNDEPLOY_ID_TRAILER);
        if (found) {
          if (found.path !== dir)
            throw gitopsError('conflict', `undeploy ${input.undeployId} already removed ${found.path ?? 'another path'} (${found.sha}), not ${dir}`);
          return { sha: found.sha, created: false };
        }
        const git = this.git();
        // ls-tree, not the file system: the tree of the remote head is what Argo CD reads.
        if ((await git.raw(['ls-tree', '--name-only', 'HEAD', '--', dir])).trim() === '') return { sha: undefined, created: false };
        await git.raw(['rm', '-r', '--quiet', '--', dir]);
        await git.raw(['commit', '--no-verify', '--quiet', '-m', message]);
        const sha = (await git.raw(['rev-parse', 'HEAD'])).trim();
        const pushed = await this.push(attempt);
        if (pushed === true) return { sha, created: true };
        lastError = pushed.error;
        if (pushed.last) break;
      }
      throw gitopsError('conflict', `push to ${this.branch} of ${this.url} was rejected ${this.attempts} times (concurrent writers)`, {
        transient: true,
        cause: lastError,
      });
    });
  }

  /**
   * Pushes HEAD. true when it landed; a lost race is returned (after the backoff, unless it was
   * the last attempt) so the caller starts over from the new remote head; other errors throw.
   */
  private async push(attempt: number): Promise<true | { error: unknown; last: boolean }> {
    try {
      await this.git().raw(['push', '--porcelain', 'origin', `HEAD:refs/heads/${this.branch}`]);
      return true;
    } catch (error) {
      const reason = gitMessage(error);
      if (!NON_FAST_FORWARD.test(reason)) throw gitopsError('unavailable', `cannot push to ${this.url}: ${reason}`, { cause: error });
      if (attempt === this.attempts) return { error, last: true };
      const ceiling = Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.round(ceiling / 2 + Math.random() * (ceiling / 2));
      this.onPushRetry?.({
        attempt,
        delayMs,
        reason:
          reason
            .split('\n')
            .find((line) => NON_FAST_FORWARD.test(line))
            ?.trim() ?? 'rejected',
      });
      await sleep(delayMs);
      return { error, last: false };
    }
  }

  /** Validates every path before any work starts: a bad one fails the whole call. */
  private checkFiles(dir: string, files: Record<string, string>): Map<string, string> {
    const checked = new Map<string, string>();
    for (const [name, content] of Object.entries(files)) {
      if (typeof content !== 'string') throw new GitOpsPathError(`content of ${JSON.stringify(name)} must be a string`, name);
      checked.set(joinSafe(name), content);
      joinSafe(dir, name);
    }
    if (checked.size === 0) throw new GitOpsPathError('no files to write', dir);
    return checked;
  }

  private async writeCommitPush(job: {
    dir: string;
    files: Map<string, string>;
    message: string;
    allowEmpty: boolean;
    existing?: () => Promise<string | undefined>;
  }): Promise<CommitResult> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.attempts; attempt++) {
      const branchExists = await this.syncFresh();
      const git = this.git();
      if (branchExists && job.existing) {
        const sha = await job.existing();
        if (sha) return { sha, created: false };
      }

      await emptyDirInside(this.workDir, job.dir);
      for (const [name, content] of job.files) await writeFileInside(this.workDir, `${job.dir}/${name}`, content);
      await git.raw(['add', '--all', '--', job.dir]);
      if (!job.allowEmpty && branchExists) {
        const status = await git.raw(['status', '--porcelain', '--', job.dir]);
        if (status.trim() === '') return { sha: (await git.raw(['rev-parse', 'HEAD'])).trim(), created: false };
      }
      await git.raw(['commit', '--no-verify', '--quiet', ...(job.allowEmpty ? ['--allow-empty'] : []), '-m', job.message]);
      const sha = (await git.raw(['rev-parse', 'HEAD'])).trim();

      const pushed = await this.push(attempt);
      if (pushed === true) return { sha, created: true };
      lastError = pushed.error;
      if (pushed.last) break;
    }
    throw gitopsError('conflict', `push to ${this.branch} of ${this.url} was rejected ${this.attempts} times (concurrent writers)`, {
      transient: true,
      cause: lastError,
    });
  }
}
