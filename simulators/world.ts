// One simulated world: Jenkins, Harbor and Argo CD on their own ports, sharing one scenario
// store. Jenkins pushes images to Harbor's registry; Argo CD follows the GitOps repository and
// checks images against Harbor. Used by the dev stack and by the end-to-end tests.
import path from 'node:path';
import { serveOnLoopback, type FetchHandler, type Served } from './common/serve.js';
import { ScenarioStore } from './common/scenario.js';
import type { FaultInjector } from './common/faults.js';
import type { Counters } from './common/counters.js';
import { createJenkinsSimulator } from './jenkins/index.js';
import { createHarborSimulator } from './harbor/index.js';
import { createArgoCdSimulator } from './argocd/index.js';
import { createIngressSimulator } from './ingress/index.js';
import type { ArgoCdSource } from './ingress/argocd-source.js';

export interface SimulatorCredentials {
  jenkins: { user: string; apiToken: string };
  harbor: { username: string; password: string; project: string };
  argocd: { username: string; password: string };
}

export interface WorldOptions {
  credentials: SimulatorCredentials;
  jenkinsJob: string;
  gitops: { url: string; branch: string };
  /** Scratch space (clones, rendered charts) and, for Harbor, persistent storage. */
  dataDir: string;
  /** Keep Harbor's images on disk between runs (dev stack). */
  persistRegistry?: boolean;
  /** A real OCI registry behind Harbor (tests start Debian's docker-registry). */
  registryUpstream?: { url: string };
  helmBinary?: string;
  argoPollIntervalMs?: number;
  host?: string;
  /** Preferred ports (0 = any free one). */
  ports?: { jenkins?: number; harbor?: number; argocd?: number };
  /** Which simulators to start (default: all three). */
  only?: ReadonlyArray<SimulatorName>;
  /** A real Harbor to push to and check images against when Harbor is not simulated. */
  externalRegistry?: { url: string; username: string; password: string };
  /** Pre-issued Argo CD bearer tokens the simulator accepts. */
  argocdTokens?: string[];
  /** Errors of background work (Argo CD polls); default: written to stderr. */
  onError?: (error: unknown) => void;
  /**
   * Also start the ingress simulator (simulators/ingress): it routes by Host to the apps Argo CD
   * reports Healthy. It reads the simulated Argo CD, or `argocd` (a real one, in the real-cluster mode).
   */
  ingress?: { argocd?: ArgoCdSource; appsDomain?: string; port?: number; refreshMs?: number };
}

export type SimulatorName = 'jenkins' | 'harbor' | 'argocd';

interface Running {
  url: string;
  faults: FaultInjector;
  counters: Counters;
}

/** The simulators that were started (all three unless `only` says otherwise). */
export interface World {
  scenarios: ScenarioStore;
  jenkins: Running;
  harbor: Running;
  argocd: Running & { poll(): Promise<unknown> };
  /** `url` is '' unless `ingress` was asked for; `refresh()` reads Argo CD now. */
  ingress: { url: string; counters: Counters; refresh(): Promise<void> };
  urls: { jenkins: string; harbor: string; argocd: string; ingress: string };
  close(): Promise<void>;
}

