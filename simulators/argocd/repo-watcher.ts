// The repo-server's view of the GitOps repository: a private bare mirror that fetches one
// branch, resolves its head to a full SHA and reads trees and files at any fetched commit.
import { mkdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';

const HEAD_REF = 'refs/sim/head';

export class RepoWatcher {
  private readonly git: SimpleGit;
  private ready: Promise<void> | undefined;

  constructor(
    private readonly repo: { url: string; branch: string },
    private readonly mirrorDir: string,
  ) {
    mkdirSync(mirrorDir, { recursive: true });
    this.git = simpleGit({ baseDir: mirrorDir });
  }

  /** Fetches the branch; answers its head commit, or undefined when the branch does not exist (yet). */
  async fetch(): Promise<string | undefined> {
    await this.init();
    try {
      await this.git.raw(['fetch', '--quiet', '--no-tags', '--force', this.repo.url, `+refs/heads/${this.repo.branch}:${HEAD_REF}`]);
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (/couldn't find remote ref|does not appear to be a git repository|no such ref/i.test(message)) return undefined;
      throw new Error(`git fetch ${this.repo.url} ${this.repo.branch} failed: ${message.trim()}`);
    }
    return (await this.git.raw(['rev-parse', '--verify', `${HEAD_REF}^{commit}`])).trim();
  }

  /** Every file path (from the repository root) under `dir` at a commit. */
  async listFiles(sha: string, dir = 'apps'): Promise<string[]> {
    const out = await this.git.raw(['ls-tree', '-r', '--name-only', sha, '--', dir]);
    return out.split('\n').filter(Boolean);
  }

  /** The git tree id of a folder at a commit (it changes exactly when a file below it changes), or undefined. */
  async treeId(sha: string, dir: string): Promise<string | undefined> {
    try {
      const out = await this.git.raw(['rev-parse', '--verify', '--quiet', `${sha}:${dir}`]);
      return out.trim() || undefined;
    } catch {
      return undefined;
    }
  }

  /** One file at a commit, or undefined when it does not exist. */
  async readFile(sha: string, file: string): Promise<string | undefined> {
    try {
      return await this.git.raw(['cat-file', 'blob', `${sha}:${file}`]);
    } catch {
      return undefined;
    }
  }

  /** The files of a folder at a commit, keyed by their path relative to that folder. */
  async readDir(sha: string, dir: string): Promise<Map<string, string>> {
    const files = new Map<string, string>();
    for (const file of await this.listFiles(sha, dir)) {
      const content = await this.git.raw(['cat-file', 'blob', `${sha}:${file}`]);
      files.set(path.posix.relative(dir, file), content);
    }
    return files;
  }

  private init(): Promise<void> {
    this.ready ??= (async () => {
      if (!existsSync(path.join(this.mirrorDir, 'HEAD'))) await this.git.raw(['init', '--quiet', '--bare']);
    })();
    return this.ready;
  }
}
