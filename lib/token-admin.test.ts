// Token administration against a real, migrated database: tokens authenticate through the same
// code path as the API (principalFromBearer), only hashes are stored, revoked and expired tokens
// are refused. Also the admin-only /v1/tokens routes (api/routes/tokens.ts) over app.request.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from './db.js';
import { createLogger } from './logger.js';
import { hashToken, TOKEN_PREFIX } from './tokens.js';
import { createApiToken, createWorkspace, listApiTokens, parseExpiry, revokeApiToken, TokenAdminError } from './token-admin.js';
import { bearerAuth, principalFromBearer } from '../api/middleware/auth.js';
import { handleError } from '../api/errors.js';
import { tokenRoutes } from '../api/routes/tokens.js';
import { createTokenService } from '../api/services/tokens.js';
import { createTestDatabase, type TestDatabase } from '../test/support/db.js';

let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase('tokens');
  db = createDb(database.url, { max: 4 });
  await createWorkspace(db, { id: 'acme', name: 'Acme' });
  await createWorkspace(db, { id: 'globex-2', name: 'Globex' });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const bearer = (token: string) => `Bearer ${token}`;

async function rawRow(id: string): Promise<Record<string, unknown>> {
  const rows = await db.$queryRaw<Record<string, unknown>[]>`SELECT * FROM "ApiToken" WHERE id = ${id}`;
  expect(rows).toHaveLength(1);
  return rows[0]!;
}

describe('workspaces', () => {
  it('creates a workspace with the DEV_WORKSPACE_ID rule and refuses a duplicate', async () => {
    const ws = await createWorkspace(db, { id: 'a1-b2', name: '  Team A  ' });
    expect(ws).toMatchObject({ id: 'a1-b2', name: 'Team A' });
    await expect(createWorkspace(db, { id: 'a1-b2', name: 'Again' })).rejects.toMatchObject({ code: 'conflict', message: 'Workspace a1-b2 already exists' });
  });

  it('refuses ids that are not DNS-1123 labels of at most 20 characters, naming the field', async () => {
    for (const id of ['', 'Acme', '-acme', 'acme-', 'ac_me', 'a'.repeat(21), 'a.b']) {
      const error = await createWorkspace(db, { id, name: 'X' }).catch((e: unknown) => e);
      expect(error, id).toBeInstanceOf(TokenAdminError);
      expect((error as TokenAdminError).code).toBe('invalid_input');
      expect((error as TokenAdminError).issues[0]?.field).toBe('id');
      expect((error as TokenAdminError).message).toMatch(/^Invalid workspace: id must be a DNS-1123 label of at most 20 characters/);
    }
    await expect(createWorkspace(db, { id: 'a'.repeat(20), name: 'Twenty' })).resolves.toMatchObject({ id: 'a'.repeat(20) });
    await expect(createWorkspace(db, { id: 'ok', name: ' ' })).rejects.toMatchObject({ issues: [{ field: 'name', rule: 'must not be empty' }] });
  });
});

