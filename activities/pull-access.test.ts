// ensureWorkspacePullAccess on real PostgreSQL against the Harbor simulator over HTTP: one robot
// per workspace under concurrent callers, the stored secret encrypted and working at the registry,
// recovery when Harbor has a robot whose secret was lost, and failures named terminal or transient.
import { ApplicationFailure } from '@temporalio/common';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HarborClient } from '../clients/harbor.js';
import { createClients } from '../clients/index.js';
import { loadConfig, type Env } from '../lib/config.js';
import { newKeyLine, parseKeyRing } from '../lib/credential-crypto.js';
import { createDb, type Db } from '../lib/db.js';
import { createLogger } from '../lib/logger.js';
import { openPullSecret } from '../lib/pull-robot.js';
import { ADMIN, ROBOT, basic, startHarbor, type RunningHarbor } from '../simulators/harbor/test-helpers.js';
import { createTestDatabase, type TestDatabase } from '../test/support/db.js';
import { ensureWorkspacePullAccess, type PullAccessDeps } from './pull-access.js';

let database: TestDatabase;
let db: Db;
let harbor: RunningHarbor;
let config: Env;
const logged: string[] = [];
const logger = createLogger({ level: 'debug', write: (line) => logged.push(line) });

beforeAll(async () => {
  database = await createTestDatabase('pull');
  db = createDb(database.url, { max: 6 });
  harbor = await startHarbor();
  config = loadConfig({
    DATABASE_URL: database.url,
    HARBOR_URL: harbor.url,
    HARBOR_USERNAME: ROBOT.username,
    HARBOR_PASSWORD: ROBOT.password,
    HARBOR_ROBOT_ADMIN_USERNAME: ADMIN.username,
    HARBOR_ROBOT_ADMIN_PASSWORD: ADMIN.password,
    REGISTRY_HOST: 'registry.example.test',
    CREDENTIAL_KEYS: newKeyLine('k1'),
  });
});
afterAll(async () => {
  await harbor?.close();
  await db?.$disconnect();
  await database?.drop();
});
beforeEach(() => {
  harbor.sim.faults.configure({});
  logged.length = 0;
});

/** The robot-admin Harbor client comes from the config in use, as the worker's createClients makes it. */
const deps = (overrides: Partial<PullAccessDeps> = {}): PullAccessDeps => {
  const used = overrides.config ?? config;
  return { db, config: used, logger, harbor: createClients(used, ['harborRobotAdmin']).harborRobotAdmin, ...overrides };
};
let n = 0;
async function workspace(): Promise<string> {
  n += 1;
  const id = `ws${n}-${Math.random().toString(36).slice(2, 6)}`;
  await db.workspace.create({ data: { id, name: id } });
  return id;
}

async function storedSecret(workspaceId: string): Promise<string> {
  const row = await db.workspacePullRobot.findUniqueOrThrow({ where: { workspaceId } });
  return openPullSecret(parseKeyRing(config.CREDENTIAL_KEYS!), workspaceId, row.secret!);
}

async function tokenStatus(username: string, password: string): Promise<number> {
  const url = new URL('/service/token', harbor.url);
  url.searchParams.set('scope', 'repository:apps/ws/x:pull');
  return (await fetch(url, { headers: { authorization: basic(username, password) } })).status;
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ApplicationFailure);
    return error as ApplicationFailure;
  }
  throw new Error('expected a failure');
}

const robotCreations = () => harbor.sim.counters.snapshot().routes['POST /api/v2.0/robots'] ?? 0;

