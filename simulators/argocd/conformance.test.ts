// Conformance of the Argo CD simulator over real HTTP with plain fetch: the facts of
// docs/outside-systems.md ("Argo CD") against a real bare Git repository.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioStore } from '../common/scenario.js';
import type { Application } from './types.js';
import {
  createGitopsRepo,
  removeDir,
  startArgoCd,
  startRegistryStub,
  tempDir,
  waitFor,
  writeChart,
  type GitopsRepo,
  type RegistryStub,
  type RunningArgoCd,
} from './test-support.js';

const USERS = [{ username: 'admin', password: 'admin-password' }];
const STATIC_TOKEN = 'pre-issued-project-token';
const FULL_SHA = /^[0-9a-f]{40}$/;
const anyString: unknown = expect.any(String);

/** JSON answers are read as the types the simulator writes (checked field by field below). */
type Body = Application & { error?: string; code?: number; message?: string; token?: string; items?: Application[] } & Record<string, unknown>;

let root: string;
let repo: GitopsRepo;
let registry: RegistryStub;
let argo: RunningArgoCd;
let scenarios: ScenarioStore;
let token: string;

const digestOf = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function chart(userId: string, projectName: string, tag: string, opts: { digest?: string; push?: boolean } = {}): void {
  const repository = `${registry.host}/apps/ws1/${userId}-${projectName}`;
  writeChart(repo.work, { workspaceId: 'ws1', userId, projectName, repository, tag, digest: opts.digest });
  if (opts.push !== false) registry.push(opts.digest ? `apps/ws1/${userId}-${projectName}@${opts.digest}` : `apps/ws1/${userId}-${projectName}:${tag}`);
}

async function api(pathname: string, init: RequestInit & { auth?: string | null } = {}): Promise<{ status: number; body: Body }> {
  const headers = new Headers(init.headers);
  const auth = init.auth === undefined ? token : init.auth;
  if (auth) headers.set('authorization', `Bearer ${auth}`);
  if (init.body) headers.set('content-type', 'application/json');
  const response = await fetch(`${argo.url}${pathname}`, { ...init, headers });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
}

const getApp = async (name: string, query = '') => (await api(`/api/v1/applications/${name}${query}`)).body;

/** "Live at my commit" as docs/outside-systems.md states it. */
function isLive(app: Application, sha: string): boolean {
  const s = app.status;
  const op = s.operationState;
  return (
    s.sync.revision === sha &&
    s.sync.status === 'Synced' &&
    s.health.status === 'Healthy' &&
    app.operation === undefined &&
    (!op || (op.finishedAt !== undefined && s.reconciledAt !== undefined && s.reconciledAt >= op.finishedAt)) &&
    (!op || op.syncResult?.revision !== sha || op.phase === 'Succeeded')
  );
}

beforeAll(async () => {
  root = tempDir('argocd-sim');
  repo = await createGitopsRepo(root);
  registry = await startRegistryStub();
  chart('alice', 'shop', '3f2a9c1-1a2b3c4d');
  chart('bob', 'api', 'aaaaaaa-00000001');
  // A nested chart three levels deep is not an app of its own (new globbing).
  writeChart(path.join(repo.work), { workspaceId: 'a', userId: 'b', projectName: 'c/charts/x', repository: `${registry.host}/x`, tag: '1' });
  rmSync(path.join(repo.work, 'apps/a/b/c/charts/x/templates'), { recursive: true });
  await repo.commitAndPush('Initial apps');
  scenarios = new ScenarioStore();
  scenarios.setDefault({ health: { progressingMs: 60 } });
  argo = await startArgoCd({
    scenarios,
    users: USERS,
    tokens: [STATIC_TOKEN],
    repo: { url: repo.url, branch: repo.branch },
    pollIntervalMs: 600_000,
    registry: { url: registry.url, username: 'robot', password: 'secret' },
    workDir: path.join(root, 'argocd'),
  });
  const session = await api('/api/v1/session', { method: 'POST', body: JSON.stringify(USERS[0]), auth: null });
  token = String(session.body.token);
});

afterAll(async () => {
  await argo?.close();
  await registry?.close();
  if (root) removeDir(root);
});

