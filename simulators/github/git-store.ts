// Real bare git repositories on disk for the disk-backed simulated repositories: built and
// moved with git plumbing (no work tree), and read back so the REST API reports exactly the
// branches and commits that `git http-backend` serves.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { StoredCommit } from './types.js';

/** A git command failed; the message holds its stderr (the simulator's own repositories, no secrets). */
export class GitCommandError extends Error {
  constructor(args: string[], code: number | null, stderr: string) {
    super(`git ${args.join(' ')} exited with ${code}: ${stderr.trim()}`);
    this.name = 'GitCommandError';
  }
}

// Fixed identity and dates from the clock: the commits look the same on every machine, and
// neither the user's nor the system's git configuration takes part.
const GIT_ENV = {
  GIT_AUTHOR_NAME: 'Simulated Developer',
  GIT_AUTHOR_EMAIL: 'dev@example.com',
  GIT_COMMITTER_NAME: 'Simulated Developer',
  GIT_COMMITTER_EMAIL: 'dev@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

export function runGit(args: string[], options: { env?: Record<string, string>; input?: string } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', args, {
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...GIT_ENV, ...options.env },
      stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    });
    const out: Buffer[] = [];
    let err = '';
    child.stdout?.on('data', (chunk: Buffer) => out.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => {
      if (err.length < 4000) err += chunk.toString();
    });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(Buffer.concat(out).toString()) : reject(new GitCommandError(args, code, err))));
    if (child.stdin) {
      child.stdin.on('error', () => undefined);
      child.stdin.end(options.input);
    }
  });
}

export interface GitSnapshot {
  branches: Map<string, string>;
  commits: StoredCommit[];
}

export class GitStore {
  private root: string | undefined;
  private readonly ownsRoot: boolean;
  private readonly created = new Set<string>();

  constructor(root?: string) {
    this.root = root;
    this.ownsRoot = root === undefined;
  }

  /** GIT_PROJECT_ROOT for http-backend; undefined until the first repository exists. */
  get projectRoot(): string | undefined {
    return this.root;
  }

  /** Creates `<root>/<random>/<key>.git` with one commit of `files` on `branch` (also HEAD). Returns its directory and the commit. */
  async create(key: string, branch: string, files: Record<string, string>, message: string): Promise<{ gitDir: string; sha: string }> {
    this.root ??= await mkdtemp(join(tmpdir(), 'github-sim-git-'));
    // A fresh parent per repository: one created after a reset never meets the removal of its predecessor.
    const parent = join(this.root, randomBytes(6).toString('hex'));
    this.created.add(parent);
    const gitDir = join(parent, `${key}.git`);
    await mkdir(gitDir, { recursive: true });
    await runGit(['init', '--quiet', '--bare', `--initial-branch=${branch}`, gitDir]);
    const { after } = await this.commit(gitDir, branch, files, message);
    return { gitDir, sha: after };
  }

  /** One commit on `branch` (created from nothing if missing): `files` written, `null` ones removed. */
  async commit(gitDir: string, branch: string, files: Record<string, string | null>, message: string): Promise<{ before: string | undefined; after: string }> {
    const git = (args: string[], options?: { env?: Record<string, string>; input?: string }) => runGit(['--git-dir', gitDir, ...args], options);
    const before = (await git(['rev-parse', '--verify', '--quiet', `refs/heads/${branch}^{commit}`]).catch(() => '')).trim() || undefined;
    const index = join(gitDir, `sim-index-${randomBytes(6).toString('hex')}`);
    const env = { GIT_INDEX_FILE: index };
    try {
      await git(before ? ['read-tree', before] : ['read-tree', '--empty'], { env });
      // --index-info needs no work tree; mode 0 removes the path.
      const entries: string[] = [];
      for (const [path, content] of Object.entries(files)) {
        const blob = content === null ? '0'.repeat(40) : (await git(['hash-object', '-w', '--stdin'], { input: content })).trim();
        entries.push(`${content === null ? '0' : '100644'} ${blob}\t${path}`);
      }
      await git(['update-index', '--index-info'], { env, input: `${entries.join('\n')}\n` });
      const tree = (await git(['write-tree'], { env })).trim();
      const after = (await git(['commit-tree', tree, ...(before ? ['-p', before] : []), '-m', message])).trim();
      await git(['update-ref', `refs/heads/${branch}`, after, before ?? '']);
      return { before, after };
    } finally {
      await rm(index, { force: true });
    }
  }

  /** Every branch head and every commit reachable from one. */
  async snapshot(gitDir: string): Promise<GitSnapshot> {
    const refs = await runGit(['--git-dir', gitDir, 'for-each-ref', '--format=%(refname:lstrip=2) %(objectname)', 'refs/heads']);
    const branches = new Map(
      refs
        .split('\n')
        .filter(Boolean)
        .map((line) => {
          const at = line.lastIndexOf(' ');
          return [line.slice(0, at), line.slice(at + 1)] as [string, string];
        }),
    );
    if (branches.size === 0) return { branches, commits: [] };
    const log = await runGit(['--git-dir', gitDir, 'log', '--branches', '--format=%H%x00%P%x00%ct%x00%B%x1e']);
    const commits = log
      .split('\x1e')
      .map((record) => record.replace(/^\n/, ''))
      .filter(Boolean)
      .map((record): StoredCommit => {
        const [sha = '', parents = '', time = '0', message = ''] = record.split('\0');
        return {
          sha,
          parents: parents.split(' ').filter(Boolean),
          date: new Date(Number(time) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z'),
          message: message.trimEnd(),
        };
      });
    return { branches, commits };
  }

  /** Removes the repositories it created (a simulator reset); a root of its own goes too. */
  clear(): Promise<void> {
    const doomed = this.ownsRoot && this.root ? [this.root] : [...this.created];
    this.created.clear();
    if (this.ownsRoot) this.root = undefined;
    return Promise.all(doomed.map((dir) => rm(dir, { recursive: true, force: true }))).then(() => undefined);
  }
}
