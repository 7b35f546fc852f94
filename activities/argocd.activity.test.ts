// awaitLive in a MockActivityEnvironment, with PostgreSQL and stand-ins for Argo CD and the
// GitOps clone (the clients come in through the activities' dependencies): it heartbeats its
// progress (the refresh done, when it started, since when the app is Degraded); an attempt
// started with those heartbeat details after a dead one resumes them: no second refresh, and
// the deadline and the Degraded grace run from the first attempt, not from zero; cancelled, it
// ends at once with a CancelledFailure.
import { randomUUID } from 'node:crypto';
import { ApplicationFailure, CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Application, ArgoCdClient } from '../clients/argocd.js';
import type { GitOpsRepo } from '../clients/gitops-repo.js';
import { createClients, type Clients } from '../clients/index.js';
import { gitopsPath } from '../gitops/naming.js';
import { loadConfig, type Env } from '../lib/config.js';
import { createDb, type Db } from '../lib/db.js';
import { createLogger } from '../lib/logger.js';
import { createTestDatabase, type TestDatabase } from '../test/support/db.js';
import { createArgoCdActivities } from './argocd.js';

let database: TestDatabase;
let db: Db;
const workspaceId = 'ws';
const ours = 'a'.repeat(40);

beforeAll(async () => {
  database = await createTestDatabase('argocd');
  db = createDb(database.url);
  await db.workspace.create({ data: { id: workspaceId, name: 'Await live' } });
}, 120_000);
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

const configWith = (env: Record<string, string>): Env => loadConfig({ DATABASE_URL: database.url, POLL_INTERVAL: '50ms', ...env });

interface FakeArgo {
  argocd: ArgoCdClient;
  /** The `refresh` option of every getApplication call, in order. */
  reads: Array<string | undefined>;
  /** From now on every call hangs: the worker running this attempt froze or died. */
  freeze(): void;
  /** Whether the attempt has reached a hanging call (everything it did before is done). */
  blocked(): boolean;
}

/** Argo CD showing the app Synced at our commit with the given health; no ApplicationSet to read. */
function fakeArgo(name: string, health: 'Degraded' | 'Progressing'): FakeArgo {
  const reads: FakeArgo['reads'] = [];
  let frozen = false;
  let blocked = false;
  const app: Application = {
    metadata: { name: `${workspaceId}-alice-${name}` },
    spec: { source: { repoURL: 'git://gitops', path: gitopsPath(workspaceId, 'alice', name).replace(/\/+$/, '') } },
    status: { sync: { status: 'Synced', revision: ours }, health: { status: health, message: 'pods crash' } },
  };
  const argocd = {
    async getApplication(_name: string, options: { refresh?: string } = {}) {
      if (frozen) {
        blocked = true;
        return new Promise(() => {});
      }
      reads.push(options.refresh);
      return app;
    },
    async getApplicationSet() {
      return null;
    },
  } as unknown as ArgoCdClient;
  return { argocd, reads, freeze: () => (frozen = true), blocked: () => blocked };
}

/** The GitOps clone: Argo CD's revision is ours, so it is never asked for another. */
const gitops = { isAncestor: async () => false, readFileAt: async () => undefined } as unknown as GitOpsRepo;

function awaitLiveWith(config: Env, argocd: ArgoCdClient) {
  const clients = { ...createClients(config), argocd, gitops } satisfies Clients;
  return createArgoCdActivities({ config, db, logger: createLogger({ level: 'error' }), clients }).awaitLive;
}

async function newDeployment(name: string): Promise<string> {
  const project = await db.project.create({
    data: { workspaceId, userId: 'alice', name, repoUrl: 'https://git.example.com/a/b.git', repoKey: `example/${name}`, branch: 'main', appPort: 8080 },
  });
  const id = randomUUID();
  await db.deployment.create({
    data: {
      id,
      projectId: project.id,
      workspaceId,
      kind: 'deploy',
      trigger: 'manual',
      status: 'running',
      branch: 'main',
      commitSha: 'b'.repeat(40),
      gitopsCommitSha: ours,
      requestedBy: 'test',
    },
  });
  return id;
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

interface Progress {
  startedAt: number;
  refreshed: boolean;
  degradedSince?: number;
}

const quiet = { logger: new DefaultLogger('ERROR') };
const settle = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

/** Runs a first attempt until it has heartbeated `enough`, then freezes its worker; returns its last heartbeat. */
async function deadFirstAttempt(
  config: Env,
  name: string,
  health: 'Degraded' | 'Progressing',
  enough: (p: Progress) => boolean,
): Promise<{ id: string; last: Progress; reads: FakeArgo['reads'] }> {
  const id = await newDeployment(name);
  const argo = fakeArgo(name, health);
  const env = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 10_000 }, quiet);
  const beats: Progress[] = [];
  env.on('heartbeat', (d: Progress) => beats.push({ ...d }));
  void settle(env.run(awaitLiveWith(config, argo.argocd), { deploymentId: id }));
  await until('progress heartbeated', () => beats.some(enough));
  argo.freeze();
  await until('attempt 1 to hang', () => argo.blocked());
  return { id, last: beats.at(-1)!, reads: argo.reads };
}

