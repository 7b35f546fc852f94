// The tenancy matrix: two workspaces, a token of every role in each (plus no token and a revoked
// one), every route. Each call either works for the right tenant and role, answering what the
// OpenAPI document says, or gets exactly the expected 401/403/404; and no answer ever holds the
// other workspace's data. The expected roles are written here by hand, from the issue's rules
// (viewer reads, deployer also deploys and rolls back, admin also manages projects and tokens),
// and checked against both the operation list and the routes Hono actually serves.
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from './support/stack.js';
import { callApi, createTenant, type ApiAnswer, type Tenant } from './support/tenants.js';
import { seedHistory, seedQueued, type SeededHistory } from './support/seed.js';
import { apiOperations, type Operation } from '../api/openapi/operations.js';
import { createApiToken, revokeApiToken, type TokenRole } from '../lib/token-admin.js';
import { addWorkspaceUsers } from '../lib/workspace-users.js';
import { postWebhook } from './support/webhook.js';
import { parseKeyRing } from '../lib/credential-crypto.js';
import { sealPullSecret } from '../lib/pull-robot.js';

/** External Secrets' token for GET /v1/pull-credentials/:workspaceId (no workspace token opens it). */
const PULL_TOKEN = `pull-${randomUUID()}-${randomUUID()}`;

type Caller = { kind: 'own' | 'other'; role: TokenRole } | { kind: 'none' | 'revoked' };
type Need = TokenRole | 'none' | 'signature' | 'pull-token';

interface World {
  tenant: Tenant;
  label: string;
  projectId: string;
  webhookSecret: string;
  history: SeededHistory;
  revokedToken: string;
}

interface Request {
  method: string;
  path: string;
  body?: unknown;
}

interface Case {
  /** Least role (the issue's rule), or how the route authenticates instead. */
  need: Need;
  ok: number;
  /** Addresses a resource by id: another workspace's caller gets 404. */
  scoped: boolean;
  /** The request, made fresh for each call (resources it consumes are created here). */
  request(target: World, caller: World | undefined): Promise<Request> | Request;
}

let stack: TestStack;
let counter = 0;
const next = () => (counter += 1);

