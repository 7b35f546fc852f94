// Helpers for tests that run the GitHub simulator over real HTTP on a free port, and a typed
// client of its /_sim/github control routes (disk-backed repositories, GitHub Apps, tokens).
import { createSign } from 'node:crypto';
import { serveOnLoopback } from '../common/serve.js';
import { createGitHubSimulator, type GitHubSimulator, type GitHubSimulatorOptions } from './index.js';
import type { GitRepoOptions } from './types.js';

export const TOKEN = 'ghp_simTestToken0123456789abcdefABCDEF';
export const OTHER_TOKEN = 'ghp_otherTestToken9876543210';
export const SHA_MAIN = '1111111111111111111111111111111111111111';
export const SHA_DEV = '2222222222222222222222222222222222222222';

export interface CreatedGitRepo {
  fullName: string;
  /** `<simulator>/<owner>/<repo>.git`, also the REST `clone_url`. */
  cloneUrl: string;
  branch: string;
  commitSha: string;
}

export interface AddedCommit {
  ref: string;
  before: string;
  commitSha: string;
  created: boolean;
  deliveries: unknown[];
}

export interface RegisteredApp {
  id: number;
  slug: string;
  clientId: string;
  privateKeyPem: string;
}

/** The simulator's GitHub control routes, from any test that knows its URL. */
export interface GitHubSimControl {
  createGitRepo(options: GitRepoOptions): Promise<CreatedGitRepo>;
  /** One commit on `branch` (default: the default branch); `null` removes a file. Delivers a push unless `deliver: false`. */
  addCommit(options: {
    owner: string;
    repo: string;
    branch?: string;
    files: Record<string, string | null>;
    message?: string;
    deliver?: boolean;
  }): Promise<AddedCommit>;
  registerApp(name?: string): Promise<RegisteredApp>;
  /** Installs the app on `owner/repo` names (one owner); answers the installation id. */
  installApp(appId: number, repositories: string[], permissions?: Record<string, 'read' | 'write'>): Promise<{ id: number }>;
  setTokenLifetime(seconds: number): Promise<void>;
  /** Revokes an installation token or a configured PAT (until the next reset). */
  revokeToken(token: string): Promise<void>;
  /** Makes an installation token expire now. */
  expireToken(token: string): Promise<void>;
  /** Requests git made to `owner/repo` since the last counter reset. */
  gitRequests(owner: string, repo: string): Promise<number>;
}

export function gitHubSimControl(url: string): GitHubSimControl {
  const call = async <T>(method: string, path: string, json?: unknown): Promise<T> => {
    const res = await fetch(`${url}/_sim${path}`, {
      method,
      headers: json === undefined ? {} : { 'content-type': 'application/json' },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`GitHub simulator ${method} /_sim${path} answered ${res.status}: ${text}`);
    return (text ? JSON.parse(text) : undefined) as T;
  };
  return {
    createGitRepo: (options) => call('POST', '/github/git-repos', options),
    addCommit: ({ owner, repo, ...body }) => call('POST', `/github/git-repos/${owner}/${repo}/commits`, body),
    registerApp: (name) => call('POST', '/github/apps', name === undefined ? {} : { name }),
    installApp: (appId, repositories, permissions) =>
      call('POST', `/github/apps/${appId}/installations`, { repositories, ...(permissions ? { permissions } : {}) }),
    setTokenLifetime: async (seconds) => {
      await call('PUT', '/github/installation-token-lifetime', { seconds });
    },
    revokeToken: async (token) => {
      await call('POST', '/github/tokens/revoke', { token });
    },
    expireToken: async (token) => {
      await call('POST', '/github/tokens/expire', { token });
    },
    gitRequests: async (owner, repo) => {
      const { routes } = await call<{ routes: Record<string, number> }>('GET', '/counters');
      return routes[`git ${owner}/${repo}`.toLowerCase()] ?? 0;
    },
  };
}

/** An RS256 app JWT as GitHub documents it (iat 60 s back, exp 9 min ahead); `claims` overrides any claim. */
export function signAppJwt(appId: number | string, privateKeyPem: string, claims: Record<string, unknown> = {}): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
  const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: now - 60, exp: now + 540, iss: String(appId), ...claims })}`;
  return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(privateKeyPem, 'base64url')}`;
}

export interface GitHubFixture extends GitHubSimControl {
  sim: GitHubSimulator;
  url: string;
  /** fetch on the simulator with the test token. */
  api(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** fetch on the control API (`/_sim...`). */
  control(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

export async function startGitHubFixture(overrides: Partial<GitHubSimulatorOptions> = {}): Promise<GitHubFixture> {
  const sim = createGitHubSimulator({
    tokens: [TOKEN, OTHER_TOKEN],
    repos: [
      { owner: 'acme', repo: 'shop', branches: { main: SHA_MAIN, dev: SHA_DEV, 'feature/login': SHA_DEV } },
      { owner: 'acme', repo: 'secret-sauce', private: true, defaultBranch: 'trunk' },
    ],
    ...overrides,
  });
  const { url, close } = await serveOnLoopback(sim.app.fetch);
  const send = (path: string, init: RequestInit & { json?: unknown } = {}, auth?: string) => {
    const { json, headers, ...rest } = init;
    const h = new Headers(headers);
    if (auth && !h.has('authorization')) h.set('authorization', auth);
    if (json !== undefined) h.set('content-type', 'application/json');
    return fetch(`${url}${path}`, { ...rest, headers: h, body: json !== undefined ? JSON.stringify(json) : rest.body });
  };
  return {
    ...gitHubSimControl(url),
    sim,
    url,
    api: (path, init) => send(path, init, `token ${TOKEN}`),
    control: (path, init) => send(path, init),
    close: async () => {
      await sim.close();
      await close();
    },
  };
}
