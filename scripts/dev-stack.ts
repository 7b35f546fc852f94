// Command 1 (`npm start`): the whole stack with embedded defaults. PostgreSQL and Temporal
// (SQLite) keep their state in .data/ between runs; the simulators stand in for Jenkins,
// Harbor and Argo CD unless a real URL is configured. `--real-argocd` runs a real Argo CD and
// Kubernetes API (scripts/real-cluster) in place of the Argo CD simulator. Ctrl-C stops
// everything it started.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createInterface } from 'node:readline';
import { parseArgs } from 'node:util';
import { startPostgres, type PostgresCluster } from './lib/postgres.js';
import { startTemporal, type TemporalServer } from './lib/temporal-server.js';
import { firstFreePort, isPortFree } from './lib/ports.js';
import { helmPath } from './lib/tools.js';
import { applyMigrations } from '../prisma/migrate.js';
import { generateToken } from '../lib/tokens.js';
import { newKeyLine } from '../lib/credential-crypto.js';
import { envSchema, loadConfig, ConfigError } from '../lib/config.js';
import { BOOTSTRAP_DIR, PULL_TOKEN_SECRET } from '../gitops/bootstrap.js';
import { isLocalRepoUrl } from '../clients/gitops-repo.js';
import { startRealCluster, type RealCluster } from './real-cluster/cluster.js';
import { pullTokenObjects, toDocuments } from './real-cluster/manifests.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dataDir = path.resolve(process.env.DATA_DIR ?? path.join(root, '.data'));
const tsx = path.join(root, 'node_modules', '.bin', 'tsx');
const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;
const say = (s: string) => process.stderr.write(`${bold('[stack]')} ${s}\n`);

const children: ChildProcess[] = [];
let postgres: PostgresCluster | undefined;
let temporal: TemporalServer | undefined;
let cluster: RealCluster | undefined;
let stopping = false;

function readFlags(): { realArgoCd: boolean } {
  const { values } = parseArgs({ options: { 'real-argocd': { type: 'boolean', default: false } }, strict: true });
  return { realArgoCd: values['real-argocd'] === true };
}

