// The engine's GitHub client (on Octokit) against the GitHub simulator over real HTTP.
import { createHash } from 'node:crypto';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { SHA_DEV, SHA_MAIN, startGitHubFixture, TOKEN, type GitHubFixture } from '../simulators/github/test-helpers.js';
import { ClientError } from './errors.js';
import { GitHubClient, GitHubValidationError, parseGitHubRepo, truncateDescription, webHostOf } from './github.js';

const HOOK_URL = 'https://engine.example.com/webhooks/github';

async function failure(promise: Promise<unknown>): Promise<ClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClientError);
  expect(error).toMatchObject({ system: 'github' });
  return error as ClientError;
}

describe('parseRepo', () => {
  const client = new GitHubClient({ token: 't', baseUrl: 'https://ghe.example.com/api/v3' });

  it.each([
    ['https://github.com/acme/shop', { owner: 'acme', repo: 'shop' }],
    ['https://github.com/acme/shop.git', { owner: 'acme', repo: 'shop' }],
    ['https://github.com/acme/shop/', { owner: 'acme', repo: 'shop' }],
    ['https://www.github.com/Acme/my.app.git', { owner: 'Acme', repo: 'my.app' }],
    ['https://x-access-token:abc@github.com/acme/shop.git', { owner: 'acme', repo: 'shop' }],
    ['http://github.com/acme/shop', { owner: 'acme', repo: 'shop' }],
    ['git@github.com:acme/shop.git', { owner: 'acme', repo: 'shop' }],
    ['git@github.com:acme/shop', { owner: 'acme', repo: 'shop' }],
    ['ssh://git@github.com/acme/shop.git', { owner: 'acme', repo: 'shop' }],
    ['ssh://git@github.com:22/acme/shop.git', { owner: 'acme', repo: 'shop' }],
    ['git://github.com/acme/shop.git', { owner: 'acme', repo: 'shop' }],
    ['acme/shop', { owner: 'acme', repo: 'shop' }],
    ['  acme/shop.git  ', { owner: 'acme', repo: 'shop' }],
    ['https://ghe.example.com/team/api', { owner: 'team', repo: 'api' }],
    ['git@ghe.example.com:team/api.git', { owner: 'team', repo: 'api' }],
  ])('%s', (url, expected) => {
    expect(client.parseRepo(url)).toEqual(expected);
  });

  it.each([
    'https://gitlab.com/acme/shop.git',
    'git@bitbucket.org:acme/shop.git',
    'https://github.com/acme',
    'https://github.com/acme/shop/tree/main',
    'https://github.com/acme/shop?tab=readme',
    'file:///srv/git/shop.git',
    '/srv/git/shop',
    'acme/..',
    '-acme/shop',
    'acme/sh op',
    'not a url',
    '',
  ])('rejects %s', (url) => {
    expect(client.parseRepo(url)).toBeNull();
  });

  it('knows the web host of api.github.com, GHE.com and GHES', () => {
    expect(webHostOf('https://api.github.com')).toBe('github.com');
    expect(webHostOf('https://api.acme.ghe.com')).toBe('acme.ghe.com');
    expect(webHostOf('https://ghe.example.com/api/v3')).toBe('ghe.example.com');
    expect(new GitHubClient({ token: 't' }).parseRepo('https://ghe.example.com/team/api')).toBeNull();
    expect(parseGitHubRepo('https://GitHub.com/acme/shop')).toEqual({ owner: 'acme', repo: 'shop' });
  });

  it('truncates a description to 140 characters', () => {
    expect(truncateDescription('short')).toBe('short');
    expect(truncateDescription('x'.repeat(140))).toBe('x'.repeat(140));
    const cut = truncateDescription(`${'é'.repeat(150)}`);
    expect([...cut]).toHaveLength(140);
    expect(cut.endsWith('…')).toBe(true);
  });
});

