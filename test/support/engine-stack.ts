// The engine end to end for tests: a fresh database, the run's Temporal server with a task queue
// of its own, the real worker code path, the API app, the simulators over HTTP and a real bare
// GitOps repository. Everything a test file starts, it stops. No vitest import here: the
// benchmark uses it too (test/support/stack-for-tests.ts wires it to the test run).
import { callApi, TEST_USERS } from './tenants.js';
import { openApiDocument } from '../../api/openapi/index.js';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import path from 'node:path';
import { bundleWorkflowCode, Runtime } from '@temporalio/worker';
import { loadConfig, type Env } from '../../lib/config.js';
import { createDb, type Db } from '../../lib/db.js';
import { createLogger, type Logger } from '../../lib/logger.js';
import { configuredSecrets } from '../../lib/secrets.js';
import { connectTemporalClient } from '../../lib/temporal.js';
import { generateToken } from '../../lib/tokens.js';
import { newKeyLine } from '../../lib/credential-crypto.js';
import { startWorker, workflowsPath, type RunningWorker } from '../../worker.js';
import { createClients, type Clients } from '../../clients/index.js';
import { createApp, type WebApp } from '../../api/app.js';
import { DeploymentEventHub } from '../../api/logs/event-hub.js';
import { buildV1 } from '../../api/v1.js';
import { createHealthService } from '../../api/services/health.js';
import { ensureDevToken } from '../../api/services/dev-token.js';
import { BOOTSTRAP_DIR, PULL_TOKEN_SECRET } from '../../gitops/bootstrap.js';
import { bootstrapGitOpsRepo } from '../../scripts/lib/gitops-bootstrap-writer.js';
import { startWorld, type World } from '../../simulators/world.js';
import { helmPath } from '../../scripts/lib/tools.js';
import { createDatabase, type TestDatabase } from './database.js';
import { createBareRepo, gitIn } from './git.js';
import { testRuntimeLogger, writeTestLog } from './test-logs.js';
import type { ClusterHandle } from '../../scripts/real-cluster/handle.js';
import { pullTokenObjects, toDocuments } from '../../scripts/real-cluster/manifests.js';

let bundle: Promise<{ code: string }> | undefined;
let runtimeInstalled = false;

/**
 * Temporal's own logs at WARN, through console.error (test/support/test-logs.ts): vitest shows
 * them only under a failing test, so an expected activity failure prints nothing. Once per process.
 */
function quietRuntime(): void {
  if (runtimeInstalled) return;
  runtimeInstalled = true;
  Runtime.install({ logger: testRuntimeLogger(), shutdownSignals: [] });
}
/** The workflow bundle, built once per test file (process). */
export function workflowBundle(): Promise<{ code: string }> {
  bundle ??= bundleWorkflowCode({ workflowsPath, logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} } });
  return bundle;
}

export interface TestStack {
  config: Env;
  db: Db;
  world: World;
  app: WebApp;
  hub: DeploymentEventHub;
  token: string;
  dir: string;
  gitopsRepo: string;
  logger: Logger;
  /** The outside-system clients built from `config` (the API's); each worker has its own set, for its own GitOps clone. */
  clients: Clients;
  worker: RunningWorker;
  /** Starts another worker on the same task queue (after killing the first, for example). */
  startWorker(): Promise<RunningWorker>;
  /** Calls the API with the admin token. */
  api<T = unknown>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }>;
  close(): Promise<void>;
}

/** Where the stack's PostgreSQL and Temporal are (a test run's, or a benchmark's own). */
export interface Infra {
  pgAdminUrl: string;
  temporalAddress: string;
  scratchDir: string;
}

export interface StackOptions {
  infra: Infra;
  env?: Record<string, string>;
  /** Start no worker (the test starts its own, e.g. as a separate process). */
  noWorker?: boolean;
  argoPollIntervalMs?: number;
  /** Default `warn`: shown only under a failing test (test/support/test-logs.ts). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /** Receives every log line of the API and worker (for tests that inspect logs), instead of console.error. */
  logSink?: (line: string) => void;
  /**
   * The real Argo CD of the real-cluster mode in place of the simulator (test/real-argocd). The
   * GitOps repository must then be under the cluster's git root (Argo CD reads it over git://),
   * and the stack applies the bootstrap app of apps to the cluster, as an operator would once.
   */
  realArgoCd?: ClusterHandle;
  /** Use this GitOps repository (already bootstrapped, e.g. another stack's) instead of a new one. */
  gitopsRepo?: string;
  /**
   * Builds the outside-system clients for the API and for each worker from its config
   * (createClients when omitted): the one place a test swaps a client for a fake or a wrapper.
   */
  clients?: (config: Env) => Clients;
  /**
   * Start the ingress simulator over the stack's Argo CD and turn the live-URL probe on through
   * it (LIVE_URL_PROBE=on, LIVE_URL_PROBE_VIA=its address; `env` can override both).
   */
  ingress?: boolean;
}

