// The Argo CD client against the simulator over real HTTP. The "live at MY commit" rules it feeds
// are tested case by case in activities/live-status.test.ts.
import { inspect } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioStore } from '../simulators/common/scenario.js';
import {
  createGitopsRepo,
  removeDir,
  startArgoCd,
  tempDir,
  waitFor,
  writeChart,
  type GitopsRepo,
  type RunningArgoCd,
} from '../simulators/argocd/test-support.js';
import { liveStatus } from '../activities/live-status.js';
import { ArgoCdClient } from './argocd.js';
import { ClientError } from './errors.js';

const USER = { username: 'admin', password: 'admin-password-1' };
describe('ArgoCdClient against the simulator', () => {
  let root: string;
  let repo: GitopsRepo;
  let argo: RunningArgoCd;
  let scenarios: ScenarioStore;
  let client: ArgoCdClient;

  const chart = (tag: string) =>
    writeChart(repo.work, { workspaceId: 'ws1', userId: 'alice', projectName: 'shop', repository: 'registry.example/apps/ws1/alice-shop', tag });
  const sim = (route: string, method: string, body?: unknown) =>
    fetch(`${argo.url}/_sim${route}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  const counters = async () => (await (await sim('/counters', 'GET')).json()) as { routes: Record<string, number>; faults: { error: number; drop: number } };

  beforeAll(async () => {
    root = tempDir('argocd-client');
    repo = await createGitopsRepo(root);
    chart('v1');
    await repo.commitAndPush('Initial');
    scenarios = new ScenarioStore();
    scenarios.setDefault({ health: { progressingMs: 40 } });
    argo = await startArgoCd({
      scenarios,
      users: [USER],
      tokens: ['static-token'],
      repo: { url: repo.url, branch: 'main' },
      pollIntervalMs: 600_000,
      workDir: path.join(root, 'argocd'),
    });
    client = new ArgoCdClient({ baseUrl: argo.url, ...USER });
  });

  afterAll(async () => {
    await argo?.close();
    if (root) removeDir(root);
  });

  it('reads the version without a session', async () => {
    expect(await new ArgoCdClient({ baseUrl: argo.url, token: 'anything' }).version()).toMatch(/^v2\./);
  });

  it('logs in with username and password and reads a validated application', async () => {
    const app = await client.getApplication('ws1-alice-shop');
    expect(app?.metadata.name).toBe('ws1-alice-shop');
    expect(app?.spec?.destination?.namespace).toBe('user-alice');
    expect((await client.listApplications()).map((a) => a.metadata.name)).toEqual(['ws1-alice-shop']);
  });

  it('answers null for an app Argo CD will not show (403), with or without a project (404)', async () => {
    expect(await client.getApplication('ws1-nobody-nothing')).toBeNull();
    expect(await client.getApplication('ws1-nobody-nothing', { project: 'default' })).toBeNull();
  });

  it('with a project, tells a 403 (RBAC: a terminal `forbidden` naming project and app) from a 404 (null)', async () => {
    await sim('/argocd/rbac', 'PUT', { account: USER.username, denyApps: ['ws1-alice-shop'] });
    try {
      const error = await client.getApplication('ws1-alice-shop', { project: 'default' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ClientError);
      expect(error).toMatchObject({
        system: 'argocd',
        kind: 'forbidden',
        status: 403,
        transient: false,
        message: 'Argo CD denies this account default/ws1-alice-shop: permission denied',
      });
      // Without a project Argo CD says the same for a missing app: nothing to tell apart.
      expect(await client.getApplication('ws1-alice-shop')).toBeNull();
    } finally {
      await sim('/argocd/rbac', 'PUT', { account: USER.username, denyApps: [] });
    }
    expect(await client.getApplication('ws1-alice-shop', { project: 'default' })).not.toBeNull();
  });

  it('reads the ApplicationSet status (validated), and null for one that does not exist', async () => {
    const set = await client.getApplicationSet('user-projects');
    expect(set?.status.conditions?.map((c) => [c.type, c.status])).toEqual([
      ['ErrorOccurred', 'False'],
      ['ParametersGenerated', 'True'],
      ['ResourcesUpToDate', 'True'],
    ]);
    expect(set?.status.resources?.map((r) => r.name)).toEqual(['ws1-alice-shop']);
    expect(await client.getApplicationSet('nope')).toBeNull();
  });

  it('logs in again once when its token is refused', async () => {
    await sim('/counters/reset', 'POST');
    const stale = new ArgoCdClient({ baseUrl: argo.url, token: 'expired.token.value', ...USER });
    expect(await stale.getApplication('ws1-alice-shop')).not.toBeNull();
    expect((await counters()).routes['POST /api/v1/session']).toBe(1);
  });

  it('fails with a terminal auth error for a refused token or bad credentials, and never shows secrets', async () => {
    const tokenOnly = new ArgoCdClient({ baseUrl: argo.url, token: 'secret-token-value-123' });
    const error = await tokenOnly.getApplication('ws1-alice-shop').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ system: 'argocd', kind: 'auth', transient: false });
    expect(String((error as Error).message)).not.toContain('secret-token-value-123');
    expect(inspect(tokenOnly)).not.toContain('secret-token-value-123');
    expect(JSON.stringify(tokenOnly)).not.toContain('secret-token-value-123');

    const badLogin = new ArgoCdClient({ baseUrl: argo.url, username: 'admin', password: 'wrong-password-456' });
    const loginError = await badLogin.getApplication('ws1-alice-shop').catch((e: unknown) => e);
    expect(loginError).toMatchObject({ system: 'argocd', kind: 'auth', transient: false });
    expect(String((loginError as Error).message)).not.toContain('wrong-password-456');
    expect(inspect(badLogin)).not.toContain('wrong-password-456');
  });

  it('refreshes right after a push, then sees the app live at that commit through liveStatus', async () => {
    chart('v2');
    const sha = await repo.commitAndPush('Release v2');
    const refreshed = await client.getApplication('ws1-alice-shop', { refresh: 'normal', timeoutMs: 10_000 });
    expect(refreshed?.status.sync?.revision).toBe(sha);
    const first = liveStatus(refreshed!, sha, { now: Date.now(), degradedGraceMs: 60_000 });
    expect(first.state).toBe('waiting');
    const app = await waitFor(
      () => client.getApplication('ws1-alice-shop'),
      (a) => a !== null && liveStatus(a, sha, { now: Date.now(), degradedGraceMs: 60_000 }).state === 'live',
    );
    expect(app?.status.operationState?.syncResult?.revision).toBe(sha);
  });

  it('names an in-progress operation (transient) and a refused revision (terminal) on sync', async () => {
    scenarios.set('ws1-alice-shop', { health: { progressingMs: 1_500 } });
    chart('v3');
    const sha = await repo.commitAndPush('Release v3');
    await client.getApplication('ws1-alice-shop', { refresh: 'normal' });
    const busy = await client.sync('ws1-alice-shop').catch((e: unknown) => e);
    expect(busy).toBeInstanceOf(ClientError);
    expect(busy).toMatchObject({ kind: 'conflict', transient: true, message: 'Argo CD application ws1-alice-shop: another operation is already in progress' });
    const pinned = await client.sync('ws1-alice-shop', { revision: sha }).catch((e: unknown) => e);
    expect(pinned).toMatchObject({ kind: 'invalid', transient: false });
    expect((pinned as Error).message).toContain('auto-sync currently set to main');
    scenarios.delete('ws1-alice-shop');
    await waitFor(
      () => client.getApplication('ws1-alice-shop'),
      (a) => a !== null && liveStatus(a, sha, { now: Date.now(), degradedGraceMs: 0 }).state === 'live',
      15_000,
    );
    const synced = await client.sync('ws1-alice-shop', { prune: true });
    expect(synced.operation?.sync?.revision).toBe(sha);
  });

  it('classifies 5xx, dropped connections and timeouts as transient', async () => {
    try {
      await sim('/faults', 'PUT', { errorRate: 1 });
      const e503 = await client.getApplication('ws1-alice-shop').catch((e: unknown) => e);
      expect(e503).toBeInstanceOf(ClientError);
      expect(e503).toMatchObject({ kind: 'unavailable', transient: true, status: 503 });

      await sim('/faults', 'PUT', { dropRate: 1 });
      const dropped = await client.getApplication('ws1-alice-shop').catch((e: unknown) => e);
      expect(dropped).toMatchObject({ kind: 'unavailable', transient: true });

      await sim('/faults', 'PUT', { latencyMs: 500 });
      const slow = await client.getApplication('ws1-alice-shop', { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(slow).toMatchObject({ kind: 'timeout', transient: true });
    } finally {
      await sim('/faults', 'PUT', {});
    }
  });

  it('under seeded faults at 0.3, every failure is transient and matches the counters', async () => {
    await client.getApplication('ws1-alice-shop'); // a session before faults start
    await sim('/counters/reset', 'POST');
    // (Drops are covered above: each one holds the socket for seconds, so this run uses 5xx.)
    await sim('/faults', 'PUT', { errorRate: 0.3, seed: 42 });
    let failures = 0;
    try {
      for (let i = 0; i < 40; i += 1) {
        try {
          await client.getApplication('ws1-alice-shop');
        } catch (error) {
          failures += 1;
          expect(error).toMatchObject({ system: 'argocd', transient: true });
        }
      }
    } finally {
      await sim('/faults', 'PUT', {});
    }
    const seen = await counters();
    expect(failures).toBeGreaterThan(0);
    expect(failures).toBeLessThan(40);
    expect(seen.faults.error + seen.faults.drop).toBe(failures);
  });
});