const CASES: Record<string, Case> = {
  health: { need: 'none', ok: 200, scoped: false, request: () => ({ method: 'GET', path: '/healthz' }) },
  openapi: { need: 'none', ok: 200, scoped: false, request: () => ({ method: 'GET', path: '/openapi.json' }) },
  createProject: {
    need: 'admin',
    ok: 201,
    scoped: false,
    // Acts on the caller's own workspace: named after it, so its answer is the caller's data.
    request: (target, caller) => ({
      method: 'POST',
      path: '/v1/projects',
      body: {
        name: `${(caller ?? target).label}-${next()}`,
        userId: `${(caller ?? target).label}-u`,
        repoUrl: 'https://git.example.com/acme/app.git',
        appPort: 8080,
      },
    }),
  },
  listProjects: { need: 'viewer', ok: 200, scoped: false, request: () => ({ method: 'GET', path: '/v1/projects?limit=100' }) },
  getProject: { need: 'viewer', ok: 200, scoped: true, request: (t) => ({ method: 'GET', path: `/v1/projects/${t.projectId}` }) },
  deleteProject: {
    need: 'admin',
    ok: 202,
    scoped: true,
    request: async (t) => {
      const created = await t.tenant.call('admin', 'POST', '/v1/projects', {
        name: `${t.label}-${next()}`,
        userId: `${t.label}-u`,
        repoUrl: 'https://git.example.com/acme/app.git',
        appPort: 8080,
      });
      return { method: 'DELETE', path: `/v1/projects/${created.body.id}` };
    },
  },
  getUndeploy: {
    need: 'viewer',
    ok: 200,
    scoped: true,
    request: async (t) => {
      const created = await t.tenant.call('admin', 'POST', '/v1/projects', {
        name: `${t.label}-${next()}`,
        userId: `${t.label}-u`,
        repoUrl: 'https://git.example.com/acme/app.git',
        appPort: 8080,
      });
      await t.tenant.call('admin', 'DELETE', `/v1/projects/${created.body.id}`);
      return { method: 'GET', path: `/v1/projects/${created.body.id}/undeploy` };
    },
  },
  deploy: { need: 'deployer', ok: 202, scoped: true, request: (t) => ({ method: 'POST', path: `/v1/projects/${t.projectId}/deployments`, body: {} }) },
  listDeployments: { need: 'viewer', ok: 200, scoped: true, request: (t) => ({ method: 'GET', path: `/v1/projects/${t.projectId}/deployments?limit=100` }) },
  rollback: { need: 'deployer', ok: 202, scoped: true, request: (t) => ({ method: 'POST', path: `/v1/projects/${t.projectId}/rollback`, body: {} }) },
  setAutoDeploy: {
    need: 'deployer',
    ok: 200,
    scoped: true,
    request: (t) => ({ method: 'POST', path: `/v1/projects/${t.projectId}/auto-deploy`, body: { enabled: true } }),
  },
  rotateWebhookSecret: { need: 'admin', ok: 200, scoped: true, request: (t) => ({ method: 'POST', path: `/v1/projects/${t.projectId}/webhook-secret` }) },
  setRepoCredential: {
    need: 'admin',
    ok: 200,
    scoped: true,
    request: (t) => ({ method: 'PUT', path: `/v1/projects/${t.projectId}/repo-credential`, body: { token: `matrix-token-${next()}` } }),
  },
  deleteRepoCredential: { need: 'admin', ok: 204, scoped: true, request: (t) => ({ method: 'DELETE', path: `/v1/projects/${t.projectId}/repo-credential` }) },
  listWebhookDeliveries: { need: 'viewer', ok: 200, scoped: true, request: (t) => ({ method: 'GET', path: `/v1/projects/${t.projectId}/webhook-deliveries` }) },
  listReleases: { need: 'viewer', ok: 200, scoped: true, request: (t) => ({ method: 'GET', path: `/v1/projects/${t.projectId}/releases` }) },
  getDeployment: { need: 'viewer', ok: 200, scoped: true, request: (t) => ({ method: 'GET', path: `/v1/deployments/${t.history.live}` }) },
  retryDeployment: { need: 'deployer', ok: 202, scoped: true, request: (t) => ({ method: 'POST', path: `/v1/deployments/${t.history.failed}/retry` }) },
  cancelDeployment: {
    need: 'deployer',
    ok: 202,
    scoped: true,
    request: async (t) => {
      const n = next();
      const queued = await seedQueued(stack.db, t.tenant.workspaceId, `${t.label}-${n}`, `${t.label}-q${n}`);
      return { method: 'POST', path: `/v1/deployments/${queued.deploymentId}/cancel` };
    },
  },
  createLogTicket: { need: 'viewer', ok: 201, scoped: true, request: (t) => ({ method: 'POST', path: `/v1/deployments/${t.history.live}/log-tickets` }) },
  getLogs: { need: 'viewer', ok: 200, scoped: true, request: (t) => ({ method: 'GET', path: `/v1/deployments/${t.history.live}/logs` }) },
  listTokens: { need: 'admin', ok: 200, scoped: false, request: () => ({ method: 'GET', path: '/v1/tokens' }) },
  createToken: {
    need: 'admin',
    ok: 201,
    scoped: false,
    request: (t, caller) => ({ method: 'POST', path: '/v1/tokens', body: { name: `${(caller ?? t).label} made ${next()}`, role: 'viewer' } }),
  },
  revokeToken: {
    need: 'admin',
    ok: 204,
    scoped: true,
    request: async (t) => ({
      method: 'DELETE',
      path: `/v1/tokens/${(await createApiToken(stack.db, { workspaceId: t.tenant.workspaceId, name: `${t.label} doomed ${next()}`, role: 'viewer' })).id}`,
    }),
  },
  listWorkspaceUsers: { need: 'admin', ok: 200, scoped: false, request: () => ({ method: 'GET', path: '/v1/workspace/users' }) },
  addWorkspaceUser: {
    need: 'admin',
    ok: 201,
    scoped: false,
    // A new user of the caller's own workspace (named after it): 201, never 200.
    request: (t, caller) => ({ method: 'PUT', path: `/v1/workspace/users/${(caller ?? t).label}-a${next()}` }),
  },
  removeWorkspaceUser: {
    need: 'admin',
    ok: 204,
    scoped: true,
    request: async (t) => {
      const userId = `${t.label}-r${next()}`;
      await addWorkspaceUsers(stack.db, t.tenant.workspaceId, [userId]);
      return { method: 'DELETE', path: `/v1/workspace/users/${userId}` };
    },
  },
  githubWebhook: {
    need: 'signature',
    ok: 200,
    scoped: true,
    request: (t) => ({ method: 'POST', path: `/v1/webhooks/github?project=${t.projectId}`, body: pushBody(t) }),
  },
  getPullCredentials: { need: 'pull-token', ok: 200, scoped: false, request: (t) => ({ method: 'GET', path: `/v1/pull-credentials/${t.label}` }) },
};