describe('auth', () => {
  it('answers /api/version without a token', async () => {
    const { status, body } = await api('/api/version', { auth: null });
    expect(status).toBe(200);
    expect(body).toEqual({ Version: expect.stringMatching(/^v2\./) as unknown });
  });

  it('answers 401 without a token or with a bad one', async () => {
    const none = await api('/api/v1/applications', { auth: null });
    expect(none.status).toBe(401);
    expect(none.body).toMatchObject({ code: 16, message: 'no session information' });
    const bad = await api('/api/v1/applications', { auth: 'not.a.token' });
    expect(bad.status).toBe(401);
    expect(bad.body.code).toBe(16);
  });

  it('issues a session token for good credentials only, and accepts pre-issued tokens', async () => {
    const wrong = await api('/api/v1/session', { method: 'POST', body: JSON.stringify({ username: 'admin', password: 'nope' }), auth: null });
    expect(wrong.status).toBe(401);
    expect(wrong.body.message).toBe('Invalid username or password');
    const good = await api('/api/v1/session', { method: 'POST', body: JSON.stringify(USERS[0]), auth: null });
    expect(good.status).toBe(200);
    expect(String(good.body.token).split('.')).toHaveLength(3);
    expect((await api('/api/v1/applications', { auth: String(good.body.token) })).status).toBe(200);
    expect((await api('/api/v1/applications', { auth: STATIC_TOKEN })).status).toBe(200);
  });
});

