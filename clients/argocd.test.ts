// The Argo CD client against the simulator over real HTTP, and the "live at MY commit" rules
// (docs/external-apis.md) as a table of pure cases.
import { inspect } from 'node:util';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioStore } from '../simulators/common/scenario.js';
import { createGitopsRepo, removeDir, startArgoCd, tempDir, waitFor, writeChart, type GitopsRepo, type RunningArgoCd } from '../simulators/argocd/test-support.js';
import {
  ArgoCdAuthError,
  ArgoCdClient,
  ArgoCdForbiddenError,
  ArgoCdOperationInProgressError,
  ArgoCdSyncRejectedError,
  ArgoCdTimeoutError,
  ArgoCdUnavailableError,
  applicationSchema,
  isArgoCdTransient,
  isRepoFetchError,
  liveStatus,
  type Application,
  type ArgoCdError,
  type LiveStatusOptions,
} from './argocd.js';

const USER = { username: 'admin', password: 'admin-password-1' };
const OURS = 'a'.repeat(40);
const PREVIOUS = 'b'.repeat(40);
const NEWER = 'c'.repeat(40);

describe('ArgoCdClient against the simulator', () => {
  let root: string;
  let repo: GitopsRepo;
  let argo: RunningArgoCd;
  let scenarios: ScenarioStore;
  let client: ArgoCdClient;

  const chart = (tag: string) => writeChart(repo.work, { workspaceId: 'ws1', userId: 'alice', projectName: 'shop', repository: 'registry.example/apps/ws1/alice-shop', tag });
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
    argo = await startArgoCd({ scenarios, users: [USER], tokens: ['static-token'], repo: { url: repo.url, branch: 'main' }, pollIntervalMs: 600_000, workDir: path.join(root, 'argocd') });
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

  it('with a project, tells a 403 (RBAC: a terminal ArgoCdForbiddenError naming project and app) from a 404 (null)', async () => {
    await sim('/argocd/rbac', 'PUT', { account: USER.username, denyApps: ['ws1-alice-shop'] });
    try {
      const error = await client.getApplication('ws1-alice-shop', { project: 'default' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(ArgoCdForbiddenError);
      expect(error).toMatchObject({ status: 403, transient: false, application: 'ws1-alice-shop', project: 'default', message: 'Argo CD denies this account default/ws1-alice-shop: permission denied' });
      // Without a project Argo CD says the same for a missing app: nothing to tell apart.
      expect(await client.getApplication('ws1-alice-shop')).toBeNull();
    } finally {
      await sim('/argocd/rbac', 'PUT', { account: USER.username, denyApps: [] });
    }
    expect(await client.getApplication('ws1-alice-shop', { project: 'default' })).not.toBeNull();
  });

  it('reads the ApplicationSet status (validated), and null for one that does not exist', async () => {
    const set = await client.getApplicationSet('user-projects');
    expect(set?.status.conditions?.map((c) => [c.type, c.status])).toEqual([['ErrorOccurred', 'False'], ['ParametersGenerated', 'True'], ['ResourcesUpToDate', 'True']]);
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
    expect(error).toBeInstanceOf(ArgoCdAuthError);
    expect(isArgoCdTransient(error)).toBe(false);
    expect(String((error as Error).message)).not.toContain('secret-token-value-123');
    expect(inspect(tokenOnly)).not.toContain('secret-token-value-123');
    expect(JSON.stringify(tokenOnly)).not.toContain('secret-token-value-123');

    const badLogin = new ArgoCdClient({ baseUrl: argo.url, username: 'admin', password: 'wrong-password-456' });
    const loginError = await badLogin.getApplication('ws1-alice-shop').catch((e: unknown) => e);
    expect(loginError).toBeInstanceOf(ArgoCdAuthError);
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
    expect(busy).toBeInstanceOf(ArgoCdOperationInProgressError);
    expect(isArgoCdTransient(busy)).toBe(true);
    const pinned = await client.sync('ws1-alice-shop', { revision: sha }).catch((e: unknown) => e);
    expect(pinned).toBeInstanceOf(ArgoCdSyncRejectedError);
    expect((pinned as Error).message).toContain('auto-sync currently set to main');
    expect(isArgoCdTransient(pinned)).toBe(false);
    scenarios.delete('ws1-alice-shop');
    await waitFor(() => client.getApplication('ws1-alice-shop'), (a) => a !== null && liveStatus(a, sha, { now: Date.now(), degradedGraceMs: 0 }).state === 'live', 15_000);
    const synced = await client.sync('ws1-alice-shop', { prune: true });
    expect(synced.operation?.sync?.revision).toBe(sha);
  });

  it('classifies 5xx, dropped connections and timeouts as transient', async () => {
    try {
      await sim('/faults', 'PUT', { errorRate: 1 });
      const e503 = await client.getApplication('ws1-alice-shop').catch((e: unknown) => e);
      expect(e503).toBeInstanceOf(ArgoCdUnavailableError);
      expect((e503 as ArgoCdError).status).toBe(503);

      await sim('/faults', 'PUT', { dropRate: 1 });
      const dropped = await client.getApplication('ws1-alice-shop').catch((e: unknown) => e);
      expect(dropped).toBeInstanceOf(ArgoCdUnavailableError);
      expect(isArgoCdTransient(dropped)).toBe(true);

      await sim('/faults', 'PUT', { latencyMs: 500 });
      const slow = await client.getApplication('ws1-alice-shop', { timeoutMs: 100 }).catch((e: unknown) => e);
      expect(slow).toBeInstanceOf(ArgoCdTimeoutError);
      expect(isArgoCdTransient(slow)).toBe(true);
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
          expect(isArgoCdTransient(error)).toBe(true);
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

// ---------------------------------------------------------------------------------------------
// liveStatus, rule by rule

const T0 = Date.parse('2025-05-01T10:00:00Z');
const at = (seconds: number) => new Date(T0 + seconds * 1000).toISOString().replace('.000Z', 'Z');

interface Fixture {
  revision?: string;
  sync?: string;
  health?: string;
  healthMessage?: string;
  operation?: string;
  op?: { revision: string; phase: string; message?: string; finishedAt?: number } | null;
  reconciledAt?: number;
  conditions?: Array<{ type: string; message: string }>;
}

/** An application as Argo CD serves it; by default live at OURS. */
function app(f: Fixture = {}): Application {
  const op = f.op === undefined ? { revision: OURS, phase: 'Succeeded', finishedAt: 5 } : f.op;
  return applicationSchema.parse({
    metadata: { name: 'ws1-alice-shop', namespace: 'argocd' },
    spec: { project: 'default' },
    status: {
      sync: { status: f.sync ?? 'Synced', ...(f.revision === '' ? {} : { revision: f.revision ?? OURS }) },
      health: { status: f.health ?? 'Healthy', ...(f.healthMessage ? { message: f.healthMessage } : {}) },
      ...(op
        ? {
            operationState: {
              operation: { sync: { revision: op.revision } },
              phase: op.phase,
              message: op.message ?? '',
              startedAt: at(1),
              ...(op.finishedAt !== undefined ? { finishedAt: at(op.finishedAt) } : {}),
              ...(op.phase === 'Running' ? {} : { syncResult: { revision: op.revision } }),
            },
          }
        : {}),
      reconciledAt: at(f.reconciledAt ?? 6),
      ...(f.conditions ? { conditions: f.conditions } : {}),
    },
    ...(f.operation ? { operation: { sync: { revision: f.operation } } } : {}),
  });
}

const options = (extra: Partial<LiveStatusOptions> = {}): LiveStatusOptions => ({ now: T0 + 60_000, degradedGraceMs: 30_000, ...extra });

describe('liveStatus', () => {
  it.each<[string, Application, Partial<LiveStatusOptions>, { state: string; type?: string }]>([
    ['Synced + Healthy at our SHA after a Succeeded operation is live', app(), {}, { state: 'live' }],
    ['no operationState at all (synced by an earlier sync of the same manifests) is live', app({ op: null }), {}, { state: 'live' }],
    ['reconciledAt equal to finishedAt (1 s resolution) is live', app({ reconciledAt: 5 }), {}, { state: 'live' }],
    ['the PREVIOUS commit Synced + Healthy is NOT live', app({ revision: PREVIOUS, op: { revision: PREVIOUS, phase: 'Succeeded', finishedAt: 5 } }), {}, { state: 'waiting' }],
    ['an operation in flight is not live', app({ operation: OURS, op: { revision: OURS, phase: 'Running' } }), {}, { state: 'waiting' }],
    ['an operationState still Running is not live', app({ op: { revision: OURS, phase: 'Running' } }), {}, { state: 'waiting' }],
    ['not compared since the operation finished is not live', app({ reconciledAt: 4 }), {}, { state: 'waiting' }],
    ['OutOfSync at our SHA is not live', app({ sync: 'OutOfSync' }), {}, { state: 'waiting' }],
    ['Progressing is not live', app({ health: 'Progressing' }), {}, { state: 'waiting' }],
    ['Missing is not live', app({ health: 'Missing' }), {}, { state: 'waiting' }],
    ['operation Failed for our SHA fails', app({ sync: 'OutOfSync', op: { revision: OURS, phase: 'Failed', message: 'one or more objects failed to apply', finishedAt: 5 } }), {}, { state: 'failed', type: 'sync-failed' }],
    ['operation Error for our SHA fails', app({ sync: 'OutOfSync', op: { revision: OURS, phase: 'Error', message: 'boom', finishedAt: 5 } }), {}, { state: 'failed', type: 'sync-failed' }],
    ['a Failed operation of the previous commit only waits', app({ revision: PREVIOUS, sync: 'OutOfSync', op: { revision: PREVIOUS, phase: 'Failed', finishedAt: 5 } }), {}, { state: 'waiting' }],
    ['ComparisonError (no revision reported) fails', app({ revision: '', sync: 'Unknown', conditions: [{ type: 'ComparisonError', message: 'Failed to load target state' }] }), {}, { state: 'failed', type: 'comparison-error' }],
    ['InvalidSpecError fails', app({ conditions: [{ type: 'InvalidSpecError', message: 'bad spec' }] }), {}, { state: 'failed', type: 'invalid-spec' }],
    ['SyncError fails', app({ sync: 'OutOfSync', conditions: [{ type: 'SyncError', message: `Failed sync attempt to ${OURS}` }] }), {}, { state: 'failed', type: 'sync-error' }],
    ['UnknownError fails', app({ conditions: [{ type: 'UnknownError', message: 'x' }] }), {}, { state: 'failed', type: 'unknown-error' }],
    ['DeletionError fails', app({ conditions: [{ type: 'DeletionError', message: 'x' }] }), {}, { state: 'failed', type: 'deletion-error' }],
    ['a warning condition does not fail', app({ conditions: [{ type: 'OrphanedResourceWarning', message: 'x' }] }), {}, { state: 'live' }],
    ['a chart ComparisonError is comparison-error', app({ revision: '', sync: 'Unknown', conditions: [{ type: 'ComparisonError', message: 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = `helm template . --name-template x` failed exit status 1: Error: parse error' }] }), {}, { state: 'failed', type: 'comparison-error' }],
    ['a repository ComparisonError is repo-unreachable', app({ revision: '', sync: 'Unknown', conditions: [{ type: 'ComparisonError', message: 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = failed to list refs: repository not found' }] }), {}, { state: 'failed', type: 'repo-unreachable' }],
    ['a repository ComparisonError fails whichever revision the app shows', app({ revision: PREVIOUS, sync: 'Unknown', conditions: [{ type: 'ComparisonError', message: 'Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = failed to list refs: authentication required' }] }), {}, { state: 'failed', type: 'repo-unreachable' }],
    ['SharedResourceWarning at our SHA is shared-resource', app({ conditions: [{ type: 'SharedResourceWarning', message: 'Deployment/alice-shop is part of applications argocd/ws1-alice-shop and ws2-alice-shop' }] }), {}, { state: 'failed', type: 'shared-resource' }],
    ['SharedResourceWarning about another revision only waits', app({ revision: PREVIOUS, conditions: [{ type: 'SharedResourceWarning', message: 'x' }] }), {}, { state: 'waiting' }],
    ['an error condition about another revision only waits', app({ revision: PREVIOUS, conditions: [{ type: 'SyncError', message: 'old' }] }), {}, { state: 'waiting' }],
    ['Degraded first seen now waits', app({ health: 'Degraded', healthMessage: 'Back-off pulling image "x"' }), {}, { state: 'waiting' }],
    ['Degraded within the grace period waits', app({ health: 'Degraded' }), { degradedSince: T0 + 50_000 }, { state: 'waiting' }],
    ['Degraded past the grace period fails', app({ health: 'Degraded', healthMessage: 'Back-off pulling image "x"' }), { degradedSince: T0 }, { state: 'failed', type: 'degraded' }],
    ['a newer revision the caller knows of is superseded', app({ revision: NEWER, op: { revision: NEWER, phase: 'Succeeded', finishedAt: 5 } }), { knownNewer: (r) => r === NEWER }, { state: 'superseded' }],
    ['another revision without knownNewer only waits', app({ revision: NEWER }), {}, { state: 'waiting' }],
  ])('%s', (_name, application, extra, expected) => {
    expect(liveStatus(application, OURS, options(extra))).toMatchObject(expected);
  });

  it('hands back degradedSince while Degraded within the grace period, and the message when it fails', () => {
    const first = liveStatus(app({ health: 'Degraded' }), OURS, options());
    expect(first).toEqual({ state: 'waiting', reason: expect.stringContaining('Degraded') as unknown, degradedSince: T0 + 60_000 });
    const failed = liveStatus(app({ health: 'Degraded', healthMessage: 'Back-off pulling image "x"' }), OURS, options({ degradedSince: T0 + 20_000 }));
    expect(failed).toEqual({ state: 'failed', type: 'degraded', message: 'Degraded: Back-off pulling image "x"' });
  });

  it.each([
    ['rpc error: code = Unknown desc = failed to list refs: repository not found', true],
    ['rpc error: code = Unknown desc = failed to list refs: authentication required', true],
    ['failed to list refs: ssh: handshake failed: knownhosts: key is unknown', true],
    ['failed to list refs: ssh: handshake failed: ssh: unable to authenticate, attempted methods [none publickey], no supported methods remain', true],
    ["rpc error: code = Internal desc = unable to resolve git revision : unable to resolve 'main' to a commit SHA", true],
    ['failed to list refs: dial tcp: lookup git.invalid: no such host', true],
    ['rpc error: code = Unknown desc = `helm template .` failed exit status 1: Error: YAML parse error', false],
    ['rpc error: code = Unavailable desc = connection error: desc = "transport: Error while dialing: dial tcp 127.0.0.1:8081: connect: connection refused"', false],
  ])('isRepoFetchError(%s) is %s', (message, expected) => {
    expect(isRepoFetchError(message)).toBe(expected);
  });

  it('reports the superseding revision', () => {
    expect(liveStatus(app({ revision: NEWER }), OURS, options({ knownNewer: true }))).toEqual({ state: 'superseded', revision: NEWER });
  });
});