describe('API tokens', () => {
  it('a created token authenticates as its workspace and role, and records its last use', async () => {
    const created = await createApiToken(db, { workspaceId: 'acme', name: 'ci', role: 'deployer' });
    expect(created.token.startsWith(TOKEN_PREFIX)).toBe(true);
    expect(created).toMatchObject({ workspaceId: 'acme', name: 'ci', role: 'deployer', status: 'active', expiresAt: null, lastUsedAt: null, revokedAt: null });
    expect(created.token.startsWith(created.prefix)).toBe(true);
    const principal = await principalFromBearer(db, bearer(created.token));
    expect(principal).toEqual({ tokenId: created.id, workspaceId: 'acme', role: 'deployer', name: 'ci' });
    const [listed] = (await listApiTokens(db, 'acme')).filter((t) => t.id === created.id);
    expect(listed?.lastUsedAt).toBeInstanceOf(Date);
  });

  it('stores only the sha256 hash: no column of the row holds the token', async () => {
    const created = await createApiToken(db, { workspaceId: 'acme', name: 'hash-check', role: 'viewer' });
    const row = await rawRow(created.id);
    expect(row.tokenHash).toBe(hashToken(created.token));
    expect(row.tokenHash).toMatch(/^[0-9a-f]{64}$/);
    for (const [column, value] of Object.entries(row)) {
      expect(String(value), column).not.toBe(created.token);
      expect(String(value), column).not.toContain(created.token.slice(TOKEN_PREFIX.length));
    }
    expect(row.prefix).toBe(created.token.slice(0, TOKEN_PREFIX.length + 6));
  });

  it('every token is different', async () => {
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => createApiToken(db, { workspaceId: 'acme', name: `many-${i}`, role: 'viewer' })));
    expect(new Set(tokens.map((t) => t.token)).size).toBe(10);
  });

  it('a revoked token is refused with 401; revoking again keeps the first time', async () => {
    const created = await createApiToken(db, { workspaceId: 'acme', name: 'to-revoke', role: 'admin' });
    await expect(principalFromBearer(db, bearer(created.token))).resolves.toMatchObject({ role: 'admin' });
    const revoked = await revokeApiToken(db, 'acme', created.id);
    expect(revoked).toMatchObject({ id: created.id, status: 'revoked' });
    await expect(principalFromBearer(db, bearer(created.token))).rejects.toMatchObject({ status: 401, code: 'unauthorized' });
    const again = await revokeApiToken(db, 'acme', created.id);
    expect(again.revokedAt).toEqual(revoked.revokedAt);
  });

  it('an expired token is refused with 401 and listed as expired', async () => {
    const hourAgo = new Date(Date.now() - 3_600_000);
    const created = await createApiToken(
      db,
      { workspaceId: 'acme', name: 'expired', role: 'deployer', expiresAt: new Date(hourAgo.getTime() + 60_000) },
      { now: hourAgo },
    );
    await expect(principalFromBearer(db, bearer(created.token))).rejects.toMatchObject({ status: 401 });
    const listed = (await listApiTokens(db, 'acme')).find((t) => t.id === created.id);
    expect(listed?.status).toBe('expired');
    const future = await createApiToken(db, { workspaceId: 'acme', name: 'future', role: 'deployer', expiresAt: new Date(Date.now() + 86_400_000) });
    await expect(principalFromBearer(db, bearer(future.token))).resolves.toMatchObject({ tokenId: future.id });
  });

  it('refuses an expiry in the past or absurdly far away, a bad role, a bad name, an unknown workspace', async () => {
    await expect(createApiToken(db, { workspaceId: 'acme', name: 'x', role: 'viewer', expiresAt: new Date(Date.now() - 1000) })).rejects.toMatchObject({
      code: 'invalid_input',
      issues: [{ field: 'expiresAt' }],
    });
    await expect(createApiToken(db, { workspaceId: 'acme', name: 'x', role: 'viewer', expiresAt: new Date('2999-01-01T00:00:00Z') })).rejects.toMatchObject({
      issues: [{ field: 'expiresAt', rule: 'must be at most 10 years from now' }],
    });
    await expect(createApiToken(db, { workspaceId: 'acme', name: 'x', role: 'owner' as 'admin' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'Invalid token: role must be one of viewer, deployer, admin',
    });
    await expect(createApiToken(db, { workspaceId: 'acme', name: 'a\nb', role: 'viewer' })).rejects.toMatchObject({
      issues: [{ field: 'name', rule: 'must not contain control characters' }],
    });
    await expect(createApiToken(db, { workspaceId: 'nope', name: 'x', role: 'viewer' })).rejects.toMatchObject({
      code: 'not_found',
      message: 'Workspace nope not found',
    });
  });

  it("lists the workspace's tokens only, newest first, never with a hash or a token", async () => {
    const mine = await createApiToken(db, { workspaceId: 'globex-2', name: 'g1', role: 'viewer' });
    const second = await createApiToken(db, { workspaceId: 'globex-2', name: 'g2', role: 'admin' });
    const list = await listApiTokens(db, 'globex-2');
    expect(list.map((t) => t.id)).toEqual([second.id, mine.id]);
    for (const t of list) {
      expect(Object.keys(t).sort()).toEqual(['createdAt', 'expiresAt', 'id', 'lastUsedAt', 'name', 'prefix', 'revokedAt', 'role', 'status', 'workspaceId']);
    }
    const text = JSON.stringify(list);
    for (const secret of [mine.token, second.token, hashToken(mine.token), hashToken(second.token)]) expect(text).not.toContain(secret);
    expect((await listApiTokens(db, 'acme')).some((t) => t.workspaceId !== 'acme')).toBe(false);
  });

  it("cannot revoke another workspace's token", async () => {
    const other = await createApiToken(db, { workspaceId: 'globex-2', name: 'other', role: 'admin' });
    await expect(revokeApiToken(db, 'acme', other.id)).rejects.toMatchObject({ code: 'not_found' });
    await expect(principalFromBearer(db, bearer(other.token))).resolves.toMatchObject({ workspaceId: 'globex-2' });
    await expect(revokeApiToken(db, 'acme', 'not-a-uuid')).rejects.toMatchObject({ code: 'invalid_input', issues: [{ field: 'token id' }] });
  });
});

