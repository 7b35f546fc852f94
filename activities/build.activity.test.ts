// The build activity in a MockActivityEnvironment, with its real dependencies: the Jenkins and
// Harbor simulators over HTTP, a real app repository, PostgreSQL. It heartbeats its progress
// (the queue item, then the build and the log offset it has stored); an attempt that starts
// after a dead one (a new worker, with the heartbeat details Temporal hands it) finds the build
// instead of triggering a second one and reads the log on from where the stored log ends; and a
// cancelled build activity stops the Jenkins build.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { CancelledFailure } from '@temporalio/activity';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClients, type Clients } from '../clients/index.js';
import type { JenkinsClient } from '../clients/jenkins.js';
import { loadConfig, type Env } from '../lib/config.js';
import { createDb, type Db } from '../lib/db.js';
import { createLogger } from '../lib/logger.js';
import { startWorld, type World } from '../simulators/world.js';
import { createTestDatabase, type TestDatabase } from '../test/support/db.js';
import { createAppRepo, type AppRepo } from '../test/support/git.js';
import { createBuildActivities } from './build.js';
import { cleanLogText, logResumePoint } from './build-log.js';
import { createRepoCredentials } from './repo-credentials.js';

let database: TestDatabase;
let db: Db;
let world: World;
let config: Env;
let repo: AppRepo;
const workspaceId = 'ws';

beforeAll(async () => {
  database = await createTestDatabase('build');
  db = createDb(database.url);
  const dir = path.join(inject('scratchDir'), `build-activity-${randomUUID().slice(0, 8)}`);
  const credentials = {
    jenkins: { user: 'deployer', apiToken: `jenkins-${randomUUID()}` },
    harbor: { username: 'robot$apps+deployer', password: `harbor-${randomUUID()}`, project: 'apps' },
    argocd: { username: 'admin', password: 'unused' },
  };
  world = await startWorld({
    credentials,
    jenkinsJob: 'platform/app-build',
    gitops: { url: 'unused', branch: 'main' },
    dataDir: dir,
    only: ['jenkins', 'harbor'],
  });
  config = loadConfig({
    DATABASE_URL: database.url,
    JENKINS_URL: world.urls.jenkins,
    JENKINS_USER: credentials.jenkins.user,
    JENKINS_API_TOKEN: credentials.jenkins.apiToken,
    HARBOR_URL: world.urls.harbor,
    HARBOR_USERNAME: credentials.harbor.username,
    HARBOR_PASSWORD: credentials.harbor.password,
    ALLOW_LOCAL_REPOS: 'true',
    GITOPS_WORKDIR: path.join(dir, 'gitops-work'),
    WORK_DIR: path.join(dir, 'work'),
    POLL_INTERVAL: '50ms',
  });
  repo = createAppRepo(path.join(dir, 'app'));
  await db.workspace.create({ data: { id: workspaceId, name: 'Build activity' } });
}, 120_000);
afterAll(async () => {
  await world?.close();
  await db?.$disconnect();
  await database?.drop();
});

interface Spy {
  jenkins: JenkinsClient;
  calls: Array<{ method: string; args: unknown[] }>;
  /** From now on every Jenkins call hangs: the worker running this attempt froze or died. */
  freeze(): void;
  /** Whether the attempt has reached a hanging call (everything it did before is done). */
  blocked(): boolean;
}

/** The real Jenkins client, recording its calls. Each attempt gets its own, as each worker process has. */
function spyOn(jenkins: JenkinsClient): Spy {
  const calls: Spy['calls'] = [];
  let frozen = false;
  let blocked = false;
  const spied = new Proxy(jenkins, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        if (frozen) {
          blocked = true;
          return new Promise(() => {});
        }
        calls.push({ method: String(name), args });
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { jenkins: spied, calls, freeze: () => (frozen = true), blocked: () => blocked };
}

/** The activity as one worker builds it: its own clients, its own credentials cache. */
function buildActivity() {
  const clients = createClients(config);
  const spy = spyOn(clients.jenkins);
  const deps = { config, db, logger: createLogger({ level: 'error' }), clients: { ...clients, jenkins: spy.jenkins } satisfies Clients };
  return { ...createBuildActivities(deps, createRepoCredentials(deps, undefined)), spy };
}

const quiet = { logger: new DefaultLogger('ERROR') };

async function newDeployment(name: string): Promise<string> {
  const project = await db.project.create({
    data: { workspaceId, userId: 'alice', name, repoUrl: repo.url, repoKey: `local/${name}`, branch: 'main', appPort: 8080 },
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
      commitSha: repo.head(),
      framework: 'node',
      requestedBy: 'test',
    },
  });
  return id;
}