/** Tries the preferred port, then any free one. */
async function listenPreferring(fetch: FetchHandler, host: string, port = 0): Promise<Served> {
  try {
    return await serveOnLoopback(fetch, { host, port });
  } catch (error) {
    if (port !== 0 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') return serveOnLoopback(fetch, { host, port: 0 });
    throw error;
  }
}

export async function startWorld(o: WorldOptions): Promise<World> {
  const host = o.host ?? '127.0.0.1';
  const scenarios = new ScenarioStore();
  const { credentials: creds } = o;

  const wanted = new Set<SimulatorName>(o.only ?? ['jenkins', 'harbor', 'argocd']);
  const onError = o.onError ?? ((error: unknown) => process.stderr.write(`simulator: ${error instanceof Error ? error.message : String(error)}\n`));
  const started: Array<{ close: () => Promise<void> }> = [];
  const none: Running = { url: '', faults: undefined as never, counters: undefined as never };

  let harborRunning = none;
  let registry = o.externalRegistry;
  if (wanted.has('harbor')) {
    const harbor = createHarborSimulator({
      scenarios,
      users: [
        { name: creds.harbor.username, password: creds.harbor.password },
        { name: 'admin', password: creds.harbor.password },
      ],
      projects: [creds.harbor.project],
      dataDir: o.persistRegistry ? path.join(o.dataDir, 'harbor') : undefined,
      upstream: o.registryUpstream,
    });
    const { url, close } = await listenPreferring(harbor.app.fetch, host, o.ports?.harbor);
    started.push({
      close: async () => {
        await harbor.close();
        await close();
      },
    });
    harborRunning = { url, faults: harbor.faults, counters: harbor.counters };
    registry = { url, username: creds.harbor.username, password: creds.harbor.password };
  }
  if (!registry && (wanted.has('jenkins') || wanted.has('argocd')))
    throw new Error('Simulated Jenkins and Argo CD need a registry: simulate Harbor or pass externalRegistry');

  let jenkinsRunning = none;
  if (wanted.has('jenkins')) {
    const jenkins = createJenkinsSimulator({
      scenarios,
      users: [{ name: creds.jenkins.user, apiToken: creds.jenkins.apiToken }],
      jobPath: o.jenkinsJob,
      registry: registry!,
      workDir: path.join(o.dataDir, 'jenkins'),
    });
    const { url, close } = await listenPreferring(jenkins.app.fetch, host, o.ports?.jenkins);
    started.push({
      close: async () => {
        await jenkins.close();
        await close();
      },
    });
    jenkinsRunning = { url, faults: jenkins.faults, counters: jenkins.counters };
  }

  let argoRunning: World['argocd'] = { ...none, poll: async () => undefined };
  if (wanted.has('argocd')) {
    const argocd = createArgoCdSimulator({
      scenarios,
      users: [{ username: creds.argocd.username, password: creds.argocd.password }],
      tokens: o.argocdTokens,
      repo: o.gitops,
      generatorFile: 'app.json',
      pollIntervalMs: o.argoPollIntervalMs ?? 180_000,
      helmBinary: o.helmBinary || undefined,
      registry: registry!,
      workDir: path.join(o.dataDir, 'argocd'),
      onError,
    });
    const { url, close } = await listenPreferring(argocd.app.fetch, host, o.ports?.argocd);
    started.push({
      close: async () => {
        await argocd.close();
        await close();
      },
    });
    await argocd.start();
    argoRunning = { url, faults: argocd.faults, counters: argocd.counters, poll: () => argocd.controller.poll() };
  }

  let ingressRunning: World['ingress'] = { url: '', counters: undefined as never, refresh: async () => undefined };
  if (o.ingress) {
    const source =
      o.ingress.argocd ?? (argoRunning.url ? { url: argoRunning.url, username: creds.argocd.username, password: creds.argocd.password } : undefined);
    if (!source) throw new Error('The ingress simulator reads Argo CD: simulate Argo CD or pass ingress.argocd');
    const ingress = createIngressSimulator({ argocd: source, appsDomain: o.ingress.appsDomain, refreshMs: o.ingress.refreshMs, onError });
    const { url, close } = await listenPreferring(ingress.app.fetch, host, o.ingress.port);
    started.push({
      close: async () => {
        await ingress.close();
        await close();
      },
    });
    await ingress.start();
    ingressRunning = { url, counters: ingress.counters, refresh: () => ingress.refresh() };
  }

  return {
    scenarios,
    jenkins: jenkinsRunning,
    harbor: harborRunning,
    argocd: argoRunning,
    ingress: ingressRunning,
    urls: { jenkins: jenkinsRunning.url, harbor: harborRunning.url, argocd: argoRunning.url, ingress: ingressRunning.url },
    close: async () => {
      await Promise.allSettled(started.map((s) => s.close()));
    },
  };
}