describe('awaitLive activity', () => {
  it('heartbeats the refresh, its start and the Degraded clock; an attempt resumed with them fails once the grace that began in the first attempt is over', async () => {
    const grace = 1_500;
    const config = configWith({ DEGRADED_GRACE: `${grace}ms`, AWAIT_LIVE_TIMEOUT: '60s' });
    const started = Date.now();
    const { id, last, reads } = await deadFirstAttempt(config, 'degraded', 'Degraded', (p) => p.degradedSince !== undefined);
    // One refresh right after the push, then plain reads.
    expect(reads[0]).toBe('normal');
    expect(reads.slice(1).every((r) => r === undefined)).toBe(true);
    expect(last).toEqual({ startedAt: expect.any(Number), refreshed: true, degradedSince: expect.any(Number) });
    expect(last.startedAt).toBeGreaterThanOrEqual(started);
    expect(Date.now() - last.degradedSince!).toBeLessThan(grace);

    // Attempt 2 once the grace has passed since the first attempt saw Degraded: it fails on its first
    // read (a fresh attempt would wait the whole grace again), and does not refresh again.
    await new Promise((r) => setTimeout(r, last.degradedSince! + grace - Date.now() + 50));
    const argo = fakeArgo('degraded', 'Degraded');
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatTimeoutMs: 10_000, heartbeatDetails: last }, quiet);
    const resumedAt = Date.now();
    const failure = await settle(env.run(awaitLiveWith(config, argo.argocd), { deploymentId: id }));
    expect(failure).toBeInstanceOf(ApplicationFailure);
    expect(failure).toMatchObject({ type: 'app_degraded', nonRetryable: true });
    expect(Date.now() - resumedAt).toBeLessThan(grace / 2);
    expect(argo.reads).toEqual([undefined]);
  }, 30_000);

  it('an attempt resumed after its deadline (kept in the heartbeat) fails with type timeout at once', async () => {
    const limit = 1_000;
    const config = configWith({ AWAIT_LIVE_TIMEOUT: `${limit}ms` });
    const { id, last } = await deadFirstAttempt(config, 'slow', 'Progressing', (p) => p.refreshed);
    await new Promise((r) => setTimeout(r, last.startedAt + limit - Date.now() + 50));
    const argo = fakeArgo('slow', 'Progressing');
    const env = new MockActivityEnvironment({ attempt: 2, heartbeatTimeoutMs: 10_000, heartbeatDetails: last }, quiet);
    const resumedAt = Date.now();
    const failure = await settle(env.run(awaitLiveWith(config, argo.argocd), { deploymentId: id }));
    expect(failure).toMatchObject({ type: 'timeout', nonRetryable: true });
    expect((failure as Error).message).toMatch(/did not report .* Synced and Healthy .* within 1 s \(last: health is Progressing: pods crash\)/);
    expect(Date.now() - resumedAt).toBeLessThan(limit / 2);
    expect(argo.reads).toEqual([undefined]);
  }, 30_000);

  it('cancelled while it waits: ends promptly with a CancelledFailure', async () => {
    const config = configWith({ AWAIT_LIVE_TIMEOUT: '60s' });
    const id = await newDeployment('cancel');
    const argo = fakeArgo('cancel', 'Progressing');
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 }, quiet);
    let beats = 0;
    env.on('heartbeat', () => (beats += 1));
    const result = settle(env.run(awaitLiveWith(config, argo.argocd), { deploymentId: id }));
    await until('polling', () => beats >= 2);
    const cancelledAt = Date.now();
    env.cancel();
    expect(await result).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - cancelledAt).toBeLessThan(1_000);
    const readsAtCancel = argo.reads.length;
    await new Promise((r) => setTimeout(r, 200));
    expect(argo.reads.length).toBe(readsAtCancel); // it stopped polling
  }, 30_000);
});
