// The real-cluster mode: a Kubernetes control plane (kine, kube-apiserver with RBAC and a static
// token, controller-manager, scheduler), kwok with one fake node, Redis, and Argo CD's four
// components run out of cluster from the one `argocd` binary, plus `git daemon` so Argo CD can
// read GitOps repositories on this machine, External Secrets' CRDs with a stand-in for its
// controller (webhook provider only). Everything listens on loopback, on free ports.
// docs/real-cluster.md gives the reason for every flag.
import { execFileSync } from 'node:child_process';
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml, stringify } from 'yaml';
import { firstFreePort, waitForPort } from '../lib/ports.js';
import { helmPath } from '../lib/tools.js';
import { KubeApi } from './kube-api.js';
import { clusterHandle, type ClusterHandle, type RealClusterInfo } from './handle.js';
import { startIngressStatusWriter, type IngressStatusWriter } from './ingress-status.js';
import { startExternalSecretsStandIn, type ExternalSecretsStandIn } from './external-secrets.js';
import { ARGOCD_NAMESPACE, KWOK_NODE, argoCdSettings, kwokNode, toDocuments, withHoldList } from './manifests.js';
import { ProcessGroup, type Component } from './processes.js';

export type { ClusterHandle, RealClusterInfo } from './handle.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

export interface RealClusterOptions {
  /** State and logs (the caller owns the folder). */
  dataDir: string;
  /** Bare repositories under this folder are served read-only as git://127.0.0.1:<port>/<relative path>. */
  gitRoot: string;
  /** Argo CD's admin password (default: a random one, kept in the data folder). */
  adminPassword?: string;
  /** Progress lines (default: stderr). */
  say?: (line: string) => void;
}

export interface RealCluster extends ClusterHandle {
  residentMiB(): Array<{ name: string; rssMiB: number }>;
  stop(): Promise<void>;
}

/** Builds the binaries when they are missing (about 15 minutes once per machine) and returns their folder. */
export function ensureBinaries(): string {
  const output = execFileSync('bash', [path.join(root, 'scripts', 'real-cluster', 'build.sh')], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const bin = output.trim().split('\n').pop() ?? '';
  if (!existsSync(path.join(bin, 'argocd'))) throw new Error(`the real-cluster build left no argocd in ${bin}`);
  return bin;
}

async function waitFor(what: string, timeoutMs: number, probe: () => Promise<boolean>, failed: () => string | undefined): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = '';
  for (;;) {
    const failure = failed();
    if (failure) throw new Error(`${what}: ${failure}`);
    try {
      if (await probe()) return;
    } catch (error) {
      lastError = error instanceof Error ? error.message : String(error);
    }
    if (Date.now() > deadline) throw new Error(`${what} not ready within ${timeoutMs / 1000} s${lastError ? ` (last: ${lastError})` : ''}`);
    await new Promise((r) => setTimeout(r, 300));
  }
}

/** A secret kept in the data folder, so a restarted cluster keeps its password and token. */
function keptSecret(file: string, make: () => string): string {
  if (!existsSync(file)) writeFileSync(file, make(), { mode: 0o600 });
  return readFileSync(file, 'utf8').trim();
}

