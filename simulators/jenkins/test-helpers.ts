// Helpers for tests that run the Jenkins simulator over real HTTP: a real git repository of a
// small Node app, a server on a free port, Basic auth headers, polling.
import { execFileSync, spawn } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveOnLoopback } from '../common/serve.js';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../../test/support/registry.js';
import { ScenarioStore } from '../common/scenario.js';
import { createJenkinsSimulator, type JenkinsSimulator, type JenkinsSimulatorOptions } from './index.js';

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
    execFileSync('git', ['-c', 'user.name=Test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
      cwd: dir,
      encoding: 'utf8',
    }).trim();
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

export function startServer(fetch: (req: Request) => Response | Promise<Response>): Promise<RunningServer> {
  return serveOnLoopback(fetch);
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

export interface JenkinsFixture {
  url: string;
  sim: JenkinsSimulator;
  scenarios: ScenarioStore;
  repo: TestRepo & { initialSha: string };
  registry?: RunningRegistry;
  tmp: string;
  close(): Promise<void>;
}

export const USERS = {
  alice: { name: 'alice', apiToken: '11aa22bb33cc44dd55ee66ff77', fullName: 'Alice Admin' },
  bob: { name: 'bob', apiToken: '99zz88yy77xx', password: 'b0b-password' },
  carol: { name: 'carol', apiToken: 'c4r0l-token', readOnly: true },
} as const;

/** A simulator (job platform/app-build + plain job platform/cleanup) on a free port, a git repo, and a real registry if installed. */
export async function startJenkinsFixture(overrides: Partial<JenkinsSimulatorOptions> = {}, withRegistry = true): Promise<JenkinsFixture> {
  const tmp = mkdtempSync(path.join(os.tmpdir(), 'jenkins-sim-test-'));
  const repo = createGitRepo(path.join(tmp, 'repo'));
  const registry = withRegistry && dockerRegistryAvailable() ? await startRegistryWithRetry(path.join(tmp, 'registry')) : undefined;
  const scenarios = new ScenarioStore();
  const sim = createJenkinsSimulator({
    scenarios,
    users: Object.values(USERS),
    jobPath: 'platform/app-build',
    plainJobs: ['platform/cleanup'],
    registry: { url: registry?.url ?? 'http://127.0.0.1:9' },
    workDir: path.join(tmp, 'work'),
    ...overrides,
  });
  const server = await startServer(sim.app.fetch);
  return {
    url: server.url,
    sim,
    scenarios,
    repo,
    registry,
    tmp,
    async close() {
      await server.close();
      await sim.close();
      await registry?.stop();
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

let deployCounter = 0;

/** A complete parameter set for the app ws1-u1-shop with a unique DEPLOY_ID. */
export function deployParams(repo: { url: string; initialSha: string }, overrides: Record<string, string> = {}): Record<string, string> {
  deployCounter += 1;
  const id = `dep-${process.pid}-${deployCounter}-${Math.random().toString(36).slice(2, 8)}`;
  return {
    DEPLOY_ID: id,
    REPO_URL: repo.url,
    COMMIT_SHA: repo.initialSha,
    BRANCH: 'main',
    PROJECT_NAME: 'shop',
    USER_ID: 'u1',
    WORKSPACE_ID: 'ws1',
    FRAMEWORK: 'nextjs',
    IMAGE_REPOSITORY: 'apps/ws1/u1-shop',
    IMAGE_TAG: id,
    ...overrides,
  };
}

/**
 * startDockerRegistry probes for a free port from 25000 up and only then binds it, so two test
 * files starting a registry at the same moment can pick the same port: retry a few times.
 */
export async function startRegistryWithRetry(dir: string, attempts = 5): Promise<RunningRegistry> {
  for (let i = 1; ; i += 1) {
    try {
      return await startDockerRegistry(path.join(dir, `attempt-${i}`));
    } catch (error) {
      if (i >= attempts) throw error;
      await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 400)));
    }
  }
}

export interface PrivateGitServer {
  /** http:// URL of the repository (no credentials in it). */
  url: string;
  /** Every request line the server got (method and URL), to check no secret travels in a URL. */
  requests: string[];
  close(): Promise<void>;
}

/**
 * Serves a bare copy of `sourceDir` over git's smart HTTP protocol (`git http-backend` as a
 * CGI), refusing every request without HTTP Basic `username:token`: a private repository.
 */
export async function startPrivateGitServer(sourceDir: string, scratchDir: string, credential: { username: string; token: string }): Promise<PrivateGitServer> {
  const root = path.join(scratchDir, 'private-git');
  mkdirSync(root, { recursive: true });
  execFileSync('git', ['clone', '--quiet', '--bare', sourceDir, path.join(root, 'app.git')]);
  const expected = basic(credential.username, credential.token);
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method ?? ''} ${req.url ?? ''}`);
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { 'www-authenticate': 'Basic realm="git"' }).end('Unauthorized\n');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://localhost');
    const cgi = spawn('git', ['http-backend'], {
      env: {
        PATH: process.env.PATH ?? '',
        GIT_PROJECT_ROOT: root,
        GIT_HTTP_EXPORT_ALL: '1',
        PATH_INFO: decodeURIComponent(url.pathname),
        QUERY_STRING: url.search.slice(1),
        REQUEST_METHOD: req.method ?? 'GET',
        CONTENT_TYPE: req.headers['content-type'] ?? '',
        HTTP_CONTENT_ENCODING: req.headers['content-encoding'] ?? '',
        GIT_PROTOCOL: String(req.headers['git-protocol'] ?? ''),
        REMOTE_USER: credential.username,
        REMOTE_ADDR: req.socket.remoteAddress ?? '',
      },
    });
    req.pipe(cgi.stdin);
    const chunks: Buffer[] = [];
    cgi.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    cgi.on('close', () => {
      // A CGI answer: header lines, a blank line, the body.
      const out = Buffer.concat(chunks);
      const split = out.indexOf('\r\n\r\n') >= 0 ? { at: out.indexOf('\r\n\r\n'), gap: 4 } : { at: out.indexOf('\n\n'), gap: 2 };
      if (split.at < 0) {
        res.writeHead(500).end();
        return;
      }
      const headers: Record<string, string> = {};
      let status = 200;
      for (const line of out.subarray(0, split.at).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        const name = line.slice(0, colon).trim().toLowerCase();
        const value = line.slice(colon + 1).trim();
        if (name === 'status') status = Number.parseInt(value, 10);
        else if (name) headers[name] = value;
      }
      res.writeHead(status, headers).end(out.subarray(split.at + split.gap));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/app.git`,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
