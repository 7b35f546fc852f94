// The GitHub App client against the GitHub simulator over HTTP: the token it mints, its cache,
// its scope (one repository, proven with a real git ls-remote), and its failures.
import { execFile } from 'node:child_process';
import { generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startGitHubFixture, type CreatedGitRepo, type GitHubFixture, type RegisteredApp } from '../simulators/github/test-helpers.js';
import { GitHubAppClient } from './github-app.js';
import { ClientError } from './errors.js';

const MINT_ROUTE = 'POST /app/installations/:installation_id/access_tokens';

/** `git ls-remote` with the token in an extraHeader, as the engine passes it; the exit code. */
function lsRemote(url: string, token: string): Promise<number> {
  const header = `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}`;
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: '/nonexistent', GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1' };
  return new Promise((resolve) =>
    execFile('git', ['-c', `http.extraHeader=${header}`, 'ls-remote', url], { env, timeout: 30_000 }, (error) => resolve(error ? 1 : 0)),
  );
}

async function caught(promise: Promise<unknown>): Promise<ClientError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ClientError);
  expect(error).toMatchObject({ system: 'github' });
  return error as ClientError;
}

describe('GitHubAppClient', () => {
  let fx: GitHubFixture;
  let ghApp: RegisteredApp;
  let shop: CreatedGitRepo;
  let api: CreatedGitRepo;
  const mints = async () => (await (await fx.control('/_sim/counters')).json()).routes[MINT_ROUTE] ?? 0;
  const client = (overrides: Partial<ConstructorParameters<typeof GitHubAppClient>[0]> = {}) =>
    new GitHubAppClient({ appId: ghApp.id, privateKeyPem: ghApp.privateKeyPem, baseUrl: fx.url, ...overrides });

  beforeAll(async () => {
    fx = await startGitHubFixture();
    ghApp = await fx.registerApp('Deploy Engine');
    shop = await fx.createGitRepo({ owner: 'acme', repo: 'shop-app', private: true, files: { 'package.json': '{}\n' } });
    api = await fx.createGitRepo({ owner: 'acme', repo: 'api', private: true, files: { 'go.mod': 'module api\n' } });
    await fx.createGitRepo({ owner: 'acme', repo: 'lonely', private: true, files: { 'README.md': 'x\n' } });
    await fx.installApp(ghApp.id, ['acme/shop-app', 'acme/api']);
  });
  afterAll(async () => {
    await fx?.close();
  });
  beforeEach(async () => {
    await fx.setTokenLifetime(3600);
  });

  it('mints a token for one repository, then answers from its cache', async () => {
    const gh = client();
    const before = await mints();
    const first = await gh.installationToken('acme', 'shop-app');
    expect(first.token).toMatch(/^ghs_/);
    expect(first.expiresAt.getTime()).toBeGreaterThan(Date.now() + 59 * 60_000);
    const [again, concurrent] = await Promise.all([gh.installationToken('acme', 'shop-app'), gh.installationToken('ACME', 'Shop-App')]);
    expect(again).toEqual(first);
    expect(concurrent).toEqual(first);
    expect((await mints()) - before).toBe(1);
    expect(gh.minted).toBe(1);

    // Scoped to exactly that repository, though the installation covers acme/api too.
    expect(await lsRemote(shop.cloneUrl, first.token)).toBe(0);
    expect(await lsRemote(api.cloneUrl, first.token)).not.toBe(0);
    const rest = await fetch(`${fx.url}/repos/acme/api`, { headers: { authorization: `token ${first.token}` } });
    expect(rest.status).toBe(404);
    // Its own token for the other repository.
    const other = await gh.installationToken('acme', 'api');
    expect(other.token).not.toBe(first.token);
    expect(await lsRemote(api.cloneUrl, other.token)).toBe(0);
    expect((await mints()) - before).toBe(2);
  });

  it('asks for contents: read on that one repository', async () => {
    await fx.control('/_sim/github/calls', { method: 'DELETE' });
    await client().installationToken('acme', 'api');
    const calls = await (await fx.control('/_sim/github/calls?path=/app/installations')).json();
    expect(calls).toEqual([expect.objectContaining({ method: 'POST', status: 201, body: { repositories: ['api'], permissions: { contents: 'read' } } })]);
  });

  it('mints again once the cached token has less than 5 minutes left', async () => {
    // 303 s: just over the 5-minute margin (expires_at has whole seconds), so it is cached for a moment only.
    await fx.setTokenLifetime(303);
    const gh = client();
    const before = await mints();
    const first = await gh.installationToken('acme', 'shop-app');
    expect((await gh.installationToken('acme', 'shop-app')).token).toBe(first.token);
    await new Promise((resolve) => setTimeout(resolve, 3200));
    const refreshed = await gh.installationToken('acme', 'shop-app');
    expect(refreshed.token).not.toBe(first.token);
    expect((await mints()) - before).toBe(2);

    // A lifetime under the margin is never cached.
    await fx.setTokenLifetime(1);
    const fresh = client();
    const a = await fresh.installationToken('acme', 'shop-app');
    const b = await fresh.installationToken('acme', 'shop-app');
    expect(b.token).not.toBe(a.token);
  });

  it('not installed: names the app and the repository and says to install it', async () => {
    const error = await caught(client().installationToken('acme', 'lonely'));
    expect(error).toMatchObject({ kind: 'not_found', transient: false, status: 404 });
    expect(error.message).toBe(
      `The GitHub App ${ghApp.id} is not installed on acme/lonely: install it on that repository (or add the repository to its installation)`,
    );
  });

  it('a key that is not the app key, or not a key at all: refused (auth), and the message holds no secret', async () => {
    const stranger = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const wrong = await caught(client({ privateKeyPem: stranger }).installationToken('acme', 'shop-app'));
    expect(wrong).toMatchObject({ kind: 'auth', transient: false, status: 401 });
    expect(wrong.message).toContain('A JSON web token could not be decoded');
    expect(wrong.message).toContain('GITHUB_APP_PRIVATE_KEY');
    expect(wrong.message).not.toContain('PRIVATE KEY');
    expect(wrong.message).not.toMatch(/eyJ/);

    const garbage = await caught(client({ privateKeyPem: 'not a key' }).installationToken('acme', 'shop-app'));
    expect(garbage).toMatchObject({ kind: 'auth', transient: false });
    expect(garbage.message).not.toContain('not a key');

    const unknownApp = await caught(client({ appId: 999 }).installationToken('acme', 'shop-app'));
    expect(unknownApp).toMatchObject({ kind: 'auth', status: 401 });
  });

  it('GitHub down or unreachable: unavailable and transient', async () => {
    await fx.control('/_sim/faults', { method: 'PUT', json: { errorRate: 1, seed: 1 } });
    try {
      const down = await caught(client().installationToken('acme', 'api'));
      expect(down).toMatchObject({ kind: 'unavailable', transient: true });
      expect(down.status).toBeGreaterThanOrEqual(500);
    } finally {
      await fx.control('/_sim/faults', { method: 'PUT', json: {} });
    }
    const closed = await startGitHubFixture();
    await closed.close();
    const unreachable = await caught(client({ baseUrl: closed.url }).installationToken('acme', 'api'));
    expect(unreachable).toMatchObject({ kind: 'unavailable', transient: true });
    expect(unreachable.message).toContain('could not be reached');
  });
});
