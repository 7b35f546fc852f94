// Reads an app's source repository with git: pins a branch to a commit, fetches exactly one
// commit (shallow) and lists or reads its files. Knows git, nothing of Temporal.
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { simpleGit, type SimpleGit } from 'simple-git';

export class SourceNotFoundError extends Error {
  readonly isTransient = false;
  constructor(message: string) {
    super(message);
    this.name = 'SourceNotFoundError';
  }
}

export class SourceUnavailableError extends Error {
  readonly isTransient = true;
  constructor(message: string) {
    super(message);
    this.name = 'SourceUnavailableError';
  }
}

export interface SourceSnapshot {
  commitSha: string;
  files: string[];
  readFile: (file: string) => Promise<string | undefined>;
  dispose: () => Promise<void>;
}

const SHA = /^[0-9a-f]{40}$/;

/** Git errors that mean "it is not there" rather than "try again". */
function classify(error: unknown, what: string): Error {
  const message = error instanceof Error ? error.message : String(error);
  if (/not our ref|couldn't find remote ref|does not appear to be a git repository|Repository not found|not found|no such|unadvertised object|invalid object|bad object|unable to read tree/i.test(message)) {
    return new SourceNotFoundError(`${what}: ${firstLine(message)}`);
  }
  return new SourceUnavailableError(`${what}: ${firstLine(message)}`);
}

function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).filter(Boolean).find((l) => /fatal|error/i.test(l)) ?? text.split('\n')[0] ?? text;
}

export class GitSource {
  constructor(private readonly workDir: string) {}

  /** The commit a branch points at now. */
  async resolveBranch(repoUrl: string, branch: string): Promise<string> {
    let out: string;
    try {
      out = await simpleGit().listRemote([repoUrl, `refs/heads/${branch}`]);
    } catch (error) {
      throw classify(error, `Cannot read repository ${repoUrl}`);
    }
    const sha = out.split('\n').map((l) => l.split('\t')).find(([, ref]) => ref === `refs/heads/${branch}`)?.[0];
    if (!sha) throw new SourceNotFoundError(`Branch ${branch} does not exist in ${repoUrl}`);
    return sha;
  }

  /** Fetches exactly `commitSha` (depth 1) into a scratch repository named after `key`. */
  async snapshot(repoUrl: string, commitSha: string, key: string): Promise<SourceSnapshot> {
    if (!SHA.test(commitSha)) throw new SourceNotFoundError(`Not a full commit SHA: ${commitSha}`);
    const dir = path.join(this.workDir, 'sources', key);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const git: SimpleGit = simpleGit(dir);
    try {
      await git.init(true);
      // Serving a commit by id needs protocol v2 (GitHub, GitLab and local repos allow it).
      await git.raw(['-c', 'protocol.version=2', 'fetch', '--depth=1', '--no-tags', repoUrl, commitSha]);
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw classify(error, `Commit ${commitSha} is not in ${repoUrl}`);
    }
    const files = (await git.raw(['ls-tree', '-r', '--name-only', commitSha])).split('\n').filter(Boolean);
    return {
      commitSha,
      files,
      readFile: async (file) => (files.includes(file) ? git.show([`${commitSha}:${file}`]) : undefined),
      dispose: () => rm(dir, { recursive: true, force: true }),
    };
  }
}