/** An HTTP listener on a free loopback port, opened before the app it serves exists (503 until then). */
async function listenOnLoopback(handler: () => WebApp | undefined): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve, reject) => {
    const server = serve(
      { fetch: (request) => handler()?.fetch(request) ?? new Response('starting', { status: 503 }), hostname: '127.0.0.1', port: 0 },
      (info: AddressInfo) =>
        resolve({
          url: `http://127.0.0.1:${info.port}`,
          close: () =>
            new Promise<void>((done) => {
              server.close(() => done());
              (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            }),
        }),
    );
    server.once('error', reject);
  });
}

export async function startEngineStack(options: StackOptions): Promise<TestStack> {
  quietRuntime();
  const id = randomUUID().slice(0, 8);
  const dir = path.join(options.infra.scratchDir, `stack-${id}`);
  mkdirSync(dir, { recursive: true });
  const database: TestDatabase = await createDatabase(options.infra.pgAdminUrl);
  const real = options.realArgoCd;
  // On the real cluster, External Secrets (its stand-in) asks the engine for pull credentials
  // over HTTP: there the API also listens on loopback, opened first because its URL goes into
  // the bootstrap's ClusterSecretStore, and the token Secret the store sends goes into the cluster.
  // A stack on another stack's GitOps repository leaves both alone: the store asks that engine.
  const bootstraps = real !== undefined && !options.gitopsRepo;
  const served: { app?: WebApp } = {};
  const listener = bootstraps ? await listenOnLoopback(() => served.app) : undefined;
  const pullStore = bootstraps && (options.env?.PULL_SECRET_MODE ?? 'external-secret') === 'external-secret';
  const pullToken = options.env?.PULL_CREDENTIALS_TOKEN ?? (bootstraps ? randomBytes(32).toString('hex') : undefined);
  if (real && bootstraps && pullToken) await real.apply(toDocuments(pullTokenObjects(PULL_TOKEN_SECRET, pullToken)));
  let gitopsRepo = options.gitopsRepo;
  if (!gitopsRepo) {
    gitopsRepo = createBareRepo(path.join(dir, 'gitops.git'));
    const author = { name: 'deploy-engine', email: 'deploy-engine@localhost' };
    await bootstrapGitOpsRepo({
      repo: gitopsRepo,
      branch: 'main',
      author,
      namespaceScope: 'user',
      ...(real ? { argocdRepoUrl: real.gitUrl(gitopsRepo) } : {}),
      ...(pullStore ? { pullCredentials: { engineUrl: listener!.url } } : {}),
    });
    // The one manual step of an installation: apply the app of apps; Argo CD takes it from there.
    if (real) await real.apply(gitIn(gitopsRepo, 'show', `main:${BOOTSTRAP_DIR}/argocd-app-of-apps.yaml`));
  }

  const creds = {
    jenkins: { user: 'deployer', apiToken: `jenkins-${randomUUID()}` },
    harbor: { username: 'robot$apps+deployer', password: `harbor-${randomUUID()}`, project: 'apps' },
    argocd: { username: 'admin', password: `argocd-${randomUUID()}` },
  };
  const world = await startWorld({
    credentials: creds,
    jenkinsJob: 'platform/app-build',
    gitops: { url: gitopsRepo, branch: 'main' },
    dataDir: path.join(dir, 'simulators'),
    helmBinary: helmPath(),
    argoPollIntervalMs: options.argoPollIntervalMs ?? 1_000,
    ...(real ? { only: ['jenkins', 'harbor'] as const } : {}),
    ...(options.ingress
      ? {
          ingress: {
            appsDomain: options.env?.APPS_DOMAIN ?? 'apps.localhost',
            refreshMs: 250,
            ...(real ? { argocd: { url: real.info.argocd.url, username: real.info.argocd.username, password: real.info.argocd.password } } : {}),
          },
        }
      : {}),
  });
  const argocd = real
    ? { url: real.info.argocd.url, ...creds.argocd, username: real.info.argocd.username, password: real.info.argocd.password }
    : { url: world.urls.argocd, ...creds.argocd };
  const probe = options.ingress ? { LIVE_URL_PROBE: 'on', LIVE_URL_PROBE_VIA: new URL(world.urls.ingress).host } : {};

  const token = generateToken();
  const config = loadConfig({
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: options.infra.temporalAddress,
    TEMPORAL_TASK_QUEUE: `test-${id}`,
    LOG_LEVEL: 'error',
    DEV_API_TOKEN: token,
    CREDENTIAL_KEYS: newKeyLine('test1'),
    ALLOW_LOCAL_REPOS: 'true',
    // The hosts the tests' projects name (never connected to: they do not resolve here).
    REPO_HOSTS: 'github.com,git.example.com,ghe.example.com',
    ALLOW_LOOPBACK_REPOS: 'true',
    JENKINS_URL: world.urls.jenkins,
    JENKINS_USER: creds.jenkins.user,
    JENKINS_API_TOKEN: creds.jenkins.apiToken,
    HARBOR_URL: world.urls.harbor,
    HARBOR_USERNAME: creds.harbor.username,
    HARBOR_PASSWORD: creds.harbor.password,
    ARGOCD_URL: argocd.url,
    ARGOCD_USERNAME: argocd.username,
    ARGOCD_PASSWORD: argocd.password,
    GITOPS_REPO_URL: gitopsRepo,
    GITOPS_WORKDIR: path.join(dir, 'gitops-work'),
    WORK_DIR: path.join(dir, 'work'),
    POLL_INTERVAL: '100ms',
    DEGRADED_GRACE: '1s',
    AWAIT_LIVE_TIMEOUT: '30s',
    // Tests and benchmarks start many deploys quickly; the limits themselves are tested on their own.
    DEPLOY_RATE_BURST: '1000',
    MAX_QUEUED_PER_PROJECT: '1000',
    MAX_QUEUED_PER_WORKSPACE: '1000',
    // The users the tests create projects for in the dev workspace (as the dev stack does for alice and bob).
    DEV_WORKSPACE_USERS: TEST_USERS.join(','),
    // The real cluster's ExternalSecrets are filled through GET /v1/pull-credentials (above).
    ...(pullToken ? { PULL_CREDENTIALS_TOKEN: pullToken } : {}),
    ...probe,
    ...options.env,
  });
  const logger = createLogger({ level: options.logLevel ?? 'warn', secrets: configuredSecrets(config), write: options.logSink ?? writeTestLog });
  const db = createDb(config.DATABASE_URL);
  await ensureDevToken(db, config.DEV_WORKSPACE_ID, token, config.DEV_WORKSPACE_USERS);
  const temporal = await connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
  const hub = new DeploymentEventHub(config.DATABASE_URL, logger);
  const buildClients = options.clients ?? ((c: Env) => createClients(c));
  const clients = buildClients(config);
  const app = createApp({
    logger,
    health: createHealthService({ db, temporal }),
    v1: buildV1({ config, db, temporal, logger, hub, clients }),
    corsOrigins: config.CORS_ORIGINS,
    openapi: openApiDocument(config),
  });
  served.app = app;

  const workers: RunningWorker[] = [];
  const launch = async () => {
    // Each worker gets a clone of its own, as separate worker processes would.
    const workerConfig = { ...config, GITOPS_WORKDIR: path.join(dir, `gitops-work-${workers.length}`) };
    const worker = await startWorker(workerConfig, logger, { workflowBundle: await workflowBundle(), clients: buildClients(workerConfig) });
    workers.push(worker);
    return worker;
  };
  const worker = options.noWorker ? (undefined as unknown as RunningWorker) : await launch();

  return {
    config,
    db,
    world,
    app,
    hub,
    token,
    dir,
    gitopsRepo,
    logger,
    clients,
    worker,
    startWorker: launch,
    api: <T>(method: string, route: string, body?: unknown) => callApi<T>({ app }, token, method, route, body),
    async close() {
      await Promise.allSettled(workers.map((w) => w.shutdown()));
      await listener?.close();
      await world.close();
      await hub.close();
      await db.$disconnect();
      await temporal.connection.close();
      await database.drop();
    },
  };
}

export interface DeploymentBody {
  id: string;
  status: string;
  kind: string;
  trigger: string;
  commitSha: string | null;
  framework: string | null;
  imageRepository: string | null;
  imageTag: string | null;
  imageDigest: string | null;
  jenkinsBuildNumber: number | null;
  gitopsCommitSha: string | null;
  liveUrl: string | null;
  workflowId: string | null;
  error: { step: string; type: string; message: string } | null;
  steps: Array<{ name: string; status: string; startedAt: string | null; finishedAt: string | null }>;
  queuedAt: string;
  startedAt: string | null;
  finishedAt: string | null;
}

const FINAL = ['succeeded', 'failed', 'cancelled', 'superseded'];

/** Polls the API until the deployment reaches a final status (or `until`). */
export async function waitForDeployment(
  stack: TestStack,
  deploymentId: string,
  { until = FINAL, timeoutMs = 60_000 }: { until?: string[]; timeoutMs?: number } = {},
): Promise<DeploymentBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await stack.api<DeploymentBody>('GET', `/v1/deployments/${deploymentId}`);
    if (until.includes(body.status)) return body;
    if (Date.now() > deadline) throw new Error(`deployment ${deploymentId} still ${body.status} after ${timeoutMs} ms: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