describe('applications', () => {
  it('answers 403 permission denied for an unknown app, 404 when a project is given', async () => {
    const denied = await api('/api/v1/applications/ws1-nobody-nothing');
    expect(denied.status).toBe(403);
    expect(denied.body).toEqual({ error: 'permission denied', code: 7, message: 'permission denied' });
    const refreshDenied = await api('/api/v1/applications/ws1-nobody-nothing?refresh=normal');
    expect(refreshDenied.status).toBe(403);
    const notFound = await api('/api/v1/applications/ws1-nobody-nothing?project=default');
    expect(notFound.status).toBe(404);
    expect(notFound.body).toMatchObject({ code: 5, message: 'applications.argoproj.io "ws1-nobody-nothing" not found' });
  });

  it('generates one app per apps/*/*/*/Chart.yaml and none for nested charts', async () => {
    const { status, body } = await api('/api/v1/applications');
    expect(status).toBe(200);
    const names = (body.items as Application[]).map((a) => a.metadata.name).sort();
    expect(names).toEqual(['ws1-alice-shop', 'ws1-bob-api']);
    const app = (body.items as Application[]).find((a) => a.metadata.name === 'ws1-alice-shop')!;
    expect(app.metadata).toMatchObject({
      name: 'ws1-alice-shop',
      namespace: 'argocd',
      uid: anyString,
      resourceVersion: anyString,
      creationTimestamp: anyString,
    });
    expect(app.spec).toEqual({
      project: 'default',
      source: { repoURL: repo.url, path: 'apps/ws1/alice/shop', targetRevision: 'main', helm: { releaseName: 'alice-shop', valueFiles: ['values.yaml'] } },
      destination: { server: 'https://kubernetes.default.svc', namespace: 'user-alice' },
      syncPolicy: { automated: { prune: true, selfHeal: true } },
    });
    expect(app.status.sourceType).toBe('Helm');
  });

  it('reaches Synced + Healthy at the head after the first poll, with the real status fields', async () => {
    const head = (await repo.git.revparse(['HEAD'])).trim();
    const app = await waitFor(
      () => getApp('ws1-alice-shop'),
      (a) => isLive(a, head),
    );
    expect(app.status.sync).toMatchObject({ status: 'Synced', revision: head, comparedTo: { destination: { namespace: 'user-alice' } } });
    expect(app.status.operationState).toMatchObject({
      phase: 'Succeeded',
      message: 'successfully synced (all tasks run)',
      syncResult: { revision: head },
      operation: { sync: { revision: head }, initiatedBy: { automated: true } },
    });
    expect(app.status.resources.map((r) => r.kind).sort()).toEqual(['Deployment', 'Ingress', 'Service']);
    expect(app.status.summary.images).toEqual([`${registry.host}/apps/ws1/alice-shop:3f2a9c1-1a2b3c4d`]);
    expect(app.status.history?.at(-1)).toMatchObject({ revision: head, id: 0 });
  });

  it('refresh blocks until the new commit is reconciled, then the app goes live at that full SHA', async () => {
    const before = await getApp('ws1-bob-api');
    chart('alice', 'shop', '4b5c6d7-2b3c4d5e', { digest: digestOf(1) });
    const sha = await repo.commitAndPush('Release alice/shop 4b5c6d7');

    const refreshed = await api('/api/v1/applications/ws1-alice-shop?refresh=normal');
    expect(refreshed.status).toBe(200);
    const app = refreshed.body;
    expect(app.status.sync.revision).toMatch(FULL_SHA);
    expect(app.status.sync.revision).toBe(sha);
    // Reconciled, auto-sync started: NOT live yet, although the previous commit was Synced + Healthy.
    expect(app.operation).toMatchObject({ sync: { revision: sha }, initiatedBy: { automated: true } });
    expect(app.status.operationState).toMatchObject({ phase: 'Running', startedAt: anyString });
    expect(isLive(app, sha)).toBe(false);

    const live = await waitFor(
      () => getApp('ws1-alice-shop'),
      (a) => isLive(a, sha),
    );
    const op = live.status.operationState!;
    expect(op).toMatchObject({ phase: 'Succeeded', syncResult: { revision: sha } });
    expect(op.startedAt).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(op.finishedAt! >= op.startedAt).toBe(true);
    expect(live.status.reconciledAt! >= op.finishedAt!).toBe(true);
    expect(live.status.summary.images).toEqual([`${registry.host}/apps/ws1/alice-shop@${digestOf(1)}`]);
    expect(live.status.history?.at(-1)).toMatchObject({ revision: sha, id: 1 });
    expect(Number(live.metadata.resourceVersion)).toBeGreaterThan(Number(app.metadata.resourceVersion));

    // The other app's files did not change: after a poll it tracks the new head but keeps its health.
    await api('/_sim/argocd/reconcile', { method: 'POST' });
    const other = await getApp('ws1-bob-api');
    expect(other.status.sync).toMatchObject({ status: 'Synced', revision: sha });
    expect(other.status.health.status).toBe('Healthy');
    expect(other.status.history).toHaveLength(before.status.history!.length);
    expect(other.status.operationState?.syncResult?.revision).toBe(before.status.operationState?.syncResult?.revision);
  });

  it('reports Degraded (ImagePullBackOff) when the image is not in the registry, and recovers once it is pushed', async () => {
    chart('alice', 'shop', 'deadbee-00000000', { digest: digestOf(2), push: false });
    const sha = await repo.commitAndPush('Release with an image that was never pushed');
    await api('/api/v1/applications/ws1-alice-shop?refresh=normal');
    const degraded = await waitFor(
      () => getApp('ws1-alice-shop'),
      (a) => a.status.health.status === 'Degraded',
    );
    expect(degraded.status.sync).toMatchObject({ status: 'Synced', revision: sha });
    expect(degraded.status.health.message).toBe(`Back-off pulling image "${registry.host}/apps/ws1/alice-shop@${digestOf(2)}"`);
    expect(registry.requests.token).toBeGreaterThan(0);

    registry.push(`apps/ws1/alice-shop@${digestOf(2)}`);
    await api('/api/v1/applications/ws1-alice-shop?refresh=normal');
    await waitFor(
      () => getApp('ws1-alice-shop'),
      (a) => isLive(a, sha),
    );
  });

  it('reports ComparisonError with the render message for a broken chart', async () => {
    chart('bob', 'api', 'bbbbbbb-00000002');
    const brokenFile = path.join(repo.work, 'apps/ws1/bob/api/templates/service.yaml');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(brokenFile, 'apiVersion: v1\nkind: Service\nmetadata:\n  name: [unclosed\n');
    await repo.commitAndPush('Broken chart');
    const app = (await api('/api/v1/applications/ws1-bob-api?refresh=hard')).body;
    expect(app.status.sync.status).toBe('Unknown');
    expect(app.status.sync.revision).toBeUndefined();
    const condition = app.status.conditions?.find((c) => c.type === 'ComparisonError');
    expect(condition?.message).toMatch(
      /^Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = .*YAML parse error on api\/templates\/service\.yaml/,
    );
    expect(app.operation).toBeUndefined();

    chart('bob', 'api', 'bbbbbbb-00000002');
    const fixed = await repo.commitAndPush('Fix chart');
    const after = (await api('/api/v1/applications/ws1-bob-api?refresh=normal')).body;
    expect(after.status.conditions ?? []).toEqual([]);
    await waitFor(
      () => getApp('ws1-bob-api'),
      (a) => isLive(a, fixed),
    );
  });

  it('answers 400 to a sync while an operation runs, and to a pinned revision on an auto-sync app', async () => {
    scenarios.set('ws1-bob-api', { health: { progressingMs: 1_500 } });
    chart('bob', 'api', 'ccccccc-00000003');
    const sha = await repo.commitAndPush('Slow release');
    const refreshed = (await api('/api/v1/applications/ws1-bob-api?refresh=normal')).body;
    expect(refreshed.operation).toBeDefined();

    const busy = await api('/api/v1/applications/ws1-bob-api/sync', { method: 'POST', body: JSON.stringify({ prune: true }) });
    expect(busy.status).toBe(400);
    expect(busy.body).toEqual({ error: 'another operation is already in progress', code: 9, message: 'another operation is already in progress' });

    const pinned = await api('/api/v1/applications/ws1-bob-api/sync', { method: 'POST', body: JSON.stringify({ revision: sha }) });
    expect(pinned.status).toBe(400);
    expect(pinned.body.message).toBe(`Cannot sync to ${sha}: auto-sync currently set to main`);

    const unknown = await api('/api/v1/applications/ws1-nobody-nothing/sync', { method: 'POST', body: '{}' });
    expect(unknown.status).toBe(403);

    await waitFor(
      () => getApp('ws1-bob-api'),
      (a) => isLive(a, sha),
      15_000,
    );
    const manual = await api('/api/v1/applications/ws1-bob-api/sync', { method: 'POST', body: JSON.stringify({ revision: 'main', prune: true }) });
    expect(manual.status).toBe(200);
    expect(manual.body.operation).toMatchObject({ sync: { revision: sha, prune: true }, initiatedBy: { username: 'admin' } });
    scenarios.delete('ws1-bob-api');
    await waitFor(
      () => getApp('ws1-bob-api'),
      (a) => isLive(a, sha) && a.status.operationState?.operation.initiatedBy.username === 'admin',
      15_000,
    );
  });
});

