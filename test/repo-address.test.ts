// Repository URLs cannot reach inside the platform, end to end. A TCP listener on 127.0.0.1
// stands for an internal service (it counts connections). It proves:
//   - git really connects to the pinned address: a name that resolves nowhere reaches the
//     listener through the pin, and does not without it (so the count can fail);
//   - with ALLOW_LOOPBACK_REPOS off, creating a project on internal addresses (any spelling) or
//     on a host outside REPO_HOSTS is a 400 naming repoUrl and the rule;
//   - a listed name that turns out to resolve to loopback at connect time (`localhost`), and a
//     GitHub clone_url pointing at loopback, fail resolve_source at once with
//     repo_address_refused; the listener saw no connection, Jenkins was never triggered, and the
//     message says nothing a far side could have answered.
import { createServer, type AddressInfo, type Server } from 'node:net';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GitSource } from '../clients/git-source.js';
import { pinRepoUrl } from '../lib/repo-address.js';
import { createGitHubSimulator, type GitHubSimulator } from '../simulators/github/index.js';
import { startStack, waitForDeployment, type DeploymentBody, type TestStack } from './support/stack.js';

const TOKEN = 'ghp_repoaddresstesttokentesttoken0001';
let listener: Server;
let port: number;
let connections = 0;
let github: GitHubSimulator;
let githubServer: ServerType;
let stack: TestStack;

beforeAll(async () => {
  listener = createServer((socket) => {
    connections += 1;
    socket.destroy();
  });
  port = await new Promise<number>((resolve) => listener.listen(0, '127.0.0.1', () => resolve((listener.address() as AddressInfo).port)));
  github = createGitHubSimulator({
    tokens: [TOKEN],
    repos: [{ owner: 'acme', repo: 'shop', branches: { main: 'a'.repeat(40) }, cloneUrl: `https://127.0.0.1:${port}/acme/shop.git` }],
  });
  const githubUrl = await new Promise<string>((resolve) => {
    githubServer = serve({ fetch: github.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
  });
  stack = await startStack({ env: { ALLOW_LOOPBACK_REPOS: 'false', REPO_HOSTS: 'github.com,localhost', GITHUB_TOKEN: TOKEN, GITHUB_API_URL: githubUrl } });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  githubServer?.close();
  await github?.close();
  listener?.close();
});

describe('the connect-time pin', () => {
  it('makes git connect to the checked address, whatever the name resolves to', async () => {
    const git = new GitSource(mkdtempSync(path.join(tmpdir(), 'pin-')));
    const url = `https://repo.pinned.invalid:${port}/acme/app.git`;
    const policy = { hosts: new Set(['repo.pinned.invalid']), allowLoopback: true, allowLocal: false };
    const before = connections;
    // Unpinned, the name resolves nowhere: no connection.
    await expect(git.resolveBranch(url, 'main')).rejects.toThrow(/resolve host/i);
    expect(connections).toBe(before);
    const pinned = await pinRepoUrl(url, policy, async () => ['127.0.0.1']);
    await expect(git.resolveBranch(pinned.url, 'main', { config: pinned.config })).rejects.toThrow();
    expect(connections).toBeGreaterThan(before);
  });
});

describe('repository addresses', () => {
  const create = (name: string, repoUrl: string) => stack.api<any>('POST', '/v1/projects', { name, userId: 'alice', repoUrl, branch: 'main', appPort: 8080 });
  const triggers = () =>
    Object.entries(stack.world.jenkins.counters.snapshot().routes)
      .filter(([route]) => route.includes('buildWithParameters'))
      .reduce((sum, [, n]) => sum + n, 0);

  it('refuses projects on internal addresses or unlisted hosts at creation: 400 naming repoUrl and the rule', async () => {
    const connectionsBefore = connections;
    const cases: [string, RegExp][] = [
      [`https://127.0.0.1:${port}/acme/app.git`, /127\.0\.0\.1 is not allowed: it is a loopback address/],
      [`https://0x7f000001:${port}/acme/app.git`, /127\.0\.0\.1 is not allowed: it is a loopback address/],
      [`https://2130706433:${port}/acme/app.git`, /127\.0\.0\.1 is not allowed: it is a loopback address/],
      [`git@127.0.0.1:acme/app.git`, /127\.0\.0\.1 is not allowed: it is a loopback address/],
      ['https://169.254.169.254/latest/meta-data', /169\.254\.169\.254 is not allowed: it is a link-local address/],
      ['https://10.0.0.1/repo.git', /10\.0\.0\.1 is not allowed: it is a private address/],
      ['https://gitlab.evil.com/acme/app.git', /gitlab\.evil\.com is not in REPO_HOSTS/],
      ['https://github.com.evil.com/acme/app.git', /github\.com\.evil\.com is not in REPO_HOSTS/],
    ];
    for (const [i, [repoUrl, rule]] of cases.entries()) {
      const res = await create(`refused-${i}`, repoUrl);
      expect(res.status, repoUrl).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.details).toEqual([{ field: 'repoUrl', rule: expect.stringMatching(rule) }]);
    }
    expect(await stack.db.project.count({ where: { name: { startsWith: 'refused-' } } })).toBe(0);
    expect(connections).toBe(connectionsBefore);
  });

  async function deployRefused(name: string, repoUrl: string): Promise<DeploymentBody> {
    const before = { connections, triggers: triggers() };
    const project = await create(name, repoUrl);
    expect(project.status).toBe(201);
    const started = Date.now();
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${project.body.id}/deployments`, {});
    expect(requested.status).toBe(202);
    const deployment = await waitForDeployment(stack, requested.body.id, { timeoutMs: 30_000 });
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'resolve_source', type: 'repo_address_refused' });
    expect(deployment.error!.message).toMatch(/not allowed.*loopback address/);
    // No connection was made, so nothing a server said can be in it.
    expect(deployment.error!.message).not.toMatch(/gnutls|ssl|handshake|reset|refused by|HTTP/i);
    expect(connections).toBe(before.connections);
    expect(triggers()).toBe(before.triggers);
    return deployment;
  }

  it('a listed name that resolves to loopback at connect time fails resolve_source with repo_address_refused, connecting nowhere', async () => {
    const deployment = await deployRefused('rebound', `https://localhost:${port}/acme/app.git`);
    expect(deployment.error!.message).toContain('localhost');
  }, 60_000);

  it("GitHub's clone_url goes through the same check", async () => {
    const deployment = await deployRefused('cloned', 'https://github.com/acme/shop');
    expect(deployment.error!.message).toContain('127.0.0.1 is not allowed');
  }, 60_000);
});