async function until(what: string, check: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

type Beat = { queueId?: number; buildNumber?: number; rawEnd?: number };

describe('build activity', () => {
  it('heartbeats its progress; an attempt after a dead one resumes: no second Jenkins build, the log read on from its stored end, stored once', async () => {
    world.scenarios.set(`${workspaceId}-alice-resume`, { build: { durationMs: 2_500, logLines: 40, queueMs: 50 } });
    const id = await newDeployment('resume');

    // Attempt 1 follows the log for a while, then its worker freezes.
    const first = buildActivity();
    const env1 = new MockActivityEnvironment({ attempt: 1, heartbeatTimeoutMs: 10_000 }, quiet);
    const beats: Beat[] = [];
    env1.on('heartbeat', (d: Beat) => beats.push(d));
    void env1.run(first.build, { deploymentId: id }).catch(() => undefined);
    await until('some of the log stored', () => beats.some((b) => (b.rawEnd ?? 0) > 0));
    first.spy.freeze();
    await until('attempt 1 to hang', () => first.spy.blocked());
    // The queue item, then the build and the log offset stored so far, growing.
    expect(beats[0]).toEqual({ queueId: expect.any(Number) });
    const logBeats = beats.filter((b) => b.rawEnd !== undefined);
    const buildNumber = logBeats[0]!.buildNumber!;
    expect(buildNumber).toBeGreaterThan(0);
    expect(logBeats.map((b) => b.rawEnd)).toEqual([...logBeats.map((b) => b.rawEnd!)].sort((a, b) => a - b));
    const last = logBeats.at(-1)!;
    const stored = await logResumePoint(db, id);
    expect(stored.rawEnd).toBe(last.rawEnd);
    expect(first.spy.calls.filter((c) => c.method === 'triggerBuild')).toHaveLength(1);

    // Attempt 2, on another worker, with the heartbeat details of the first.
    const second = buildActivity();
    const env2 = new MockActivityEnvironment({ attempt: 2, heartbeatTimeoutMs: 10_000, heartbeatDetails: last }, quiet);
    const result = await env2.run(second.build, { deploymentId: id });
    expect(result).toMatchObject({ buildNumber, reused: false, imageDigest: expect.stringMatching(/^sha256:/) });
    const methods = second.spy.calls.map((c) => c.method);
    expect(methods).not.toContain('triggerBuild');
    expect(methods).not.toContain('findBuildByParameter');
    const reads = second.spy.calls.filter((c) => c.method === 'readLog');
    expect(reads[0]!.args).toEqual([buildNumber, last.rawEnd]);
    // The stored log is Jenkins' whole log, exactly once.
    const whole = await createClients(config).jenkins.readLog(buildNumber, 0);
    const chunks = await db.buildLogChunk.findMany({ where: { deploymentId: id }, orderBy: { offset: 'asc' } });
    expect(chunks.map((c) => c.text).join('')).toBe(cleanLogText(whole.text, (t) => t));
  }, 60_000);

  it('cancelled while the build runs: ends promptly with a CancelledFailure, and the Jenkins build is stopped', async () => {
    world.scenarios.set(`${workspaceId}-alice-cancel`, { build: { durationMs: 30_000, logLines: 300, queueMs: 50 } });
    const id = await newDeployment('cancel');
    const activity = buildActivity();
    const env = new MockActivityEnvironment({ heartbeatTimeoutMs: 10_000 }, quiet);
    const beats: Beat[] = [];
    env.on('heartbeat', (d: Beat) => beats.push(d));
    const running = env.run(activity.build, { deploymentId: id });
    const settled = running.then(
      () => undefined,
      (e: unknown) => e,
    );
    await until('the build running', () => beats.some((b) => b.buildNumber !== undefined));
    const buildNumber = beats.find((b) => b.buildNumber !== undefined)!.buildNumber!;

    const cancelledAt = Date.now();
    env.cancel();
    expect(await settled).toBeInstanceOf(CancelledFailure);
    expect(Date.now() - cancelledAt).toBeLessThan(2_000);
    expect(activity.spy.calls.filter((c) => c.method === 'stopBuild').map((c) => c.args)).toEqual([[buildNumber]]);
    const jenkins = createClients(config).jenkins;
    let build = await jenkins.getBuild(buildNumber);
    for (let i = 0; i < 50 && !build.finished; i += 1) {
      await new Promise((r) => setTimeout(r, 100));
      build = await jenkins.getBuild(buildNumber);
    }
    expect(build.result).toBe('ABORTED');
  }, 60_000);
});