async function main(): Promise<void> {
  const started = Date.now();
  const flags = readFlags();
  mkdirSync(dataDir, { recursive: true });
  const env: NodeJS.ProcessEnv = { ...process.env };
  if (flags.realArgoCd && process.env.ARGOCD_URL) throw new Error('--real-argocd starts its own Argo CD: unset ARGOCD_URL, or drop the flag to use that one');
  const realClusterDir = path.join(dataDir, 'real-cluster');
  // In the real-cluster mode, Argo CD reads the GitOps repository over git:// from this folder.
  if (flags.realArgoCd) env.GITOPS_REPO_URL ??= path.join(realClusterDir, 'git', 'gitops.git');
  if (flags.realArgoCd && !isLocalRepoUrl(env.GITOPS_REPO_URL!))
    throw new Error(
      `--real-argocd serves the GitOps repository to Argo CD from this machine: GITOPS_REPO_URL must be a local path (got ${env.GITOPS_REPO_URL})`,
    );
  env.ALLOW_LOCAL_REPOS ??= 'true';
  // Repositories served on this machine (e.g. next to the GitHub simulator); never private ranges.
  env.ALLOW_LOOPBACK_REPOS ??= 'true';
  env.GITOPS_REPO_URL ??= path.join(dataDir, 'gitops.git');
  env.GITOPS_WORKDIR ??= path.join(dataDir, 'gitops-work');
  env.WORK_DIR ??= path.join(dataDir, 'work');
  env.APPS_URL_SCHEME ??= 'http';
  // The real cluster fills ExternalSecrets through GET /v1/pull-credentials (a stand-in for
  // External Secrets, docs/real-cluster.md): the engine serves it with this token.
  const pullStore = flags.realArgoCd && (env.PULL_SECRET_MODE ?? 'external-secret') === 'external-secret';
  if (pullStore) env.PULL_CREDENTIALS_TOKEN ??= keptToken('pull-credentials-token');
  env.DEV_API_TOKEN ??= devToken();
  env.CREDENTIAL_KEYS ??= devCredentialKeys();

  // 1. PostgreSQL: DATABASE_URL, or a private cluster in .data/postgres
  if (!env.DATABASE_URL) {
    postgres = await startPostgres({ dataDir: path.join(dataDir, 'postgres') });
    env.DATABASE_URL = postgres.url;
    say(`PostgreSQL on port ${postgres.port} (data in ${path.relative(root, postgres.dataDir)})`);
  }
  // A wrong setting stops here, before anything else starts, naming the variable.
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) throw new Error(error.message);
    throw error;
  }

  // 2. Migrations: a failed one stops start-up with the engine's message.
  const { applied } = await applyMigrations(env.DATABASE_URL);
  say(applied.length ? `applied migrations: ${applied.join(', ')}` : 'database schema is up to date');

  // 3. Temporal dev server with its Web UI, SQLite in .data/temporal
  if (!env.TEMPORAL_ADDRESS) {
    temporal = await startTemporal({ dbFile: path.join(dataDir, 'temporal', 'temporal.sqlite') });
    env.TEMPORAL_ADDRESS = temporal.address;
    env.TEMPORAL_UI_URL = temporal.uiUrl;
  }

  // 4. The real cluster (--real-argocd): Kubernetes API, kwok, Argo CD; about 10 s once built
  if (flags.realArgoCd) {
    say('starting the real cluster (the first time, its Go builds take about 15 minutes)');
    cluster = await startRealCluster({ dataDir: realClusterDir, gitRoot: path.dirname(path.resolve(env.GITOPS_REPO_URL)), say });
    env.ARGOCD_URL = cluster.info.argocd.url;
    env.ARGOCD_USERNAME = cluster.info.argocd.username;
    env.ARGOCD_PASSWORD = cluster.info.argocd.password;
  }

  // 5. The GitOps repository on disk, with the platform's bootstrap manifests; in the real
  //    cluster mode the app of apps is applied once, and Argo CD takes everything else from Git.
  //    The real cluster gets the pull-credential store, pointed at the API on loopback (its port
  //    is chosen here for that), and the store's token Secret; the simulator runs no External Secrets.
  const requestedPort = Number(env.API_PORT ?? 3000);
  if (env.API_PORT && !(await isPortFree(requestedPort))) throw new Error(`API_PORT ${requestedPort} is already in use: choose another one`);
  env.API_PORT = String(env.API_PORT ? requestedPort : await firstFreePort(3000));
  env.API_HOST ??= '127.0.0.1';
  const loopbackApi = `http://${['0.0.0.0', '::', ''].includes(env.API_HOST) ? '127.0.0.1' : env.API_HOST}:${env.API_PORT}`;
  const bootstrapArgs = [
    ...(cluster ? ['--argocd-repo-url', cluster.gitUrl(env.GITOPS_REPO_URL)] : []),
    ...(cluster && pullStore ? ['--engine-url', loopbackApi] : ['--no-pull-store']),
  ];
  await runToEnd('gitops bootstrap', [tsx, path.join(root, 'scripts', 'gitops-bootstrap.ts'), ...bootstrapArgs], env);
  if (cluster && pullStore) await cluster.apply(toDocuments(pullTokenObjects(PULL_TOKEN_SECRET, env.PULL_CREDENTIALS_TOKEN!)));
  if (cluster) {
    await cluster.apply(
      execFileSync('git', ['--git-dir', path.resolve(env.GITOPS_REPO_URL), 'show', `${env.GITOPS_BRANCH ?? 'main'}:${BOOTSTRAP_DIR}/argocd-app-of-apps.yaml`], {
        encoding: 'utf8',
      }),
    );
  }

  // 6. Simulators for whatever real system is not configured. The ingress simulator stands in
  //    for an ingress controller wherever this stack provides Argo CD (simulated, or the real
  //    cluster, which has none); the live-URL probe goes through it (docs/live-url-probe.md).
  const simulated = (['JENKINS_URL', 'HARBOR_URL', 'ARGOCD_URL'] as const).filter((name) => !env[name]);
  const withIngress = simulated.includes('ARGOCD_URL') || cluster !== undefined;
  let ingressUrl: string | undefined;
  if (simulated.length > 0 || withIngress) {
    const { ingress, ...urls } = await startSimulators(env, simulated, withIngress);
    Object.assign(env, urls);
    ingressUrl = ingress;
  }
  if (ingressUrl) {
    env.LIVE_URL_PROBE ??= 'on';
    env.LIVE_URL_PROBE_VIA ??= new URL(ingressUrl).host;
  }
  env.REGISTRY_HOST ??= new URL(env.HARBOR_URL!).host;

  // 7. API and worker (on the port chosen before the bootstrap)
  startChild('worker', [tsx, path.join(root, 'worker.ts')], env);
  startChild('api', [tsx, path.join(root, 'api', 'server.ts')], env);
  const apiUrl = `http://${env.API_HOST}:${env.API_PORT}`;
  await waitForHttp(`${apiUrl}/healthz`, 60_000);

  const lines = [
    '',
    bold('Deploy engine is up') + ` (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
    `  API            ${apiUrl}   (health: ${apiUrl}/healthz)`,
    `  Temporal UI    ${env.TEMPORAL_UI_URL ?? '(external Temporal)'}`,
    `  API token      ${env.DEV_API_TOKEN}   (workspace "${env.DEV_WORKSPACE_ID ?? 'dev'}", admin; projects for users ${devWorkspaceUsers(env).join(', ') || '(none)'}: DEV_WORKSPACE_USERS)`,
    `  Jenkins        ${env.JENKINS_URL}${simulated.includes('JENKINS_URL') ? `  simulator, user ${env.JENKINS_USER ?? 'deployer'} / token ${env.JENKINS_API_TOKEN ?? 'dev-jenkins-token'}` : ''}`,
    `  Harbor         ${env.HARBOR_URL}${simulated.includes('HARBOR_URL') ? `  simulator, user ${env.HARBOR_USERNAME ?? 'robot$apps+deployer'} / ${env.HARBOR_PASSWORD ?? 'dev-harbor-secret'}` : ''}`,
    `  Argo CD        ${env.ARGOCD_URL}${simulated.includes('ARGOCD_URL') ? `  simulator, user ${env.ARGOCD_USERNAME ?? 'admin'} / ${env.ARGOCD_PASSWORD ?? 'dev-argocd-password'}` : ''}${cluster ? `  real Argo CD v2.14, user ${cluster.info.argocd.username} / ${cluster.info.argocd.password}` : ''}`,
    ...(cluster ? [`  Kubernetes API ${cluster.info.kube.url}  (kubeconfig ${cluster.info.kube.kubeconfig}; kwok node, no container runtime)`] : []),
    ...(ingressUrl
      ? [
          `  Ingress        ${ingressUrl}  simulator; open http://<project>-<user>.${env.APPS_DOMAIN ?? 'apps.localhost'}:${new URL(ingressUrl).port}/  (live-URL probe ${env.LIVE_URL_PROBE ?? 'off'}${env.LIVE_URL_PROBE === 'on' && env.LIVE_URL_PROBE_VIA ? ` via ${env.LIVE_URL_PROBE_VIA}` : ''})`,
        ]
      : []),
    `  GitOps repo    ${env.GITOPS_REPO_URL}`,
    '',
    `  curl -H "Authorization: Bearer ${env.DEV_API_TOKEN}" ${apiUrl}/v1/projects`,
    '  Ctrl-C stops everything.',
    '',
  ];
  process.stdout.write(lines.join('\n') + '\n');
}