const rank: Record<TokenRole, number> = { viewer: 0, deployer: 1, admin: 2 };
const CALLERS: Caller[] = [
  ...(['viewer', 'deployer', 'admin'] as const).flatMap((role) => [
    { kind: 'own' as const, role },
    { kind: 'other' as const, role },
  ]),
  { kind: 'none' },
  { kind: 'revoked' },
];
const callerName = (c: Caller) => ('role' in c ? `${c.kind} ${c.role}` : c.kind);

function expectedStatus(test: Case, caller: Caller): number {
  if (test.need === 'none') return test.ok;
  if (test.need === 'signature') return 401; // a token is not a signature
  if (test.need === 'pull-token') return 401; // a workspace token is not the pull-credentials token
  if (!('role' in caller)) return 401; // no token, or a revoked one
  if (rank[caller.role] < rank[test.need]) return 403;
  if (caller.kind === 'other' && test.scoped) return 404;
  return test.ok;
}

function pushBody(t: World) {
  return {
    ref: 'refs/heads/main',
    before: '0'.repeat(40),
    after: randomUUID().replace(/-/g, '').padEnd(40, '0'),
    deleted: false,
    repository: { full_name: 'acme/app', clone_url: 'https://git.example.com/acme/app.git' },
    pusher: { name: `${t.label}-pusher` },
  };
}

const worlds: Record<'amber' | 'birch', World> = {} as never;
/** Every answer, with who asked, for the leak scan at the end. */
const answers: { caller: Caller; asker?: World; request: Request; answer: ApiAnswer }[] = [];

async function setUpWorld(label: 'amber' | 'birch'): Promise<World> {
  // Each workspace may act for its own user only: the other's user is the one it must not reach.
  const tenant = await createTenant(stack, label, [`${label}-u`]);
  const created = await tenant.call('admin', 'POST', '/v1/projects', {
    name: `${label}-app`,
    userId: `${label}-u`,
    repoUrl: 'https://git.example.com/acme/app.git',
    appPort: 8080,
  });
  expect(created.status).toBe(201);
  const history = await seedHistory(stack.db, { id: created.body.id, workspaceId: label }, `${label} build log line\n`);
  const revoked = await createApiToken(stack.db, { workspaceId: label, name: `${label} revoked`, role: 'admin' });
  await revokeApiToken(stack.db, label, revoked.id);
  return { tenant, label, projectId: created.body.id, webhookSecret: created.body.webhookSecret, history, revokedToken: revoked.token };
}

beforeAll(async () => {
  // No worker: accepted deploys stay queued, so every call's effect is exactly its own.
  stack = await startStack({ noWorker: true, env: { PULL_CREDENTIALS_TOKEN: PULL_TOKEN } });
  worlds.amber = await setUpWorld('amber');
  worlds.birch = await setUpWorld('birch');
  // What activities/pull-access.ts stores for each workspace.
  for (const label of ['amber', 'birch'] as const) {
    const { envelope, keyId } = sealPullSecret(parseKeyRing(stack.config.CREDENTIAL_KEYS!), label, `${label}-robot-secret-${randomUUID()}`);
    await stack.db.workspacePullRobot.create({
      data: {
        workspaceId: label,
        robotName: `robot$apps+pull-${label}`,
        robotId: label === 'amber' ? 1 : 2,
        secret: envelope,
        secretKeyId: keyId,
        secretSetAt: new Date(),
      },
    });
  }
}, 120_000);
afterAll(async () => stack?.close());

const operations = apiOperations({ allowLocalRepos: true });
const operationOf = (id: string) => operations.find((op) => op.operationId === id)!;