describe('parseExpiry', () => {
  const now = new Date('2030-01-01T00:00:00Z');
  it('reads lifetimes, ISO dates and never', () => {
    expect(parseExpiry('30d', now)).toEqual(new Date('2030-01-31T00:00:00Z'));
    expect(parseExpiry('12h', now)).toEqual(new Date('2030-01-01T12:00:00Z'));
    expect(parseExpiry('90m', now)).toEqual(new Date('2030-01-01T01:30:00Z'));
    expect(parseExpiry('2w', now)).toEqual(new Date('2030-01-15T00:00:00Z'));
    expect(parseExpiry('2031-06-01', now)).toEqual(new Date('2031-06-01T00:00:00Z'));
    expect(parseExpiry('2031-06-01T10:00:00+02:00', now)).toEqual(new Date('2031-06-01T08:00:00Z'));
    expect(parseExpiry('never', now)).toBeUndefined();
  });
  it('refuses anything else, naming the field', () => {
    for (const bad of ['', '0d', '30', '30 days', '-1d', '2031-13-01', '2031-02-30', 'tomorrow', '2031-06-01T10:00:00']) {
      expect(() => parseExpiry(bad, now), bad).toThrow(/expires must be/);
    }
  });
});

describe('/v1/tokens (admin only)', () => {
  let app: Hono;
  const tokens: Record<'admin' | 'deployer' | 'viewer' | 'otherAdmin', string> = { admin: '', deployer: '', viewer: '', otherAdmin: '' };
  beforeAll(async () => {
    await createWorkspace(db, { id: 'api-ws', name: 'API' });
    await createWorkspace(db, { id: 'api-other', name: 'Other' });
    tokens.admin = (await createApiToken(db, { workspaceId: 'api-ws', name: 'root', role: 'admin' })).token;
    tokens.deployer = (await createApiToken(db, { workspaceId: 'api-ws', name: 'ci', role: 'deployer' })).token;
    tokens.viewer = (await createApiToken(db, { workspaceId: 'api-ws', name: 'dash', role: 'viewer' })).token;
    tokens.otherAdmin = (await createApiToken(db, { workspaceId: 'api-other', name: 'root', role: 'admin' })).token;
    // Mounted the way the lead mounts it: behind bearerAuth, at /v1/tokens.
    const v1 = new Hono();
    v1.use('*', bearerAuth(db));
    v1.route('/tokens', tokenRoutes({ tokens: createTokenService(db) }));
    app = new Hono();
    app.onError(handleError(createLogger({ level: 'error' })));
    app.route('/v1', v1);
  });

  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { authorization: bearer(token), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
  };

  it("POST creates a token in the caller's workspace, shown once and not cached", async () => {
    const res = await call(tokens.admin, 'POST', '/v1/tokens', {
      name: 'deploy-bot',
      role: 'deployer',
      expiresAt: new Date(Date.now() + 86_400_000).toISOString(),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.body).toMatchObject({ workspaceId: 'api-ws', name: 'deploy-bot', role: 'deployer', status: 'active' });
    expect(typeof res.body.token).toBe('string');
    await expect(principalFromBearer(db, bearer(res.body.token))).resolves.toMatchObject({ workspaceId: 'api-ws', role: 'deployer' });
    // The new token works on the API.
    expect((await call(res.body.token, 'GET', '/v1/tokens')).status).toBe(403);
  });

  it('a workspace cannot be chosen in the body', async () => {
    const res = await call(tokens.admin, 'POST', '/v1/tokens', { name: 'x', role: 'admin', workspaceId: 'api-other' });
    expect(res.status).toBe(400);
    expect(res.body.error.message).toMatch(/unknown field\(s\): workspaceId/);
  });

  it('POST validates the body, naming the fields', async () => {
    const bad = await call(tokens.admin, 'POST', '/v1/tokens', { name: '', role: 'owner', expiresAt: 'tomorrow' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('invalid_request');
    expect(bad.body.error.details.map((d: { field: string }) => d.field).sort()).toEqual(['expiresAt', 'name', 'role']);
    const past = await call(tokens.admin, 'POST', '/v1/tokens', { name: 'x', role: 'viewer', expiresAt: '2001-01-01T00:00:00Z' });
    expect(past.status).toBe(400);
    expect(past.body.error).toMatchObject({ code: 'invalid_request', details: [{ field: 'expiresAt', rule: 'must be in the future' }] });
  });

  it("GET lists only the caller's workspace, without tokens or hashes", async () => {
    const res = await call(tokens.admin, 'GET', '/v1/tokens');
    expect(res.status).toBe(200);
    expect(res.body.items.length).toBeGreaterThanOrEqual(3);
    expect(res.body.items.every((t: { workspaceId: string }) => t.workspaceId === 'api-ws')).toBe(true);
    const text = JSON.stringify(res.body);
    for (const token of Object.values(tokens)) {
      expect(text).not.toContain(token);
      expect(text).not.toContain(hashToken(token));
    }
    expect(text).not.toMatch(/tokenHash|"token"/);
  });

  it('every route needs the admin role', async () => {
    for (const who of ['deployer', 'viewer'] as const) {
      expect((await call(tokens[who], 'GET', '/v1/tokens')).status).toBe(403);
      expect((await call(tokens[who], 'POST', '/v1/tokens', { name: 'x', role: 'viewer' })).status).toBe(403);
      expect((await call(tokens[who], 'DELETE', '/v1/tokens/00000000-0000-4000-8000-000000000000')).status).toBe(403);
    }
    const anonymous = await app.request('/v1/tokens');
    expect(anonymous.status).toBe(401);
  });

  it("DELETE revokes the caller's own workspace's token (204) and answers 404 for another workspace's", async () => {
    const victim = await createApiToken(db, { workspaceId: 'api-ws', name: 'victim', role: 'viewer' });
    const foreign = await createApiToken(db, { workspaceId: 'api-other', name: 'foreign', role: 'viewer' });
    const cross = await call(tokens.admin, 'DELETE', `/v1/tokens/${foreign.id}`);
    expect(cross.status).toBe(404);
    expect(cross.body.error.code).toBe('not_found');
    await expect(principalFromBearer(db, bearer(foreign.token))).resolves.toMatchObject({ workspaceId: 'api-other' });
    const res = await call(tokens.admin, 'DELETE', `/v1/tokens/${victim.id}`);
    expect(res.status).toBe(204);
    expect(res.body).toBeUndefined();
    expect((await call(victim.token, 'GET', '/v1/tokens')).status).toBe(401);
    const listed = (await call(tokens.admin, 'GET', '/v1/tokens')).body.items.find((t: { id: string }) => t.id === victim.id);
    expect(listed.status).toBe('revoked');
    expect((await call(tokens.admin, 'DELETE', '/v1/tokens/not-a-uuid')).status).toBe(400);
    expect((await call(tokens.admin, 'DELETE', '/v1/tokens/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