describe('health scenarios', () => {
  async function release(user: string, project: string, tag: string): Promise<string> {
    chart(user, project, tag);
    const sha = await repo.commitAndPush(`Release ${user}/${project} ${tag}`);
    await api('/_sim/argocd/reconcile', { method: 'POST' });
    return sha;
  }

  it('degraded-after: Healthy first, Degraded after afterMs', async () => {
    scenarios.set('ws1-carol-late', { health: { outcome: 'degraded-after', progressingMs: 50, afterMs: 400 } });
    const sha = await release('carol', 'late', 'late001-1');
    await waitFor(
      () => getApp('ws1-carol-late'),
      (a) => isLive(a, sha),
    );
    const later = await waitFor(
      () => getApp('ws1-carol-late'),
      (a) => a.status.health.status === 'Degraded',
    );
    expect(later.status.sync).toMatchObject({ status: 'Synced', revision: sha });
    expect(later.status.health.message).toMatch(/back-off restarting failed container/);
  });

  it('progressing: Synced but Progressing for good', async () => {
    scenarios.set('ws1-carol-slow', { health: { outcome: 'progressing', progressingMs: 20 } });
    const sha = await release('carol', 'slow', 'slow001-1');
    await waitFor(
      () => getApp('ws1-carol-slow'),
      (a) => a.status.sync.status === 'Synced' && a.status.sync.revision === sha && !a.operation,
    );
    await new Promise((r) => setTimeout(r, 400));
    const app = await getApp('ws1-carol-slow');
    expect(app.status.health.status).toBe('Progressing');
  });

  it('degraded: Degraded once the rollout gives up', async () => {
    scenarios.set('ws1-carol-bad', { health: { outcome: 'degraded', progressingMs: 50 } });
    const sha = await release('carol', 'bad', 'bad0001-1');
    const app = await waitFor(
      () => getApp('ws1-carol-bad'),
      (a) => a.status.health.status === 'Degraded',
    );
    expect(app.status.sync).toMatchObject({ status: 'Synced', revision: sha });
    expect(app.status.health.message).toContain('exceeded its progress deadline');
  });

  it('syncFails: operation Failed with a message, app stays OutOfSync, SyncError after the next comparison', async () => {
    scenarios.set('ws1-carol-fail', { health: { syncFails: true, progressingMs: 50 } });
    const sha = await release('carol', 'fail', 'fail001-1');
    const app = await waitFor(
      () => getApp('ws1-carol-fail'),
      (a) => a.status.operationState?.phase === 'Failed' && !a.operation,
    );
    expect(app.status.operationState).toMatchObject({
      phase: 'Failed',
      message: expect.stringContaining('one or more objects failed to apply') as unknown,
      syncResult: { revision: sha },
      finishedAt: anyString,
    });
    const after = await waitFor(
      () => getApp('ws1-carol-fail'),
      (a) => (a.status.conditions ?? []).some((c) => c.type === 'SyncError'),
    );
    expect(after.status.sync).toMatchObject({ status: 'OutOfSync', revision: sha });
    expect(after.operation).toBeUndefined();
  });
});