async function call(target: World, caller: Caller, test: Case): Promise<{ request: Request; answer: ApiAnswer }> {
  const other = target === worlds.amber ? worlds.birch : worlds.amber;
  const asker = caller.kind === 'own' ? target : caller.kind === 'other' ? other : undefined;
  const request = await test.request(target, asker);
  const token = 'role' in caller ? asker!.tenant.tokens[caller.role] : caller.kind === 'revoked' ? target.revokedToken : undefined;
  const answer = await callApi(stack, token, request.method, request.path, request.body);
  answers.push({ caller, asker, request, answer });
  return { request, answer };
}

/** Checks a success answer against the operation's documented answer. */
function expectDocumented(op: Operation, answer: ApiAnswer) {
  const documented = op.responses[answer.status];
  expect(documented, `${op.operationId} answered ${answer.status}, which the document does not list`).toBeDefined();
  if (!documented!.schema) return;
  if (documented!.contentType === 'text/plain') {
    expect(answer.headers.get('content-type')).toMatch(/^text\/plain/);
    return;
  }
  const parsed = documented!.schema.safeParse(answer.body);
  expect(parsed.success, `${op.operationId} ${answer.status} does not match its documented schema: ${parsed.error?.message}`).toBe(true);
}

describe('route matrix', () => {
  it('the hand-written cases, the operation list and the served routes are the same set, with the same roles', () => {
    expect(Object.keys(CASES).sort()).toEqual(operations.map((op) => op.operationId).sort());
    for (const op of operations) {
      const need = CASES[op.operationId]!.need;
      if (need === 'none' || need === 'signature' || need === 'pull-token') expect(op.auth, op.operationId).toBe(need);
      else expect(op.role, op.operationId).toBe(need);
    }
    const served = new Set(
      stack.app.routes.filter((r) => r.method !== 'ALL' && !['/', '/assets/app.js', '/assets/styles.css'].includes(r.path)).map((r) => `${r.method} ${r.path}`),
    );
    const documented = new Set(operations.map((op) => `${op.method.toUpperCase()} ${op.path.replace(/\{(\w+)\}/g, ':$1')}`));
    expect([...served].sort()).toEqual([...documented].sort());
  });

  for (const [operationId, test] of Object.entries(CASES)) {
    for (const targetName of ['amber', 'birch'] as const) {
      it(`${operationId} on ${targetName}'s resources`, async () => {
        const target = worlds[targetName];
        const got: string[] = [];
        const want: string[] = [];
        for (const caller of CALLERS) {
          const { request, answer } = await call(target, caller, test);
          got.push(`${callerName(caller)}: ${answer.status}`);
          want.push(`${callerName(caller)}: ${expectedStatus(test, caller)}`);
          if (answer.status < 300) expectDocumented(operationOf(operationId), answer);
          else if (answer.status !== expectedStatus(test, caller)) got.push(`  (${request.method} ${request.path}: ${answer.text.slice(0, 200)})`);
        }
        expect(got).toEqual(want);
      });
    }
  }

  it('creating a project for the other workspace’s user is 403 for every role, and writes nothing', async () => {
    for (const [asker, owner] of [
      [worlds.amber, worlds.birch],
      [worlds.birch, worlds.amber],
    ] as const) {
      const body = { name: `${owner.label}-mine`, userId: `${owner.label}-u`, repoUrl: 'https://git.example.com/acme/app.git', appPort: 8080 };
      const before = await stack.db.project.count();
      for (const role of ['viewer', 'deployer', 'admin'] as const) {
        const answer = await callApi(stack, asker.tenant.tokens[role], 'POST', '/v1/projects', body);
        answers.push({ caller: { kind: 'own', role }, asker, request: { method: 'POST', path: '/v1/projects', body }, answer });
        expect(answer.status, `${asker.label} ${role}`).toBe(403);
        if (role === 'admin') {
          expect(answer.body).toEqual({
            error: {
              code: 'user_not_in_workspace',
              message: `user ${owner.label}-u is not a member of workspace ${asker.label}: add it with PUT /v1/workspace/users/${owner.label}-u or \`scripts/tokens.ts users add --workspace ${asker.label} --user ${owner.label}-u\``,
            },
          });
        } else {
          expect((answer.body as { error: { code: string } }).error.code).toBe('forbidden');
        }
      }
      expect(await stack.db.project.count()).toBe(before);
      // No name was claimed: the workspace that may act for the user still gets every name.
      const own = await owner.tenant.call('admin', 'POST', '/v1/projects', body);
      expect(own.status).toBe(201);
      answers.push({ caller: { kind: 'own', role: 'admin' }, asker: owner, request: { method: 'POST', path: '/v1/projects', body }, answer: own });
    }
  });

  it('webhooks: only the addressed project’s own secret is accepted', async () => {
    for (const [target, other] of [
      [worlds.amber, worlds.birch],
      [worlds.birch, worlds.amber],
    ] as const) {
      const body = JSON.stringify(pushBody(target));
      const send = (secret: string | undefined) => postWebhook(stack.app, body, { project: target.projectId, secret });
      expect((await send(undefined)).status).toBe(401);
      expect((await send(other.webhookSecret)).status).toBe(401);
      const ok = await send(target.webhookSecret);
      expect(ok.status).toBe(200);
      expectDocumented(operationOf('githubWebhook'), { status: 200, body: await ok.json(), text: '', headers: ok.headers });
    }
  });

  it('pull credentials: the pull token gets each workspace its own robot, 404 for an unknown one, 401 for a wrong token', async () => {
    const get = (workspaceId: string, token: string | undefined) => callApi(stack, token, 'GET', `/v1/pull-credentials/${workspaceId}`);
    for (const world of [worlds.amber, worlds.birch]) {
      const answer = await get(world.label, PULL_TOKEN);
      answers.push({ caller: { kind: 'own', role: 'admin' }, asker: world, request: { method: 'GET', path: `/v1/pull-credentials/${world.label}` }, answer });
      expect(answer.status).toBe(200);
      expectDocumented(operationOf('getPullCredentials'), answer);
      expect(answer.body).toEqual({
        registry: new URL(stack.config.HARBOR_URL).host,
        username: `robot$apps+pull-${world.label}`,
        password: expect.stringMatching(new RegExp(`^${world.label}-robot-secret-`)),
      });
      expect(answer.headers.get('cache-control')).toBe('no-store');
    }
    expect((await get('nobody', PULL_TOKEN)).status).toBe(404);
    expect((await get('Not_A_Label', PULL_TOKEN)).status).toBe(400);
    expect((await get('amber', `${PULL_TOKEN}x`)).status).toBe(401);
    expect((await get('amber', PULL_TOKEN.slice(0, -1))).status).toBe(401);
  });

  it('no answer holds the other workspace’s data', async () => {
    expect(answers.length).toBeGreaterThan(300);
    const markers = async (world: World): Promise<string[]> => {
      const ws = world.tenant.workspaceId;
      const [projects, deployments, tokens] = await Promise.all([
        stack.db.project.findMany({ where: { workspaceId: ws } }),
        stack.db.deployment.findMany({ where: { workspaceId: ws } }),
        stack.db.apiToken.findMany({ where: { workspaceId: ws } }),
      ]);
      return [
        world.label, // workspace id, and the prefix of every name and user id in it
        ...Object.values(world.tenant.tokens),
        world.revokedToken,
        ...projects.flatMap((p) => [p.id, p.webhookSecret ?? '', p.previousWebhookSecret ?? '']),
        ...deployments.flatMap((d) => [d.id, d.commitSha ?? '', d.imageDigest ?? '', d.gitopsCommitSha ?? '']),
        ...tokens.flatMap((t) => [t.id, t.prefix, t.tokenHash]),
      ].filter((m) => m.length >= 5);
    };
    const secretsOf = { amber: await markers(worlds.amber), birch: await markers(worlds.birch) };
    const leaks: string[] = [];
    for (const { caller, asker, request, answer } of answers) {
      // What a caller may not see: the other workspace's data (nobody's, for anonymous callers),
      // apart from what it put in its own request (an id in the path comes back in a 404).
      const foreign = asker ? secretsOf[asker === worlds.amber ? 'birch' : 'amber'] : [...secretsOf.amber, ...secretsOf.birch];
      const asked = `${request.path} ${JSON.stringify(request.body ?? '')}`;
      for (const marker of foreign) {
        if (!asked.includes(marker) && answer.text.includes(marker))
          leaks.push(`${callerName(caller)} ${request.method} ${request.path} -> ${answer.status} shows ${marker.slice(0, 12)}…`);
      }
    }
    expect(leaks).toEqual([]);
  });
});