describe('ensureWorkspacePullAccess', () => {
  it('creates one pull-only robot, stores its secret encrypted, and returns no secret', async () => {
    const ws = await workspace();
    const access = await ensureWorkspacePullAccess(deps(), ws);
    expect(access).toEqual({
      workspaceId: ws,
      registry: 'registry.example.test',
      robotName: `robot$apps+pull-${ws}`,
      robotId: expect.any(Number),
      created: true,
    });
    const row = await db.workspacePullRobot.findUniqueOrThrow({ where: { workspaceId: ws } });
    const secret = await storedSecret(ws);
    expect(row.secret).not.toContain(secret);
    expect(row.secretKeyId).toBe('k1');
    expect(JSON.stringify(access)).not.toContain(secret);
    expect(logged.join('\n')).not.toContain(secret);
    expect(await tokenStatus(access.robotName, secret)).toBe(200);
  });

  it('is idempotent: a second call changes nothing and does not call Harbor', async () => {
    const ws = await workspace();
    const first = await ensureWorkspacePullAccess(deps(), ws);
    const secret = await storedSecret(ws);
    harbor.sim.counters.reset();
    const second = await ensureWorkspacePullAccess(deps(), ws);
    expect(second).toEqual({ ...first, created: false });
    expect(await storedSecret(ws)).toBe(secret);
    expect(harbor.sim.counters.snapshot().total).toBe(0);
  });

  it('makes exactly one robot for eight concurrent callers', async () => {
    const ws = await workspace();
    harbor.sim.counters.reset();
    const results = await Promise.all(Array.from({ length: 8 }, () => ensureWorkspacePullAccess(deps(), ws)));
    expect(new Set(results.map((r) => r.robotId)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(robotCreations()).toBe(1);
    expect(await tokenStatus(results[0]!.robotName, await storedSecret(ws))).toBe(200);
  });

  it('recovers a robot Harbor has but the database lost (409): finds it and refreshes its secret', async () => {
    const ws = await workspace();
    const admin = new HarborClient({ baseUrl: harbor.url, username: ADMIN.username, password: ADMIN.password, project: 'apps' });
    // As if a caller died after Harbor answered 201 and before the row was written.
    const lost = await admin.createProjectRobot({ name: `pull-${ws}`, repositoryActions: ['pull'] });
    const access = await ensureWorkspacePullAccess(deps(), ws);
    expect(access).toMatchObject({ robotId: lost.id, robotName: lost.name, created: true });
    const secret = await storedSecret(ws);
    expect(secret).not.toBe(lost.secret);
    expect(await tokenStatus(lost.name, lost.secret)).toBe(401);
    expect(await tokenStatus(lost.name, secret)).toBe(200);
  });

  it('refuses a same-named robot that can do more than pull', async () => {
    const ws = await workspace();
    const admin = new HarborClient({ baseUrl: harbor.url, username: ADMIN.username, password: ADMIN.password, project: 'apps' });
    await admin.createProjectRobot({ name: `pull-${ws}`, repositoryActions: ['pull', 'push'] });
    const failure = await failureOf(ensureWorkspacePullAccess(deps(), ws));
    expect(failure).toMatchObject({ type: 'invalid_input', nonRetryable: true });
    expect(failure.message).toMatch(/permissions other than pulling/);
    expect(await db.workspacePullRobot.findUnique({ where: { workspaceId: ws } })).toBeNull();
  });

  it('names its failures: project robot as admin is unauthorized (terminal), Harbor down is unavailable (transient), no keys is terminal', async () => {
    const ws = await workspace();
    const asRobot = loadConfig({
      ...process.env,
      DATABASE_URL: database.url,
      HARBOR_URL: harbor.url,
      HARBOR_ROBOT_ADMIN_USERNAME: ROBOT.username,
      HARBOR_ROBOT_ADMIN_PASSWORD: ROBOT.password,
      CREDENTIAL_KEYS: config.CREDENTIAL_KEYS,
    });
    const refused = await failureOf(ensureWorkspacePullAccess(deps({ config: asRobot }), ws));
    expect(refused).toMatchObject({ type: 'unauthorized', nonRetryable: true });
    expect(refused.message).toMatch(/HARBOR_ROBOT_ADMIN_USERNAME/);

    harbor.sim.faults.configure({ errorRate: 1, seed: 3 });
    const down = await failureOf(ensureWorkspacePullAccess(deps(), ws));
    expect(down).toMatchObject({ type: 'unavailable', nonRetryable: false });
    harbor.sim.faults.configure({});

    const noKeys = await failureOf(ensureWorkspacePullAccess(deps({ config: { ...config, CREDENTIAL_KEYS: undefined } }), ws));
    expect(noKeys).toMatchObject({ type: 'invalid_input', nonRetryable: true });
    expect(await db.workspacePullRobot.findUnique({ where: { workspaceId: ws } })).toBeNull();
    // After all that, it still works.
    expect((await ensureWorkspacePullAccess(deps(), ws)).created).toBe(true);
  });

  it('refuses an unknown workspace', async () => {
    expect(await failureOf(ensureWorkspacePullAccess(deps(), 'nope'))).toMatchObject({ type: 'invalid_input' });
  });
});