describe('repository following', () => {
  it('polls the branch on its own and removes apps whose chart is gone', async () => {
    const pollRoot = tempDir('argocd-poll');
    const pollRepo = await createGitopsRepo(pollRoot);
    writeChart(pollRepo.work, { workspaceId: 'ws2', userId: 'dave', projectName: 'blog', repository: 'example.invalid/blog', tag: 'v1' });
    await pollRepo.commitAndPush('Initial');
    const polling = await startArgoCd({
      scenarios: new ScenarioStore(),
      users: USERS,
      repo: { url: `file://${pollRepo.url}`, branch: 'main' },
      pollIntervalMs: 250,
      workDir: path.join(pollRoot, 'argocd'),
    });
    try {
      const session = (await (
        await fetch(`${polling.url}/api/v1/session`, { method: 'POST', body: JSON.stringify(USERS[0]), headers: { 'content-type': 'application/json' } })
      ).json()) as { token: string };
      const get = async (name: string) => {
        const response = await fetch(`${polling.url}/api/v1/applications/${name}`, { headers: { authorization: `Bearer ${session.token}` } });
        return { status: response.status, body: (await response.json()) as Application };
      };
      writeChart(pollRepo.work, { workspaceId: 'ws2', userId: 'dave', projectName: 'blog', repository: 'example.invalid/blog', tag: 'v2' });
      const sha = await pollRepo.commitAndPush('v2');
      const started = Date.now();
      await waitFor(
        () => get('ws2-dave-blog'),
        (r) => r.status === 200 && isLive(r.body, sha),
        5_000,
      );
      expect(Date.now() - started).toBeLessThan(2_000);

      rmSync(path.join(pollRepo.work, 'apps/ws2/dave/blog'), { recursive: true });
      await pollRepo.commitAndPush('Remove blog');
      await waitFor(
        () => get('ws2-dave-blog'),
        (r) => r.status === 403,
        5_000,
      );
    } finally {
      await polling.close();
      removeDir(pollRoot);
    }
  });
});

describe('simulator plumbing', () => {
  it('injects seeded faults and counts them', async () => {
    await api('/_sim/counters/reset', { method: 'POST' });
    await api('/_sim/faults', { method: 'PUT', body: JSON.stringify({ errorRate: 0.3, seed: 7 }) });
    let errors = 0;
    for (let i = 0; i < 40; i += 1) {
      const response = await fetch(`${argo.url}/api/v1/applications`, { headers: { authorization: `Bearer ${token}` } });
      if (response.status === 503) errors += 1;
      await response.body?.cancel();
    }
    await api('/_sim/faults', { method: 'PUT', body: JSON.stringify({}) });
    const counters = (await api('/_sim/counters')).body as unknown as { faults: { error: number }; routes: Record<string, number> };
    expect(errors).toBeGreaterThan(0);
    expect(errors).toBeLessThan(40);
    expect(counters.faults.error).toBe(errors);
    expect(counters.routes['GET /api/v1/applications']).toBe(40);
  });

  it('shows internal app state under /_sim/argocd/apps', async () => {
    const { status, body } = await api('/_sim/argocd/apps');
    const state = body as unknown as { head: string; apps: Array<{ name: string }> };
    expect(status).toBe(200);
    expect(state.head).toMatch(FULL_SHA);
    expect(state.apps.find((a) => a.name === 'ws1-alice-shop')).toMatchObject({
      path: 'apps/ws1/alice/shop',
      releaseName: 'alice-shop',
      namespace: 'user-alice',
    });
  });
});