/** The users the API lets the dev workspace act for (it adds them at start, api/server.ts). */
function devWorkspaceUsers(env: NodeJS.ProcessEnv): string[] {
  const parsed = envSchema.shape.DEV_WORKSPACE_USERS.safeParse(env.DEV_WORKSPACE_USERS || undefined);
  return parsed.success ? parsed.data : [];
}

/** The dev token: DEV_API_TOKEN, else one generated once and kept in .data/dev-api-token. */
function devToken(): string {
  const file = path.join(dataDir, 'dev-api-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = generateToken();
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return token;
}

/** A random token made once and kept in .data/<file>. */
function keptToken(file: string): string {
  const full = path.join(dataDir, file);
  if (existsSync(full)) return readFileSync(full, 'utf8').trim();
  const token = generateToken();
  writeFileSync(full, `${token}\n`, { mode: 0o600 });
  return token;
}

/** The dev stack's key for stored repository credentials, made once and kept beside its data. */
function devCredentialKeys(): string {
  const file = path.join(dataDir, 'credential-keys');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const line = newKeyLine('dev1');
  writeFileSync(file, `${line}\n`, { mode: 0o600 });
  return line;
}

async function startSimulators(env: NodeJS.ProcessEnv, simulated: string[], withIngress: boolean): Promise<Record<string, string> & { ingress?: string }> {
  const child = startChild(
    'simulators',
    [tsx, path.join(root, 'simulators', 'server.ts')],
    {
      ...env,
      SIM_DATA_DIR: path.join(dataDir, 'simulators'),
      SIM_ONLY: [...simulated.map((n) => n.replace('_URL', '').toLowerCase()), ...(withIngress ? ['ingress'] : [])].join(','),
      SIM_HELM: helmPath() ?? '',
      // Real installations send Argo CD a Git webhook on push; the simulator stands in for that
      // by polling every 2 s instead of Argo CD's default 3 minutes.
      SIM_ARGO_POLL_MS: process.env.SIM_ARGO_POLL_MS || '2000',
    },
    { captureFirstLine: true },
  );
  const first = await child.firstLine!;
  const urls = JSON.parse(first) as Record<string, string>;
  const configured = Object.fromEntries(
    Object.entries({ JENKINS_URL: urls.jenkins, HARBOR_URL: urls.harbor, ARGOCD_URL: urls.argocd }).filter(([name, url]) => simulated.includes(name) && url),
  ) as Record<string, string>;
  return { ...configured, ...(urls.ingress ? { ingress: urls.ingress } : {}) };
}

function startChild(
  name: string,
  command: string[],
  env: NodeJS.ProcessEnv,
  { captureFirstLine = false } = {},
): ChildProcess & { firstLine?: Promise<string> } {
  const child: ChildProcess & { firstLine?: Promise<string> } = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  const prefix = `\x1b[2m[${name}]\x1b[0m `;
  const stdout = createInterface({ input: child.stdout! });
  if (captureFirstLine) {
    child.firstLine = new Promise((resolve, reject) => {
      stdout.once('line', resolve);
      child.once('exit', (code) => reject(new Error(`${name} exited with code ${code} before it was ready`)));
    });
  }
  stdout.on('line', (line) => process.stderr.write(prefix + line + '\n'));
  createInterface({ input: child.stderr! }).on('line', (line) => process.stderr.write(prefix + line + '\n'));
  child.once('exit', (code, signal) => {
    if (!stopping) {
      say(`${name} exited (${signal ?? code}); stopping the stack`);
      void shutdown(1);
    }
  });
  return child;
}

function runToEnd(name: string, command: string[], env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command[0]!, command.slice(1), { env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${name} failed with exit code ${code}`))));
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const res = await fetch(url);
      if (res.status === 200) return;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`${url} did not answer 200 within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

async function shutdown(code: number): Promise<void> {
  if (stopping) return;
  stopping = true;
  say('stopping…');
  await Promise.all(
    children.map(
      (child) =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.kill('SIGTERM');
          setTimeout(() => child.kill('SIGKILL'), 25_000).unref();
        }),
    ),
  );
  await cluster?.stop();
  await temporal?.stop();
  postgres?.stop();
  say('stopped: nothing left running');
  process.exit(code);
}

// `on`, not `once`: a second Ctrl-C while stopping must not kill the stack and leave its children running.
process.on('SIGINT', () => void shutdown(0));
process.on('SIGTERM', () => void shutdown(0));

main().catch(async (error: unknown) => {
  say(`start-up failed: ${error instanceof Error ? error.message : String(error)}`);
  await shutdown(1);
});
