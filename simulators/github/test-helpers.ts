// Helpers for tests that run the GitHub simulator over real HTTP on a free port.
import { serveOnLoopback } from '../common/serve.js';
import { createGitHubSimulator, type GitHubSimulator, type GitHubSimulatorOptions } from './index.js';

export const TOKEN = 'ghp_simTestToken0123456789abcdefABCDEF';
export const OTHER_TOKEN = 'ghp_otherTestToken9876543210';
export const SHA_MAIN = '1111111111111111111111111111111111111111';
export const SHA_DEV = '2222222222222222222222222222222222222222';

export interface GitHubFixture {
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
