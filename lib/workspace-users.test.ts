// The users a workspace may act for, against a real, migrated database: the library and the
// admin-only /v1/workspace/users routes (api/routes/workspace-users.ts) over app.request, mounted
// the way api/v1.ts mounts them.
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from './db.js';
import { createLogger } from './logger.js';
import { createApiToken, createWorkspace } from './token-admin.js';
import { addWorkspaceUsers, listWorkspaceUsers, removeWorkspaceUsers } from './workspace-users.js';
import { bearerAuth } from '../api/middleware/auth.js';
import { handleError } from '../api/errors.js';
import { workspaceUserRoutes } from '../api/routes/workspace-users.js';
import { createWorkspaceUserService } from '../api/services/workspace-users.js';
import { createTestDatabase, type TestDatabase } from '../test/support/db.js';

let database: TestDatabase;
let db: Db;
let app: Hono;
const tokens = { admin: '', deployer: '', otherAdmin: '' };
beforeAll(async () => {
  database = await createTestDatabase('wsusers');
  db = createDb(database.url, { max: 4 });
  await createWorkspace(db, { id: 'acme', name: 'Acme' });
  await createWorkspace(db, { id: 'globex', name: 'Globex' });
  tokens.admin = (await createApiToken(db, { workspaceId: 'acme', name: 'root', role: 'admin' })).token;
  tokens.deployer = (await createApiToken(db, { workspaceId: 'acme', name: 'ci', role: 'deployer' })).token;
  tokens.otherAdmin = (await createApiToken(db, { workspaceId: 'globex', name: 'root', role: 'admin' })).token;
  const v1 = new Hono();
  v1.use('*', bearerAuth(db));
  v1.route('/workspace/users', workspaceUserRoutes({ users: createWorkspaceUserService(db) }));
  app = new Hono();
  app.onError(handleError(createLogger({ level: 'error' })));
  app.route('/v1', v1);
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const call = async (token: string, method: string, path: string) => {
  const res = await app.request(path, { method, headers: { authorization: `Bearer ${token}` } });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
};

const liveProject = (workspaceId: string, userId: string, name: string) =>
  db.project.create({
    data: { workspaceId, userId, name, repoUrl: 'https://git.example.com/a/b.git', repoKey: 'git.example.com/a/b', branch: 'main', appPort: 80 },
  });

describe('/v1/workspace/users', () => {
  it('PUT adds a user (201), again changes nothing (200, same addedAt); GET lists them by id', async () => {
    const first = await call(tokens.admin, 'PUT', '/v1/workspace/users/zoe');
    expect(first).toMatchObject({ status: 201, body: { userId: 'zoe', added: true } });
    const second = await call(tokens.admin, 'PUT', '/v1/workspace/users/zoe');
    expect(second).toMatchObject({ status: 200, body: { userId: 'zoe', added: false, addedAt: first.body.addedAt } });
    await call(tokens.admin, 'PUT', '/v1/workspace/users/adam');
    const list = await call(tokens.admin, 'GET', '/v1/workspace/users');
    expect(list.status).toBe(200);
    expect(list.body.items.map((u: { userId: string }) => u.userId)).toEqual(['adam', 'zoe']);
  });

  it('acts on the caller’s workspace only: another workspace neither sees nor removes its users', async () => {
    await addWorkspaceUsers(db, 'acme', ['kept']);
    expect((await call(tokens.otherAdmin, 'GET', '/v1/workspace/users')).body.items).toEqual([]);
    const foreign = await call(tokens.otherAdmin, 'DELETE', '/v1/workspace/users/kept');
    expect(foreign.status).toBe(404);
    expect(foreign.body.error.message).toBe('User kept is not a member of workspace globex');
    expect((await listWorkspaceUsers(db, 'acme')).map((u) => u.userId)).toContain('kept');
  });

  it('DELETE is refused (409, naming why) while the user owns live projects here, and works once they are deleted', async () => {
    await addWorkspaceUsers(db, 'acme', ['owner']);
    const project = await liveProject('acme', 'owner', 'shop');
    // A project of the same user in another workspace is no reason to keep them here.
    await liveProject('globex', 'owner', 'blog');
    const refused = await call(tokens.admin, 'DELETE', '/v1/workspace/users/owner');
    expect(refused.status).toBe(409);
    expect(refused.body.error).toEqual({
      code: 'conflict',
      message:
        'Cannot remove owner (1 project) from workspace acme: the user still owns live projects in it; delete those projects first (DELETE /v1/projects/:projectId)',
    });
    await db.project.update({ where: { id: project.id }, data: { deletedAt: new Date() } });
    expect((await call(tokens.admin, 'DELETE', '/v1/workspace/users/owner')).status).toBe(204);
    expect((await call(tokens.admin, 'DELETE', '/v1/workspace/users/owner')).status).toBe(404);
  });

  it('refuses user ids that break the userId rule (400, naming it) and non-admin tokens (403)', async () => {
    for (const bad of ['Bob', 'a_b', '-a', 'a'.repeat(21)]) {
      const res = await call(tokens.admin, 'PUT', `/v1/workspace/users/${bad}`);
      expect(res.status, bad).toBe(400);
      expect(res.body.error.code).toBe('invalid_request');
      expect(res.body.error.message).toMatch(/^Invalid user id: .*user id must/);
    }
    for (const [method, path] of [
      ['GET', '/v1/workspace/users'],
      ['PUT', '/v1/workspace/users/eve'],
      ['DELETE', '/v1/workspace/users/zoe'],
    ] as const) {
      expect((await call(tokens.deployer, method, path)).status, `${method} ${path}`).toBe(403);
    }
    expect(await db.workspaceUser.count({ where: { userId: 'eve' } })).toBe(0);
  });
});

describe('library', () => {
  it('add is idempotent and removes all or nothing', async () => {
    const added = await addWorkspaceUsers(db, 'globex', ['g1', 'g2', 'g1']);
    expect(added.map((u) => [u.userId, u.added])).toEqual([
      ['g1', true],
      ['g2', true],
    ]);
    await liveProject('globex', 'g2', 'app');
    await expect(removeWorkspaceUsers(db, 'globex', ['g1', 'g2'])).rejects.toMatchObject({ code: 'conflict' });
    expect((await listWorkspaceUsers(db, 'globex')).map((u) => u.userId)).toEqual(['g1', 'g2']);
    await expect(addWorkspaceUsers(db, 'nowhere', ['g1'])).rejects.toMatchObject({ code: 'not_found', message: 'Workspace nowhere not found' });
  });
});