describe('GitHubClient against the simulator', () => {
  let fx: GitHubFixture;
  let client: GitHubClient;

  beforeAll(async () => {
    fx = await startGitHubFixture();
    client = new GitHubClient({ token: TOKEN, baseUrl: fx.url, timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await fx?.close();
  });
  beforeEach(async () => {
    await fx.control('/_sim/reset', { method: 'POST' });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** @hono/node-server logs each simulated dropped connection; keep the other errors. */
  const quietDrops = () => {
    const original = console.error.bind(console);
    vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
      if (!args.some((a) => a instanceof Error && a.message === 'simulated dropped connection')) original(...args);
    });
  };

  const calls = () => fx.sim.calls.map((c) => `${c.method} ${c.path} ${c.status}`);

  it('resolves a branch to its head SHA, also with a slash in the name', async () => {
    expect(await client.resolveBranch('acme', 'shop', 'main')).toBe(SHA_MAIN);
    expect(await client.resolveBranch('acme', 'shop', 'feature/login')).toBe(SHA_DEV);
    await fx.control('/_sim/github/repos/acme/shop/branches/main', { method: 'PUT', json: { sha: 'a'.repeat(40) } });
    expect(await client.resolveBranch('acme', 'shop', 'main')).toBe('a'.repeat(40));
    expect(calls()).toEqual([
      'GET /repos/acme/shop/branches/main 200',
      'GET /repos/acme/shop/branches/feature%2Flogin 200',
      'GET /repos/acme/shop/branches/main 200',
    ]);
  });

  it('reports a missing branch or repository as a terminal not_found', async () => {
    const branch = await failure(client.resolveBranch('acme', 'shop', 'nope'));
    expect(branch).toMatchObject({ kind: 'not_found', transient: false, status: 404 });
    expect(branch.message).toContain('Branch not found');
    expect(await failure(client.resolveBranch('acme', 'nope', 'main'))).toMatchObject({ kind: 'not_found' });
  });

  it('reports bad credentials as a terminal auth error without the token in the message', async () => {
    const bad = new GitHubClient({ token: 'ghp_wrongTokenValue123', baseUrl: fx.url });
    const error = await failure(bad.resolveBranch('acme', 'shop', 'main'));
    expect(error).toMatchObject({ kind: 'auth', transient: false, status: 401 });
    expect(error.message).toContain('Bad credentials');
    expect(error.message).not.toContain('ghp_wrongTokenValue123');
    expect(JSON.stringify(error)).not.toContain('ghp_wrongTokenValue123');
    expect(error.cause).toBeUndefined();
  });

  it('creates the push webhook idempotently: the second call finds the hook and adopts its secret', async () => {
    const id = await client.createWebhook('acme', 'shop', { url: HOOK_URL, secret: 'first-secret' });
    const again = await client.createWebhook('acme', 'shop', { url: HOOK_URL, secret: 'second-secret' });
    expect(again).toBe(id);
    const hooks = await (await fx.control('/_sim/github/repos/acme/shop/hooks')).json();
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      id,
      active: true,
      events: ['push'],
      config: { url: HOOK_URL, content_type: 'json', insecure_ssl: '0', secret: '********' },
    });
    const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
    expect(hooks[0].secret_sha256).toBe(sha256('second-secret'));
    expect(calls()).toEqual([
      'POST /repos/acme/shop/hooks 201',
      'POST /repos/acme/shop/hooks 422',
      'GET /repos/acme/shop/hooks 200',
      `PATCH /repos/acme/shop/hooks/${id} 200`,
    ]);
    expect(fx.sim.calls[0]?.body).toEqual({
      name: 'web',
      active: true,
      events: ['push'],
      config: { url: HOOK_URL, content_type: 'json', secret: '********', insecure_ssl: '0' },
    });
    expect(JSON.stringify(fx.sim.calls)).not.toContain('first-secret');
  });

  it('deletes a webhook, and deleting it again is fine', async () => {
    const id = await client.createWebhook('acme', 'shop', { url: HOOK_URL, secret: 's', contentType: 'form' });
    await client.deleteWebhook('acme', 'shop', id);
    await client.deleteWebhook('acme', 'shop', id);
    expect(await (await fx.control('/_sim/github/repos/acme/shop/hooks')).json()).toEqual([]);
    expect(calls()).toEqual(['POST /repos/acme/shop/hooks 201', `DELETE /repos/acme/shop/hooks/${id} 204`, `DELETE /repos/acme/shop/hooks/${id} 404`]);
    // Other failures are not swallowed.
    expect(await failure(new GitHubClient({ token: 'nope', baseUrl: fx.url }).deleteWebhook('acme', 'shop', id))).toMatchObject({ kind: 'auth' });
  });

  it('creates a deployment at the exact SHA, then in_progress and success with the environment URL', async () => {
    const id = await client.createDeployment('acme', 'shop', {
      ref: 'main',
      sha: SHA_DEV,
      environment: 'ws1-shop',
      description: 'Deploy shop',
      payload: { deployId: 'dep-1' },
      productionEnvironment: false,
    });
    await client.setDeploymentStatus('acme', 'shop', id, {
      state: 'in_progress',
      logUrl: 'https://engine.example.com/deployments/dep-1',
      description: 'Building',
    });
    const long = `Live at https://shop.apps.example.com ${'and then some more words '.repeat(10)}`;
    await client.setDeploymentStatus('acme', 'shop', id, { state: 'success', environmentUrl: 'https://shop.apps.example.com', description: long });

    const [deployment] = await (await fx.control('/_sim/github/repos/acme/shop/deployments')).json();
    expect(deployment).toMatchObject({
      id,
      sha: SHA_DEV,
      ref: SHA_DEV,
      environment: 'ws1-shop',
      payload: { deployId: 'dep-1' },
      description: 'Deploy shop',
      production_environment: false,
      transient_environment: false,
    });
    expect(deployment.statuses.map((s: any) => s.state)).toEqual(['in_progress', 'success']);
    expect(deployment.statuses[0]).toMatchObject({ log_url: 'https://engine.example.com/deployments/dep-1', description: 'Building' });
    expect(deployment.statuses[1]).toMatchObject({ environment_url: 'https://shop.apps.example.com' });
    expect([...deployment.statuses[1].description]).toHaveLength(140);

    expect(calls()).toEqual([
      'POST /repos/acme/shop/deployments 201',
      `POST /repos/acme/shop/deployments/${id}/statuses 201`,
      `POST /repos/acme/shop/deployments/${id}/statuses 201`,
    ]);
    expect(fx.sim.calls[0]?.body).toMatchObject({ ref: SHA_DEV, environment: 'ws1-shop', auto_merge: false, required_contexts: [] });
    expect(fx.sim.calls[2]?.body).toMatchObject({ state: 'success', environment_url: 'https://shop.apps.example.com' });
  });

  it('deploys a branch head when no SHA is given; an unknown ref is a terminal validation error', async () => {
    const id = await client.createDeployment('acme', 'shop', { ref: 'main', environment: 'staging' });
    expect((await (await fx.api(`/repos/acme/shop/deployments/${id}`)).json()).sha).toBe(SHA_MAIN);
    const error = await failure(client.createDeployment('acme', 'shop', { ref: 'main', sha: 'f'.repeat(40), environment: 'staging' }));
    expect(error).toBeInstanceOf(GitHubValidationError);
    expect(error).toMatchObject({ kind: 'invalid', transient: false, status: 422 });
    expect(await failure(client.setDeploymentStatus('acme', 'shop', 42, { state: 'success' }))).toMatchObject({ kind: 'not_found' });
  });

  it('classifies rate limits as transient, with the wait GitHub asks for', async () => {
    await fx.control('/_sim/github/rate-limit', { method: 'PUT', json: { secondary: 1, retryAfterSeconds: 30 } });
    const secondary = await failure(client.resolveBranch('acme', 'shop', 'main'));
    expect(secondary).toMatchObject({ kind: 'rate_limited', transient: true, status: 403, retryAfterMs: 30_000 });
    expect(secondary.message).toContain('secondary rate limit');

    await fx.control('/_sim/github/rate-limit', { method: 'PUT', json: { remaining: 0 } });
    const primary = await failure(client.resolveBranch('acme', 'shop', 'main'));
    expect(primary).toMatchObject({ kind: 'rate_limited', transient: true });
    expect(primary.retryAfterMs).toBeGreaterThan(0);
    await fx.control('/_sim/reset', { method: 'POST' });
    expect(await client.resolveBranch('acme', 'shop', 'main')).toBe(SHA_MAIN);
  });

  it('classifies a refused connection and a slow answer as transient', async () => {
    const closed = await startGitHubFixture();
    const url = closed.url;
    await closed.close();
    const refused = await failure(new GitHubClient({ token: TOKEN, baseUrl: url }).resolveBranch('acme', 'shop', 'main'));
    expect(refused).toMatchObject({ kind: 'unavailable', transient: true });

    await fx.control('/_sim/faults', { method: 'PUT', json: { latencyMs: 400 } });
    const slow = await failure(new GitHubClient({ token: TOKEN, baseUrl: fx.url, timeoutMs: 100 }).resolveBranch('acme', 'shop', 'main'));
    expect(slow).toMatchObject({ kind: 'timeout', transient: true });
  });

  it('with faults at 0.3 (seeded), every failure is transient and every other call succeeds', async () => {
    quietDrops();
    await fx.control('/_sim/faults', { method: 'PUT', json: { errorRate: 0.3, dropRate: 0.3, seed: 20261201 } });
    const outcomes: string[] = [];
    for (let i = 0; i < 40; i += 1) {
      try {
        expect(await client.resolveBranch('acme', 'shop', 'main')).toBe(SHA_MAIN);
        outcomes.push('ok');
      } catch (error) {
        expect(error).toBeInstanceOf(ClientError);
        expect(error).toMatchObject({ system: 'github', transient: true });
        outcomes.push((error as ClientError).kind);
      }
    }
    const { faults } = fx.sim.counters.snapshot();
    expect(faults.error).toBeGreaterThan(0);
    expect(faults.drop).toBeGreaterThan(0);
    const failed = outcomes.filter((o) => o !== 'ok');
    expect(failed.length).toBe(faults.error + faults.drop);
    expect(new Set(failed)).toEqual(new Set(['unavailable']));
    // The same seed gives the same sequence of faults.
    await fx.control('/_sim/faults', { method: 'PUT', json: { errorRate: 0.3, dropRate: 0.3, seed: 20261201 } });
    const replay: string[] = [];
    for (let i = 0; i < 40; i += 1)
      replay.push(
        await client.resolveBranch('acme', 'shop', 'main').then(
          () => 'ok',
          (e: ClientError) => e.kind,
        ),
      );
    expect(replay).toEqual(outcomes);
  });
  it('converges to exactly one webhook when creation is retried through faults', async () => {
    quietDrops();
    await fx.control('/_sim/faults', { method: 'PUT', json: { errorRate: 0.3, dropRate: 0.3, seed: 4242 } });
    let id: number | undefined;
    const seen: string[] = [];
    for (let attempt = 0; attempt < 30 && id === undefined; attempt += 1) {
      try {
        id = await client.createWebhook('acme', 'shop', { url: HOOK_URL, secret: 'stable-secret' });
      } catch (error) {
        expect(error).toMatchObject({ system: 'github', transient: true });
        seen.push((error as ClientError).kind);
      }
    }
    await fx.control('/_sim/faults', { method: 'PUT', json: {} });
    expect(seen.length).toBeGreaterThan(0);
    expect(id).toBeDefined();
    const hooks = await (await fx.control('/_sim/github/repos/acme/shop/hooks')).json();
    expect(hooks.map((h: any) => h.id)).toEqual([id]);
    expect(hooks[0].secret_sha256).toBe(createHash('sha256').update('stable-secret').digest('hex'));
  });
});
