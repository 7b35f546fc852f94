// Helpers for tests that run the Jenkins simulator over real HTTP: a real git repository of a
// small Node app, a server on a free port, Basic auth headers, polling.
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { serve } from '@hono/node-server';

export interface TestRepo {
  dir: string;
  /** file:// URL of the repository. */
  url: string;
  /** Commits the files (path -> content) and returns the new commit SHA. */
  commit(files: Record<string, string>, message: string): string;
}

export function createGitRepo(dir: string, projectName = 'shop'): TestRepo & { initialSha: string } {
  mkdirSync(dir, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], { cwd: dir, encoding: 'utf8' }).trim();
  git('init', '--quiet', '--initial-branch=main');
  const commit = (files: Record<string, string>, message: string) => {
    for (const [file, content] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), content);
    }
    git('add', '-A');
    git('commit', '--quiet', '-m', message);
    return git('rev-parse', 'HEAD');
  };
  const initialSha = commit(
    {
      'package.json': `${JSON.stringify({ name: projectName, version: '1.0.0', private: true, scripts: { build: 'next build', start: 'next start' }, dependencies: { next: '14.2.0', react: '18.3.1' } }, null, 2)}\n`,
      'pages/index.js': "export default function Home() { return 'hello'; }\n",
    },
    'Initial commit',
  );
  return { dir, url: `file://${dir}`, commit, initialSha };
}

export interface RunningServer {
  url: string;
  close(): Promise<void>;
}

export async function startServer(fetch: (req: Request) => Response | Promise<Response>): Promise<RunningServer> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => {
      resolve({
        url: `http://127.0.0.1:${info.port}`,
        close: () =>
          new Promise<void>((done) => {
            if ('closeAllConnections' in server) server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

export function basic(user: string, secret: string): string {
  return `Basic ${Buffer.from(`${user}:${secret}`).toString('base64')}`;
}

/** Polls `fn` until it returns a value other than undefined (or throws after timeoutMs). */
export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 20_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await fn();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
