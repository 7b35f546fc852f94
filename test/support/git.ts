// Real git repositories for tests: an app repository with commits, and a bare GitOps repository.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';

const git = (cwd: string, ...args: string[]) =>
  execFileSync('git', args, {
    cwd,
    encoding: 'utf8',
    env: { ...process.env, GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.com' },
  }).trim();

export interface AppRepo {
  dir: string;
  url: string;
  /** Commits the files (relative path -> content) on the branch; returns the commit SHA. */
  commit(files: Record<string, string>, message?: string, branch?: string): string;
  head(branch?: string): string;
}

/** A working repository with a Node app on `main`. */
export function createAppRepo(
  dir: string,
  files: Record<string, string> = {
    'package.json': JSON.stringify({ name: 'app', version: '1.0.0', scripts: { start: 'node index.js' } }),
    'index.js': 'console.log("hi")\n',
  },
): AppRepo {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  const repo: AppRepo = {
    dir,
    url: dir,
    commit(changes, message = 'change', branch = 'main') {
      const current = git(dir, 'symbolic-ref', '--short', 'HEAD');
      if (current !== branch) {
        try {
          git(dir, 'checkout', '-q', branch);
        } catch {
          git(dir, 'checkout', '-q', '-b', branch);
        }
      }
      for (const [file, content] of Object.entries(changes)) {
        mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
        writeFileSync(path.join(dir, file), content);
      }
      git(dir, 'add', '-A');
      git(dir, 'commit', '-q', '--allow-empty', '-m', message);
      return git(dir, 'rev-parse', 'HEAD');
    },
    head: (branch = 'main') => git(dir, 'rev-parse', branch),
  };
  repo.commit(files, 'initial commit');
  return repo;
}

/** An empty bare repository (the GitOps repository); the bootstrap gives it its first commit. */
export function createBareRepo(dir: string): string {
  mkdirSync(dir, { recursive: true });
  git(dir, 'init', '-q', '--bare', '-b', 'main');
  return dir;
}

export function gitIn(dir: string, ...args: string[]): string {
  return git(dir, ...args);
}
