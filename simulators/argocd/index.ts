// The Argo CD simulator: the REST API of argocd-server over an application controller that
// follows a real GitOps repository (see docs/outside-systems.md, "Argo CD", for what must hold).
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { createControlApi } from '../common/control.js';
import { Counters } from '../common/counters.js';
import { FaultInjector } from '../common/faults.js';
import type { ScenarioStore } from '../common/scenario.js';
import { SessionIssuer } from './auth.js';
import { AppController } from './controller.js';
import { createImageChecker, type RegistryOptions } from './image-check.js';
import { createRenderer } from './render.js';
import { RbacPolicy } from './rbac.js';
import { RepoWatcher } from './repo-watcher.js';
import { createApiRoutes } from './routes.js';
import { createArgoCdControl } from './sim-control.js';

export interface ArgoCdSimulatorOptions {
  /** Health outcome per app: `scenarios.get(appName).health`. */
  scenarios: ScenarioStore;
  users: Array<{ username: string; password: string }>;
  /** Pre-issued bearer tokens accepted as they are. */
  tokens?: string[];
  /** The GitOps repository (a local path or a file:// URL work) and the branch the apps track. */
  repo: { url: string; branch: string };
  /**
   * The file the ApplicationSet's git files generator globs for, `apps/*\/*\/*\/<file>`
   * (default `Chart.yaml`). With another file (the engine's bootstrap uses `app.json`), its
   * `releaseName` key names the Helm release, as the real template reads it.
   */
  generatorFile?: string;
  /** The ApplicationSet's name (default `user-projects`, as gitops/bootstrap.ts names it). */
  applicationSetName?: string;
  /** Like Argo CD's Git poll (timeout.reconciliation, 180 s by default). */
  pollIntervalMs?: number;
  /** Render charts with `helm template` when given; otherwise validate them with the yaml library. */
  helmBinary?: string;
  /** Where pods pull images from; without it every image counts as present. */
  registry?: RegistryOptions;
  /** Scratch space: the Git mirror and rendered charts. */
  workDir: string;
  version?: string;
  /** Called with errors of background work (polls, timers); default: ignore. */
  onError?: (error: unknown) => void;
}

export interface ArgoCdSimulator {
  app: Hono;
  faults: FaultInjector;
  counters: Counters;
  controller: AppController;
  /** First poll (generates the apps of the current head), then polling on the interval. */
  start(): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_ARGOCD_VERSION = 'v2.14.9+sim';

export function createArgoCdSimulator(o: ArgoCdSimulatorOptions): ArgoCdSimulator {
  mkdirSync(o.workDir, { recursive: true });
  const faults = new FaultInjector();
  const counters = new Counters();
  const sessions = new SessionIssuer({ users: o.users, tokens: o.tokens });
  const rbac = new RbacPolicy();
  const applicationSetName = o.applicationSetName ?? 'user-projects';
  const controller = new AppController({
    watcher: new RepoWatcher(o.repo, path.join(o.workDir, 'mirror.git')),
    repo: o.repo,
    render: createRenderer({ helmBinary: o.helmBinary, workDir: o.workDir }),
    checkImage: createImageChecker(o.registry),
    scenarios: o.scenarios,
    pollIntervalMs: o.pollIntervalMs ?? 180_000,
    generatorFile: o.generatorFile,
    applicationSetName,
    onError: o.onError,
  });

  const app = new Hono();
  app.use('*', counters.middleware());
  app.use('*', faults.middleware(counters));
  const resetPlatform = () => {
    controller.repoError = undefined;
    controller.unmatched.clear();
    rbac.clear();
  };
  app.route('/_sim', createControlApi({ scenarios: o.scenarios, faults, counters, onReset: resetPlatform }));
  app.route('/_sim/argocd', createArgoCdControl(controller, rbac));
  app.route('/', createApiRoutes({ controller, sessions, version: o.version ?? DEFAULT_ARGOCD_VERSION, rbac, applicationSetName }));

  return {
    app,
    faults,
    counters,
    controller,
    start: () => controller.start(),
    close: () => controller.close(),
  };
}
