// GitHub App routes of the simulator over HTTP with plain fetch: JWT checks with GitHub's
// messages, the repository installation, and minting installation tokens (scope, 404, 422).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAppJwt, startGitHubFixture, TOKEN, type GitHubFixture, type RegisteredApp } from './test-helpers.js';

describe('GitHub simulator: GitHub Apps', () => {
  let fx: GitHubFixture;
  let ghApp: RegisteredApp;
  let otherApp: RegisteredApp;
  let installationId: number;

  const asApp = (path: string, jwt: string, json?: unknown) =>
    fetch(`${fx.url}${path}`, {
      method: json === undefined ? 'GET' : 'POST',
      headers: { authorization: `Bearer ${jwt}`, ...(json === undefined ? {} : { 'content-type': 'application/json' }) },
      body: json === undefined ? undefined : JSON.stringify(json),
    });
  const jwt = (claims: Record<string, unknown> = {}) => signAppJwt(ghApp.id, ghApp.privateKeyPem, claims);

  beforeAll(async () => {
    fx = await startGitHubFixture();
    ghApp = await fx.registerApp('Deploy Engine');
    otherApp = await fx.registerApp('Other');
    installationId = (await fx.installApp(ghApp.id, ['acme/shop', 'acme/secret-sauce'])).id;
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('refuses JWTs as GitHub does, with its messages', async () => {
    const now = Math.floor(Date.now() / 1000);
    const cases: [string, string][] = [
      [signAppJwt(ghApp.id, otherApp.privateKeyPem), 'A JSON web token could not be decoded'],
      ['not.a.jwt', 'A JSON web token could not be decoded'],
      [TOKEN, 'A JSON web token could not be decoded'],
      [jwt({ exp: now + 700 }), "'Expiration time' claim ('exp') is too far in the future"],
      [
        jwt({ iat: now - 700, exp: now - 10 }),
        "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
      ],
      [jwt({ iat: 'yesterday' }), "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued"],
    ];
    for (const [token, message] of cases) {
      const res = await asApp('/repos/acme/shop/installation', token);
      expect(res.status).toBe(401);
      expect(await res.json()).toEqual({ message, documentation_url: 'https://docs.github.com/rest', status: '401' });
    }
    // The client id is a valid issuer too.
    expect((await asApp('/repos/acme/shop/installation', signAppJwt(ghApp.clientId, ghApp.privateKeyPem))).status).toBe(200);
  });

  it('GET /repos/{owner}/{repo}/installation: the installation, or 404 where the app is not installed', async () => {
    const res = await asApp('/repos/ACME/shop/installation', jwt());
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({
      id: installationId,
      app_id: ghApp.id,
      app_slug: 'deploy-engine',
      account: { login: 'acme', type: 'Organization' },
      repository_selection: 'selected',
      permissions: { contents: 'read', metadata: 'read' },
      access_tokens_url: `${fx.url}/app/installations/${installationId}/access_tokens`,
    });
    const other = await asApp('/repos/acme/shop/installation', signAppJwt(otherApp.id, otherApp.privateKeyPem));
    expect(other.status).toBe(404);
    expect((await other.json()).message).toBe('Not Found');
  });

  it('POST /app/installations/{id}/access_tokens: 201 scoped token; 404 and 422 as GitHub', async () => {
    const res = await asApp(`/app/installations/${installationId}/access_tokens`, jwt(), { repositories: ['shop'], permissions: { contents: 'read' } });
    expect(res.status).toBe(201);
    const minted = await res.json();
    expect(minted).toMatchObject({
      token: expect.stringMatching(/^ghs_[A-Za-z0-9]{36}$/),
      permissions: { contents: 'read' },
      repository_selection: 'selected',
      repositories: [{ full_name: 'acme/shop' }],
    });
    const lifetime = Date.parse(minted.expires_at) - Date.now();
    expect(lifetime).toBeGreaterThan(3590_000);
    expect(lifetime).toBeLessThanOrEqual(3600_000);
    const asToken = (path: string) => fetch(`${fx.url}${path}`, { headers: { authorization: `token ${minted.token}` } });
    expect((await asToken('/repos/acme/shop/branches/main')).status).toBe(200);
    expect((await asToken('/repos/acme/secret-sauce')).status).toBe(404);
    // The token is not recorded in the call log.
    expect(JSON.stringify(fx.sim.calls)).not.toContain(minted.token);

    const all = await (await asApp(`/app/installations/${installationId}/access_tokens`, jwt(), {})).json();
    expect(all.repositories.map((r: { full_name: string }) => r.full_name).sort()).toEqual(['acme/secret-sauce', 'acme/shop']);

    expect((await asApp('/app/installations/1/access_tokens', jwt(), {})).status).toBe(404);
    expect((await asApp(`/app/installations/${installationId}/access_tokens`, signAppJwt(otherApp.id, otherApp.privateKeyPem), {})).status).toBe(404);
    const outside = await asApp(`/app/installations/${installationId}/access_tokens`, jwt(), { repositories: ['not-installed'] });
    expect(outside.status).toBe(422);
    expect((await outside.json()).message).toBe('There is at least one repository that does not exist or is not accessible to the parent installation.');
    const write = await asApp(`/app/installations/${installationId}/access_tokens`, jwt(), { repositories: ['shop'], permissions: { contents: 'write' } });
    expect(write.status).toBe(422);
    expect((await write.json()).message).toBe('The permissions requested are not granted to this installation.');
  });

  it('a revoked PAT stops working until the reset', async () => {
    await fx.revokeToken(TOKEN);
    expect((await fx.api('/repos/acme/shop')).status).toBe(401);
    await fx.control('/_sim/reset', { method: 'POST' });
    expect((await fx.api('/repos/acme/shop')).status).toBe(200);
  });
});
