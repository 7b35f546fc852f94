// One simulated world: Jenkins, Harbor and Argo CD on their own ports, sharing one scenario
// store. Jenkins pushes images to Harbor's registry; Argo CD follows the GitOps repository and
// checks images against Harbor. Used by the dev stack and by the end-to-end tests.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { ScenarioStore } from './common/scenario.js';
import type { FaultInjector } from './common/faults.js';
import type { Counters } from './common/counters.js';
import { createJenkinsSimulator } from './jenkins/index.js';
import { createHarborSimulator } from './harbor/index.js';
import { createArgoCdSimulator } from './argocd/index.js';

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
}

interface Running {
  url: string;
  faults: FaultInjector;
  counters: Counters;
}

export interface World {
  scenarios: ScenarioStore;
  jenkins: Running;
  harbor: Running;
  argocd: Running & { poll(): Promise<unknown> };
  urls: { jenkins: string; harbor: string; argocd: string };
  close(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each simulator's Hono app has its own Env type
type Fetchable = { fetch: (request: Request, ...rest: any[]) => Response | Promise<Response> };

function listen(app: Fetchable, host: string, port: number): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, hostname: host, port }, (info: AddressInfo) => resolve({ server, url: `http://${host}:${info.port}` }));
    server.once('error', reject);
  });
}

/** Tries the preferred port, then any free one. */
async function listenPreferring(app: Fetchable, host: string, port = 0): Promise<{ server: ServerType; url: string }> {
  try {
    return await listen(app, host, port);
  } catch (error) {
    if (port !== 0 && (error as NodeJS.ErrnoException).code === 'EADDRINUSE') return listen(app, host, 0);
    throw error;
  }
}

export async function startWorld(o: WorldOptions): Promise<World> {
  const host = o.host ?? '127.0.0.1';
  const scenarios = new ScenarioStore();
  const { credentials: creds } = o;

  const harbor = createHarborSimulator({
    scenarios,
    users: [{ name: creds.harbor.username, password: creds.harbor.password }, { name: 'admin', password: creds.harbor.password }],
    projects: [creds.harbor.project],
    dataDir: o.persistRegistry ? path.join(o.dataDir, 'harbor') : undefined,
    upstream: o.registryUpstream,
  });
  const harborServer = await listenPreferring(harbor.app, host, o.ports?.harbor);

  const jenkins = createJenkinsSimulator({
    scenarios,
    users: [{ name: creds.jenkins.user, apiToken: creds.jenkins.apiToken }],
    jobPath: o.jenkinsJob,
    registry: { url: harborServer.url, username: creds.harbor.username, password: creds.harbor.password },
    workDir: path.join(o.dataDir, 'jenkins'),
  });
  const jenkinsServer = await listenPreferring(jenkins.app, host, o.ports?.jenkins);

  const argocd = createArgoCdSimulator({
    scenarios,
    users: [{ username: creds.argocd.username, password: creds.argocd.password }],
    repo: o.gitops,
    generatorFile: 'app.json',
    pollIntervalMs: o.argoPollIntervalMs ?? 180_000,
    helmBinary: o.helmBinary || undefined,
    registry: { url: harborServer.url, username: creds.harbor.username, password: creds.harbor.password },
    workDir: path.join(o.dataDir, 'argocd'),
  });
  const argoServer = await listenPreferring(argocd.app, host, o.ports?.argocd);
  await argocd.start();

  const servers = [jenkinsServer.server, harborServer.server, argoServer.server];
  return {
    scenarios,
    jenkins: { url: jenkinsServer.url, faults: jenkins.faults, counters: jenkins.counters },
    harbor: { url: harborServer.url, faults: harbor.faults, counters: harbor.counters },
    argocd: { url: argoServer.url, faults: argocd.faults, counters: argocd.counters, poll: () => argocd.controller.poll() },
    urls: { jenkins: jenkinsServer.url, harbor: harborServer.url, argocd: argoServer.url },
    close: async () => {
      await Promise.allSettled([jenkins.close(), harbor.close(), argocd.close()]);
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => { s.close(() => resolve()); (s as { closeAllConnections?: () => void }).closeAllConnections?.(); })));
    },
  };
}