export async function startRealCluster(options: RealClusterOptions): Promise<RealCluster> {
  const say = options.say ?? ((line: string) => process.stderr.write(`${line}\n`));
  const bin = ensureBinaries();
  const helm = helmPath();
  if (!helm) throw new Error('Helm is needed by the Argo CD repo server: run `npm run setup` (it builds Helm with Go)');
  const dataDir = path.resolve(options.dataDir);
  const gitRoot = path.resolve(options.gitRoot);
  const logDir = path.join(dataDir, 'logs');
  const certDir = path.join(dataDir, 'certs');
  const argoDir = (name: string) => path.join(dataDir, 'argocd', name);
  for (const dir of [logDir, certDir, gitRoot, argoDir('tls'), argoDir('ssh'), argoDir('gpg'), argoDir('gpg-source'), argoDir('static')])
    mkdirSync(dir, { recursive: true });

  let failure: string | undefined;
  const group = new ProcessGroup(logDir, (component: Component, code) => {
    failure = `${component.name} exited with code ${code}:\n${ProcessGroup.tail(component)}`;
    say(`[real-cluster] ${failure}`);
  });
  const failed = () => failure;
  let ingress: IngressStatusWriter | undefined;
  let externalSecrets: ExternalSecretsStandIn | undefined;
  let handle: ClusterHandle | undefined;
  const stop = async () => {
    await ingress?.stop();
    await externalSecrets?.stop();
    await group.stop();
    handle?.close();
  };

  try {
    const taken = new Set<number>();
    const port = async (start: number) => {
      const p = await firstFreePort(start, taken);
      taken.add(p);
      return p;
    };
    const ports = {
      kine: await port(23790),
      apiserver: await port(16443),
      controllerManager: await port(20257),
      scheduler: await port(20259),
      kwok: await port(20247),
      redis: await port(16380),
      repoServer: await port(18081),
      repoServerMetrics: await port(18084),
      controllerMetrics: await port(18082),
      appsetMetrics: await port(18085),
      appsetProbe: await port(18086),
      appsetWebhook: await port(18087),
      server: await port(18080),
      serverMetrics: await port(18083),
      git: await port(19418),
    };

    // Service account tokens are signed by this key pair; the admin authenticates with a static token.
    const saKey = path.join(dataDir, 'sa.key');
    const saPub = path.join(dataDir, 'sa.pub');
    if (!existsSync(saKey)) {
      const { privateKey, publicKey } = generateKeyPairSync('rsa', {
        modulusLength: 2048,
        privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
        publicKeyEncoding: { type: 'spki', format: 'pem' },
      });
      writeFileSync(saKey, privateKey, { mode: 0o600 });
      writeFileSync(saPub, publicKey);
    }
    const tokenFile = path.join(dataDir, 'tokens.csv');
    keptSecret(tokenFile, () => `${randomBytes(24).toString('hex')},admin,admin,system:masters\n`);
    const token = readFileSync(tokenFile, 'utf8').split(',')[0]!;
    const passwordFile = path.join(dataDir, 'argocd-admin-password');
    if (options.adminPassword) writeFileSync(passwordFile, options.adminPassword, { mode: 0o600 });
    const password = keptSecret(passwordFile, () => randomBytes(12).toString('base64url'));

    // 1. Storage and the API server
    group.start('kine', path.join(bin, 'kine'), [
      '--endpoint',
      `sqlite://${path.join(dataDir, 'kine.db')}?_journal=WAL&cache=shared&_busy_timeout=30000`,
      '--listen-address',
      `127.0.0.1:${ports.kine}`,
      '--metrics-bind-address',
      '0',
    ]);
    await waitForPort(ports.kine, '127.0.0.1', 30_000);
    group.start('kube-apiserver', path.join(bin, 'kube-apiserver'), [
      `--etcd-servers=http://127.0.0.1:${ports.kine}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${ports.apiserver}`,
      `--cert-dir=${certDir}`,
      `--token-auth-file=${tokenFile}`,
      '--authorization-mode=RBAC',
      `--service-account-key-file=${saPub}`,
      `--service-account-signing-key-file=${saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc',
      '--service-cluster-ip-range=10.0.0.0/24',
    ]);
    const server = `https://127.0.0.1:${ports.apiserver}`;
    const caFile = path.join(certDir, 'apiserver.crt');
    await waitFor('kube-apiserver certificate', 60_000, async () => existsSync(caFile), failed);
    const probeApi = new KubeApi({ server, token, ca: readFileSync(caFile, 'utf8') });
    await waitFor('kube-apiserver', 120_000, async () => (await probeApi.request('GET', '/readyz')) !== undefined, failed).finally(() => probeApi.close());
    const kubeconfig = path.join(dataDir, 'kubeconfig');
    writeFileSync(
      kubeconfig,
      stringify({
        apiVersion: 'v1',
        kind: 'Config',
        'current-context': 'real-cluster',
        clusters: [{ name: 'real-cluster', cluster: { server, 'certificate-authority': caFile } }],
        users: [{ name: 'admin', user: { token } }],
        contexts: [{ name: 'real-cluster', context: { cluster: 'real-cluster', user: 'admin' } }],
      }),
      { mode: 0o600 },
    );
    const info: RealClusterInfo = {
      argocd: { url: `http://127.0.0.1:${ports.server}`, username: 'admin', password },
      kube: { url: server, token, kubeconfig, caFile, kubectl: path.join(bin, 'kubectl') },
      git: { port: ports.git, root: gitRoot },
      logDir,
    };
    handle = clusterHandle(info);
    const { apply, api } = handle;
    // `kubectl wait` fails on a CRD that has no status yet: poll the condition instead.
    const established = (names: string[]) =>
      waitFor(
        `CRDs ${names.join(', ')}`,
        60_000,
        async () => {
          const crds = await Promise.all(
            names.map((n) =>
              api.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(`/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${n}`),
            ),
          );
          return crds.every((crd) => crd?.status?.conditions?.some((c) => c.type === 'Established' && c.status === 'True'));
        },
        failed,
      );
    say(`[real-cluster] Kubernetes API ${server}`);

    // 2. Controllers, scheduler, kwok (its stages as objects) and its node
    group.start('kube-controller-manager', path.join(bin, 'kube-controller-manager'), [
      `--kubeconfig=${kubeconfig}`,
      '--controllers=*,-serviceaccount-token-controller',
      `--service-account-private-key-file=${saKey}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${ports.controllerManager}`,
      '--leader-elect=false',
      // kwok's heartbeats lag on a busy 2-core machine; the default 40 s grace marks the node NotReady and pods un-ready.
      '--node-monitor-grace-period=1h',
    ]);
    group.start('kube-scheduler', path.join(bin, 'kube-scheduler'), [
      `--kubeconfig=${kubeconfig}`,
      '--leader-elect=false',
      '--bind-address=127.0.0.1',
      `--secure-port=${ports.scheduler}`,
    ]);
    const stagesDir = path.join(bin, 'kwok-stages');
    const crdFile = 'kwok.x-k8s.io_stages.yaml';
    await apply(readFileSync(path.join(stagesDir, crdFile), 'utf8'));
    await established(['stages.kwok.x-k8s.io']);
    const stages = readdirSync(stagesDir)
      .filter((f) => f !== crdFile)
      .map((f) => parseYaml(readFileSync(path.join(stagesDir, f), 'utf8')) as Parameters<typeof withHoldList>[0]);
    await apply(toDocuments(stages.map((s) => (s.metadata.name === 'pod-ready' ? withHoldList(s) : s))));
    group.start('kwok', path.join(bin, 'kwok'), [
      `--kubeconfig=${kubeconfig}`,
      '--manage-all-nodes=false',
      '--manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake',
      '--cidr=10.0.0.1/24',
      '--node-ip=10.0.0.1',
      '--enable-crds=Stage',
      `--server-address=127.0.0.1:${ports.kwok}`,
    ]);
    await apply(toDocuments([kwokNode()]));
    await waitFor(
      'kwok node Ready',
      90_000,
      async () => {
        const node = await api.get<{ status?: { conditions?: Array<{ type: string; status: string }> } }>(`/api/v1/nodes/${KWOK_NODE}`);
        return node?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
      },
      failed,
    );

    // 3. Redis, git daemon, Argo CD's settings and its four components
    group.start('redis', 'redis-server', ['--port', String(ports.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no']);
    group.start('git-daemon', 'git', [
      'daemon',
      '--reuseaddr',
      '--export-all',
      `--base-path=${gitRoot}`,
      '--listen=127.0.0.1',
      `--port=${ports.git}`,
      '--informative-errors',
      gitRoot,
    ]);
    const argocd = path.join(bin, 'argocd');
    const hash = execFileSync(argocd, ['account', 'bcrypt', '--password', password], {
      encoding: 'utf8',
      env: { ...process.env, ARGOCD_BINARY_NAME: 'argocd' },
    }).trim();
    for (const crd of ['application-crd.yaml', 'applicationset-crd.yaml', 'appproject-crd.yaml'])
      await apply(readFileSync(path.join(bin, 'crds', crd), 'utf8'));
    await established(['applications.argoproj.io', 'applicationsets.argoproj.io', 'appprojects.argoproj.io']);
    // External Secrets' real CRDs, before Argo CD starts: it must know the kinds to apply them.
    const esoCrds = path.join(bin, 'eso-crds');
    for (const crd of ['external-secrets.io_externalsecrets.yaml', 'external-secrets.io_clustersecretstores.yaml'])
      await apply(readFileSync(path.join(esoCrds, crd), 'utf8'));
    await established(['externalsecrets.external-secrets.io', 'clustersecretstores.external-secrets.io']);
    await apply(toDocuments(argoCdSettings({ adminPasswordHash: hash, serverSecretKey: randomBytes(32).toString('base64'), url: info.argocd.url })));
    await waitForPort(ports.redis, '127.0.0.1', 30_000);

    const argoEnv = (binaryName: string): NodeJS.ProcessEnv => ({
      ...process.env,
      // The repo server renders charts with helm and clones with git, both from PATH.
      PATH: `${path.dirname(helm)}:${process.env.PATH ?? ''}`,
      ARGOCD_BINARY_NAME: binaryName,
      // Out of cluster, the in-cluster destination (https://kubernetes.default.svc) is the kubeconfig's cluster.
      ARGOCD_FAKE_IN_CLUSTER: 'true',
      KUBECONFIG: kubeconfig,
      ARGOCD_GPG_ENABLED: 'false',
      ARGOCD_GNUPGHOME: argoDir('gpg'),
      ARGOCD_GPG_DATA_PATH: argoDir('gpg-source'),
      ARGOCD_TLS_DATA_PATH: argoDir('tls'),
      ARGOCD_SSH_DATA_PATH: argoDir('ssh'),
      ARGOCD_APPLICATIONSET_CONTROLLER_ENABLE_NEW_GIT_FILE_GLOBBING: 'true',
    });
    const redis = `127.0.0.1:${ports.redis}`;
    const repoServer = `127.0.0.1:${ports.repoServer}`;
    const common = ['--loglevel', 'warn'];
    group.start(
      'argocd-repo-server',
      argocd,
      [
        '--redis',
        redis,
        '--port',
        String(ports.repoServer),
        '--address',
        '127.0.0.1',
        '--disable-tls',
        '--metrics-port',
        String(ports.repoServerMetrics),
        '--metrics-address',
        '127.0.0.1',
        ...common,
      ],
      argoEnv('argocd-repo-server'),
    );
    await waitForPort(ports.repoServer, '127.0.0.1', 60_000);
    group.start(
      'argocd-application-controller',
      argocd,
      [
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        ARGOCD_NAMESPACE,
        '--redis',
        redis,
        '--repo-server',
        repoServer,
        '--repo-server-plaintext',
        '--metrics-port',
        String(ports.controllerMetrics),
        ...common,
      ],
      argoEnv('argocd-application-controller'),
    );
    group.start(
      'argocd-applicationset-controller',
      argocd,
      [
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        ARGOCD_NAMESPACE,
        '--argocd-repo-server',
        repoServer,
        '--repo-server-plaintext',
        '--metrics-addr',
        `127.0.0.1:${ports.appsetMetrics}`,
        '--probe-addr',
        `127.0.0.1:${ports.appsetProbe}`,
        '--webhook-addr',
        `127.0.0.1:${ports.appsetWebhook}`,
        ...common,
      ],
      argoEnv('argocd-applicationset-controller'),
    );
    group.start(
      'argocd-server',
      argocd,
      [
        '--kubeconfig',
        kubeconfig,
        '--namespace',
        ARGOCD_NAMESPACE,
        '--redis',
        redis,
        '--repo-server',
        repoServer,
        '--repo-server-plaintext',
        '--insecure',
        '--port',
        String(ports.server),
        '--address',
        '127.0.0.1',
        '--metrics-port',
        String(ports.serverMetrics),
        '--metrics-address',
        '127.0.0.1',
        '--dex-server',
        '',
        '--staticassets',
        argoDir('static'),
        ...common,
      ],
      argoEnv('argocd-server'),
    );
    await waitFor('argocd-server', 120_000, async () => (await fetch(`${info.argocd.url}/api/version`)).ok, failed);
    await waitForPort(ports.git, '127.0.0.1', 30_000);
    ingress = startIngressStatusWriter(api, {
      onError: (error) => say(`[real-cluster] ingress status: ${error instanceof Error ? error.message : String(error)}`),
    });
    externalSecrets = startExternalSecretsStandIn(api, {
      onError: (error) => say(`[real-cluster] external secrets: ${error instanceof Error ? error.message : String(error)}`),
    });
    return { ...handle, residentMiB: () => group.residentMiB(), stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
