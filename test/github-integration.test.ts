// The GitHub integration against the GitHub API simulator (Octokit pointed at it): the webhook is
// registered with the project and removed with it; the branch is pinned through the API; each
// deployment shows up on GitHub as in_progress, then success with the live URL (or failure).
import path from 'node:path';
import { postWebhook } from './support/webhook.js';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo, type AppRepo } from './support/git.js';
import { createGitHubSimulator, httpWebhookDelivery, type GitHubSimulator } from '../simulators/github/index.js';

const TOKEN = 'ghp_testtokentesttokentesttokentest0001';
let github: GitHubSimulator;
let githubServer: ServerType;
let stack: TestStack;
let repo: AppRepo;
let githubUrl: string;

beforeAll(async () => {
  const { mkdtempSync } = await import('node:fs');
  const os = await import('node:os');
  repo = createAppRepo(path.join(mkdtempSync(path.join(os.tmpdir(), 'gh-src-')), 'app'));
  // The simulator delivers hooks (signed with the secret it holds) straight into the engine's API.
  const intoEngine = httpWebhookDelivery({
    fetch: (async (url: string | URL, init?: RequestInit) => {
      const target = new URL(url);
      return stack.app.request(`${target.pathname}${target.search}`, init);
    }) as typeof fetch,
  });
  github = createGitHubSimulator({
    tokens: [TOKEN],
    repos: [{ owner: 'acme', repo: 'shop', defaultBranch: 'main', branches: { main: repo.head() }, cloneUrl: repo.dir }],
    webhookDelivery: intoEngine,
  });
  githubUrl = await new Promise<string>((resolve) => {
    githubServer = serve({ fetch: github.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => resolve(`http://127.0.0.1:${info.port}`));
  });
  stack = await startStack({ env: { GITHUB_TOKEN: TOKEN, GITHUB_API_URL: githubUrl, PUBLIC_API_URL: 'https://deploy.example.com' } });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  githubServer?.close();
  await github?.close();
});

const calls = (method: string, pathPart: string) => github.calls.filter((c) => c.method === method && c.path.includes(pathPart));

describe('GitHub integration', () => {
  it('registers the webhook on project creation and removes it on deletion', async () => {
    const created = await stack.api<any>('POST', '/v1/projects', {
      name: 'hooked',
      userId: 'kim',
      repoUrl: 'https://github.com/acme/shop',
      branch: 'main',
      appPort: 8080,
    });
    expect(created.status).toBe(201);
    expect(created.body.githubHook).toMatchObject({ registered: true });
    expect(created.body.webhookUrl).toBe(`https://deploy.example.com/v1/webhooks/github?project=${created.body.id}`);
    const [hookCall] = calls('POST', '/repos/acme/shop/hooks');
    expect(hookCall?.body).toMatchObject({ config: { url: created.body.webhookUrl, content_type: 'json' }, events: ['push'] });
    expect(JSON.stringify(github.calls)).not.toContain(created.body.webhookSecret);
    const deleted = await stack.api('DELETE', `/v1/projects/${created.body.id}`);
    expect(deleted.status).toBe(202);
    expect(calls('DELETE', `/repos/acme/shop/hooks/${created.body.githubHook.hookId}`)).toHaveLength(1);
    expect((await stack.api('GET', `/v1/projects/${created.body.id}`)).status).toBe(404);
  });

  it('rotates the webhook secret: the hook gets the new one, and the old one is accepted for its grace period only', async () => {
    const created = await stack.api<any>('POST', '/v1/projects', {
      name: 'rotated',
      userId: 'kim',
      repoUrl: 'https://github.com/acme/shop',
      branch: 'main',
      appPort: 8080,
    });
    const oldSecret: string = created.body.webhookSecret;
    const rotated = await stack.api<any>('POST', `/v1/projects/${created.body.id}/webhook-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.webhookSecret).not.toBe(oldSecret);
    expect(rotated.body.githubHook).toEqual({ registered: true, hookId: created.body.githubHook.hookId });
    expect(new Date(rotated.body.previousSecretValidUntil).getTime() - Date.now()).toBeGreaterThan(3_500_000);
    expect(calls('PATCH', `/repos/acme/shop/hooks/${created.body.githubHook.hookId}`)).toHaveLength(1);
    const ping = async (secret: string) => {
      const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: created.body.githubHook.hookId, repository: { full_name: 'acme/shop' } });
      return (await postWebhook(stack.app, body, { project: created.body.id, secret, event: 'ping' })).status;
    };
    expect(await ping(rotated.body.webhookSecret)).toBe(200);
    expect(await ping(oldSecret)).toBe(200);
    await stack.db.project.update({ where: { id: created.body.id }, data: { previousWebhookSecretUntil: new Date(Date.now() - 1000) } });
    expect(await ping(oldSecret)).toBe(401);
    expect(await ping(rotated.body.webhookSecret)).toBe(200);
    // GitHub holds the new secret: with the old one expired, its own ping gets through.
    const pinged = await fetch(`${githubUrl}/repos/acme/shop/hooks/${created.body.githubHook.hookId}/pings`, {
      method: 'POST',
      headers: { authorization: `token ${TOKEN}` },
    });
    expect(pinged.status).toBe(204);
    await github.settled();
    expect(github.deliveries.filter((d) => d.hookId === created.body.githubHook.hookId).at(-1)).toMatchObject({ event: 'ping', ok: true });
    // Reads never show either secret.
    const read = await stack.api<any>('GET', `/v1/projects/${created.body.id}`);
    expect(JSON.stringify(read.body)).not.toContain(rotated.body.webhookSecret);
    expect(JSON.stringify(read.body)).not.toContain(oldSecret);
  });

  it('pins the branch through the API and reports the deployment: in_progress, then success with the live URL', async () => {
    const created = await stack.api<any>('POST', '/v1/projects', {
      name: 'reported',
      userId: 'kim',
      repoUrl: 'https://github.com/acme/shop',
      branch: 'main',
      appPort: 8080,
    });
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${created.body.id}/deployments`, {});
    const done = await waitForDeployment(stack, requested.body.id, { timeoutMs: 60_000 });
    expect(done.status).toBe('succeeded');
    expect(done.commitSha).toBe(repo.head());
    expect(calls('GET', '/repos/acme/shop/branches/main').length).toBeGreaterThan(0);
    const [deployment] = calls('POST', '/repos/acme/shop/deployments').filter((c) => c.status === 201);
    expect(deployment?.body).toMatchObject({ ref: repo.head() });
    // Statuses are reported after the outcome is recorded: wait for the last one.
    for (let i = 0; i < 50 && !calls('POST', '/statuses').some((c) => (c.body as any)?.state === 'success'); i += 1)
      await new Promise((r) => setTimeout(r, 100));
    const states = calls('POST', '/statuses').map((c) => c.body as any);
    expect(states.map((s) => s.state)).toEqual(['in_progress', 'success']);
    expect(states[1].environment_url).toBe(done.liveUrl);
  }, 90_000);

  it('reports a failed deployment as failure with the reason', async () => {
    const created = await stack.api<any>('POST', '/v1/projects', {
      name: 'broken',
      userId: 'kim',
      repoUrl: 'https://github.com/acme/shop',
      branch: 'main',
      appPort: 8080,
    });
    stack.world.scenarios.set(created.body.appName, { build: { result: 'FAILURE' } });
    const before = calls('POST', '/statuses').length;
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${created.body.id}/deployments`, {});
    const done = await waitForDeployment(stack, requested.body.id, { timeoutMs: 60_000 });
    expect(done.status).toBe('failed');
    for (let i = 0; i < 50 && calls('POST', '/statuses').length < before + 2; i += 1) await new Promise((r) => setTimeout(r, 100));
    const states = calls('POST', '/statuses')
      .slice(before)
      .map((c) => c.body as any);
    expect(states.map((s) => s.state)).toEqual(['in_progress', 'failure']);
    expect(states[1].description).toMatch(/build: Jenkins build #\d+ ended FAILURE/);
  }, 90_000);
});
