// The application controller and ApplicationSet controller of the simulated Argo CD: follows the
// GitOps branch (a poll every pollIntervalMs, or a refresh on demand), generates and removes
// Applications from the chart glob, compares, auto-syncs, runs sync operations and moves the
// health of what is live according to the scenario. Git work and comparisons run one at a time.
import type { ScenarioStore, Scenario } from '../common/scenario.js';
import { AppRecord, ARGOCD_NAMESPACE, type Comparison, type Desired } from './app-state.js';
import { parse as parseYaml } from 'yaml';
import { discoverApps, type AppIdentity } from './discovery.js';
import type { ImageChecker } from './image-check.js';
import { comparisonErrorMessage, type Renderer, type RenderResult } from './render.js';
import type { RepoWatcher } from './repo-watcher.js';
import { kubeTime, type Operation } from './types.js';

export interface ControllerOptions {
  watcher: RepoWatcher;
  repo: { url: string; branch: string };
  render: Renderer;
  checkImage: ImageChecker;
  scenarios: ScenarioStore;
  pollIntervalMs: number;
  /** The ApplicationSet's git files generator: `apps/*\/*\/*\/<generatorFile>` (default Chart.yaml). */
  generatorFile?: string;
  /** Its name (default `user-projects`, gitops/bootstrap.ts), in its status messages. */
  applicationSetName?: string;
  now?: () => number;
  onError?: (error: unknown) => void;
}

export interface SyncRequest {
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
  username: string;
}

export type SyncOutcome = { ok: true; app: AppRecord } | { ok: false; code: 'NotFound' | 'FailedPrecondition'; message: string };

const SUCCESS_MESSAGE = 'successfully synced (all tasks run)';

/**
 * What the repo-server answers when it cannot fetch the repository (util/git's `git ls-remote`
 * step, as Argo CD v2.14 words it), for `POST /_sim/argocd/repo-error`.
 */
export const REPO_ERRORS = {
  'not-found': 'failed to list refs: repository not found',
  auth: 'failed to list refs: authentication required',
  'host-key': 'failed to list refs: ssh: handshake failed: knownhosts: key is unknown',
} as const;

export type RepoErrorKind = keyof typeof REPO_ERRORS;

/**
 * The ApplicationSet's status after its last listing: the error that stopped or limited
 * generation (ErrorOccurred), with the reason Argo CD gives, and when it last changed.
 */
export interface AppSetState {
  error: { message: string; reason: string; parametersGenerated: boolean } | undefined;
  changedAt: number;
}

export class AppController {
  readonly apps = new Map<string, AppRecord>();
  head: string | undefined;
  lastFetchError: string | undefined;
  polls = 0;
  /** Set by the sim control: every fetch fails with this repo-server error (the repository is unreachable). */
  repoError: string | undefined;
  /** App names the ApplicationSet's generator does not match, as if its glob missed their folder. */
  readonly unmatched = new Set<string>();
  appSet: AppSetState;

  private chain: Promise<unknown> = Promise.resolve();
  private readonly timers = new Set<NodeJS.Timeout>();
  private poller: NodeJS.Timeout | undefined;
  private pollPending = false;
  private closed = false;
  private version = 0;
  private readonly renderCache = new Map<string, { tree: string; result: RenderResult; sourceCommit?: string }>();
  private readonly now: () => number;

  constructor(private readonly o: ControllerOptions) {
    this.now = o.now ?? Date.now;
    this.appSet = { error: undefined, changedAt: this.now() };
  }

  get repoUrl(): string {
    return this.o.repo.url;
  }

  get branch(): string {
    return this.o.repo.branch;
  }

  get generatorFile(): string {
    return this.o.generatorFile ?? 'Chart.yaml';
  }

  /** Runs the first poll, then polls on the interval. */
  async start(): Promise<void> {
    await this.poll();
    if (this.closed) return;
    this.poller = setInterval(() => {
      if (this.pollPending) return;
      this.pollPending = true;
      this.poll()
        .catch((error: unknown) => this.o.onError?.(error))
        .finally(() => (this.pollPending = false));
    }, this.o.pollIntervalMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.poller) clearInterval(this.poller);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.chain.catch(() => undefined);
  }

  /** One full cycle: fetch, generate/remove Applications, reconcile every app at the new head. */
  poll(): Promise<{ head: string | undefined; apps: string[] }> {
    return this.exclusive(async () => {
      this.polls += 1;
      const fetched = await this.fetch();
      // The ApplicationSet keeps its apps when the generator cannot read the branch.
      if (fetched.ok && this.head) await this.generateApps();
      // Argo CD: `error generating params from git: error retrieving Git files: <repo-server error>`.
      else if (!fetched.ok)
        this.setAppSetError({
          message: `error generating params from git: error retrieving Git files: rpc error: code = Unknown desc = ${fetched.message}`,
          reason: 'ApplicationGenerationFromParamsError',
          parametersGenerated: false,
        });
      for (const rec of [...this.apps.values()]) await this.reconcile(rec, fetched.ok ? undefined : fetched.message, false);
      return { head: this.head, apps: [...this.apps.keys()] };
    });
  }

  /** `?refresh=normal|hard`: fetch, then reconcile this one app; resolves when that is done. */
  refresh(name: string, hard: boolean): Promise<AppRecord | undefined> {
    return this.exclusive(async () => {
      const fetched = await this.fetch();
      const rec = this.apps.get(name);
      if (rec) await this.reconcile(rec, fetched.ok ? undefined : fetched.message, hard);
      return rec;
    });
  }

  /** `POST .../sync`, with the real server's checks in the real order. */
  sync(name: string, req: SyncRequest): Promise<SyncOutcome> {
    return this.exclusive(async (): Promise<SyncOutcome> => {
      const rec = this.apps.get(name);
      if (!rec) return { ok: false, code: 'NotFound', message: 'permission denied' };
      const target = rec.source.targetRevision || 'HEAD';
      if (req.revision && req.revision !== target && !req.dryRun) {
        return { ok: false, code: 'FailedPrecondition', message: `Cannot sync to ${req.revision}: auto-sync currently set to ${rec.source.targetRevision}` };
      }
      const fetched = await this.fetch();
      if (!fetched.ok || !this.head) return { ok: false, code: 'FailedPrecondition', message: `Unable to resolve '${req.revision || target}' to a commit SHA` };
      const revision = req.revision && /^[0-9a-f]{40}$/.test(req.revision) ? req.revision : this.head;
      const comparison = await this.compare(rec, revision, false);
      if (rec.operation) return { ok: false, code: 'FailedPrecondition', message: 'another operation is already in progress' };
      this.startOperation(
        rec,
        { sync: { revision, prune: req.prune ?? false, ...(req.dryRun ? { dryRun: true } : {}) }, initiatedBy: { username: req.username }, retry: {} },
        comparison,
      );
      return { ok: true, app: rec };
    });
  }

  // ---- git and comparison ------------------------------------------------------------------

  private async fetch(): Promise<{ ok: true } | { ok: false; message: string }> {
    if (this.repoError) {
      this.lastFetchError = this.repoError;
      return { ok: false, message: this.repoError };
    }
    try {
      this.head = await this.o.watcher.fetch();
      this.lastFetchError = undefined;
      return { ok: true };
    } catch (error) {
      this.lastFetchError = error instanceof Error ? error.message : String(error);
      return { ok: false, message: this.lastFetchError };
    }
  }

  /** The ApplicationSet: one app per generator file at the head; apps whose file is gone are deleted. */
  private async generateApps(): Promise<void> {
    const files = this.head ? await this.o.watcher.listFiles(this.head) : [];
    const wanted = new Map<string, AppIdentity>();
    const duplicates: AppIdentity[] = [];
    for (const identity of discoverApps(files, this.o.generatorFile, duplicates)) {
      if (this.unmatched.has(identity.name)) continue;
      const generated = await this.withGeneratorParams(identity);
      if (generated) wanted.set(generated.name, generated);
    }
    // Validation keeps the first app of a name and reports the last duplicate, `(and N more)`.
    const last = duplicates.at(-1);
    const more = duplicates.length > 1 ? ` (and ${duplicates.length - 1} more)` : '';
    this.setAppSetError(
      last
        ? {
            message: `ApplicationSet ${this.o.applicationSetName ?? 'user-projects'} contains applications with duplicate name: ${last.name}${more}`,
            reason: 'ApplicationValidationError',
            parametersGenerated: true,
          }
        : undefined,
    );
    for (const [name, rec] of this.apps) {
      const want = wanted.get(name);
      if (want?.path === rec.identity.path && want.releaseName === rec.identity.releaseName) continue;
      rec.rolloutGeneration += 1;
      this.apps.delete(name);
      this.renderCache.delete(name);
    }
    for (const [name, identity] of wanted) {
      if (!this.apps.has(name)) this.apps.set(name, new AppRecord(identity, this.o.repo, this.now(), () => ++this.version));
    }
  }

  /**
   * A generator file other than Chart.yaml (the engine's app.json) supplies `releaseName` to the
   * template; without it the template fails (missingkey=error) and no app is generated.
   */
  private async withGeneratorParams(identity: AppIdentity): Promise<AppIdentity | undefined> {
    const file = this.o.generatorFile;
    if (!file || file === 'Chart.yaml' || !this.head) return identity;
    const text = await this.o.watcher.readFile(this.head, `${identity.path}/${file}`);
    let params: unknown;
    try {
      params = text === undefined ? undefined : parseYaml(text);
    } catch {
      return undefined;
    }
    const releaseName = params && typeof params === 'object' ? (params as Record<string, unknown>).releaseName : undefined;
    return typeof releaseName === 'string' && releaseName ? { ...identity, releaseName } : undefined;
  }

  private async compare(rec: AppRecord, revision: string | undefined, hard: boolean): Promise<Comparison> {
    if (!revision) return { ok: false, revision: '', message: comparisonErrorMessage(`Unable to resolve '${rec.source.targetRevision}' to a commit SHA`) };
    const tree = await this.o.watcher.treeId(revision, rec.identity.path);
    if (!tree) return { ok: false, revision, message: comparisonErrorMessage(`${rec.identity.path}: app path does not exist`) };
    const cached = this.renderCache.get(rec.name);
    let result = !hard && cached?.tree === tree ? cached.result : undefined;
    let sourceCommit = !hard && cached?.tree === tree ? cached.sourceCommit : undefined;
    if (!result) {
      const files = await this.o.watcher.readDir(revision, rec.identity.path);
      result = await this.o.render({ files, releaseName: rec.identity.releaseName, namespace: rec.identity.namespace, valueFiles: rec.source.helm.valueFiles });
      sourceCommit = sourceCommitOf(files.get('values.yaml'));
      this.renderCache.set(rec.name, { tree, result, sourceCommit });
    }
    if (!result.ok) return { ok: false, revision, message: comparisonErrorMessage(result.message) };
    return {
      ok: true,
      desired: {
        revision,
        sourceCommit,
        resources: result.resources,
        images: result.images,
        externalURLs: result.externalURLs,
        manifestHash: result.manifestHash,
      },
    };
  }

  private async reconcile(rec: AppRecord, fetchError: string | undefined, hard: boolean): Promise<void> {
    const comparison: Comparison = fetchError
      ? { ok: false, revision: '', message: comparisonErrorMessage(fetchError) }
      : await this.compare(rec, this.head, hard);
    if (this.apps.get(rec.name) !== rec) return;
    const now = this.now();
    const outOfSync = rec.compared(comparison, now, comparison.ok ? this.sharedResource(rec, comparison.desired) : undefined);
    if (comparison.ok && outOfSync && !rec.operation && !rec.autoSyncBlocked(comparison.desired.revision, now)) {
      this.startOperation(rec, { sync: { revision: comparison.desired.revision, prune: true }, initiatedBy: { automated: true }, retry: {} }, comparison);
    }
    if (rec.pullBackOff) await this.retryPull(rec);
  }

  /**
   * Argo CD's SharedResourceWarning (controller/state.go): a resource this app wants is live and
   * managed by another app. `<Kind>/<name> is part of applications <ns>/<this> and <other>`.
   */
  private sharedResource(rec: AppRecord, desired: Desired): string | undefined {
    const key = (r: { group: string; kind: string; namespace?: string; name: string }) => `${r.group}/${r.kind}/${r.namespace ?? ''}/${r.name}`;
    for (const other of this.apps.values()) {
      if (other === rec || !other.live) continue;
      const theirs = new Set(other.live.resources.map(key));
      const shared = desired.resources.find((r) => theirs.has(key(r)));
      if (shared) return `${shared.kind}/${shared.name} is part of applications ${ARGOCD_NAMESPACE}/${rec.name} and ${other.name}`;
    }
    return undefined;
  }

  private setAppSetError(error: AppSetState['error']): void {
    const same = error?.message === this.appSet.error?.message;
    if (!same) this.appSet = { error, changedAt: this.now() };
  }

  /** `GET /api/v1/applicationsets/{name}`'s status: the three conditions Argo CD always writes, and the apps. */
  appSetStatus(): {
    conditions: Array<{ type: string; status: 'True' | 'False'; reason: string; message: string; lastTransitionTime: string }>;
    resources: unknown[];
  } {
    const at = kubeTime(this.appSet.changedAt);
    const error = this.appSet.error;
    const ok = 'Successfully generated parameters for all Applications';
    const conditions = [
      error
        ? { type: 'ErrorOccurred', status: 'True' as const, reason: error.reason, message: error.message, lastTransitionTime: at }
        : { type: 'ErrorOccurred', status: 'False' as const, reason: 'ApplicationSetUpToDate', message: ok, lastTransitionTime: at },
      error && !error.parametersGenerated
        ? { type: 'ParametersGenerated', status: 'False' as const, reason: 'ErrorOccurred', message: error.message, lastTransitionTime: at }
        : { type: 'ParametersGenerated', status: 'True' as const, reason: 'ParametersGenerated', message: ok, lastTransitionTime: at },
      error
        ? { type: 'ResourcesUpToDate', status: 'False' as const, reason: error.reason, message: error.message, lastTransitionTime: at }
        : {
            type: 'ResourcesUpToDate',
            status: 'True' as const,
            reason: 'ApplicationSetUpToDate',
            message: 'ApplicationSet up to date',
            lastTransitionTime: at,
          },
    ];
    const resources = [...this.apps.values()].map((rec) => ({
      group: 'argoproj.io',
      version: 'v1alpha1',
      kind: 'Application',
      namespace: ARGOCD_NAMESPACE,
      name: rec.name,
      status: rec.syncStatus,
      health: { status: rec.health.status },
    }));
    return { conditions, resources };
  }

  // ---- operations --------------------------------------------------------------------------

  /**
   * The scenario of an app, or of one release of it: `<appName>@<source commit>` first, so a
   * test can make one release Degraded and the release it rolls back to Healthy.
   */
  private scenarioFor(rec: AppRecord, target?: Comparison): Scenario {
    const commit = target?.ok ? target.desired.sourceCommit : undefined;
    return this.o.scenarios.get(commit ? `${rec.name}@${commit}` : undefined, rec.name);
  }

  private startOperation(rec: AppRecord, operation: Operation, target: Comparison): void {
    const scenario = this.scenarioFor(rec, target);
    rec.startOperation(operation, this.now());
    this.after(Math.max(10, Math.round(scenario.health.progressingMs / 2)), () => this.completeOperation(rec, target, scenario));
  }

  private completeOperation(rec: AppRecord, target: Comparison, scenario: Scenario): void {
    if (this.apps.get(rec.name) !== rec || !rec.operation) return;
    const now = this.now();
    let liveChanged = false;
    if (!target.ok) {
      rec.finishOperation({ phase: 'Error', message: `ComparisonError: ${target.message}` }, now);
    } else if (scenario.health.syncFails && !rec.operation.sync.dryRun) {
      const deployment = target.desired.resources.find((r) => r.kind === 'Deployment');
      const reason = `error when applying deployment.apps/${deployment?.name ?? rec.identity.releaseName}: admission webhook denied the request (simulated sync failure)`;
      rec.finishOperation(
        { phase: 'Failed', message: `one or more objects failed to apply, reason: ${reason}`, desired: target.desired, failedKinds: ['Deployment'] },
        now,
      );
    } else {
      liveChanged = rec.finishOperation({ phase: 'Succeeded', message: SUCCESS_MESSAGE, desired: target.desired }, now);
    }
    if (liveChanged) this.startRollout(rec, scenario);
    // The controller compares again as soon as an operation completes (reconciledAt >= finishedAt).
    void this.exclusive(() => this.reconcile(rec, undefined, false)).catch((error: unknown) => this.o.onError?.(error));
  }

  // ---- health of the live workload --------------------------------------------------------

  private startRollout(rec: AppRecord, scenario: Scenario): void {
    const generation = ++rec.rolloutGeneration;
    rec.pullBackOff = undefined;
    const deployment = this.deploymentName(rec);
    rec.setHealth('Progressing', `Waiting for rollout to finish: 0 of 1 updated replicas are available...`);
    const pull = async (): Promise<void> => {
      const presence = await this.imagePresence(rec.live?.images ?? []);
      if (generation !== rec.rolloutGeneration) return;
      const missing = presence.filter((p) => p.presence === 'missing').map((p) => p.image);
      if (missing.length > 0) {
        rec.pullBackOff = missing;
        rec.setHealth('Degraded', `Back-off pulling image "${missing[0]}"`);
        return;
      }
      // A registry that errors (5xx, dropped connection) is retried by the kubelet within
      // seconds; the rollout stays Progressing meanwhile.
      const unreachable = presence.find((p) => p.presence === 'unreachable');
      if (unreachable) {
        rec.setHealth('Progressing', `ErrImagePull: retrying "${unreachable.image}"`);
        this.after(Math.max(100, Math.round(scenario.health.progressingMs / 2)), pull);
        return;
      }
      switch (scenario.health.outcome) {
        case 'healthy':
          rec.setHealth('Healthy');
          break;
        case 'degraded':
          rec.setHealth('Degraded', `Deployment "${deployment}" exceeded its progress deadline`);
          break;
        case 'progressing':
          break;
        case 'degraded-after':
          rec.setHealth('Healthy');
          this.after(scenario.health.afterMs, () => {
            if (generation === rec.rolloutGeneration)
              rec.setHealth('Degraded', `Deployment "${deployment}" has 0/1 available replicas: back-off restarting failed container`);
          });
          break;
      }
    };
    this.after(scenario.health.progressingMs, pull);
  }

  /** The kubelet keeps retrying a pull: once the image exists, the rollout starts over. */
  private async retryPull(rec: AppRecord): Promise<void> {
    const waiting = rec.pullBackOff;
    if (!waiting || (await this.missingImages(waiting)).length > 0) return;
    if (rec.pullBackOff === waiting) this.startRollout(rec, this.scenarioFor(rec));
  }

  private async missingImages(images: string[]): Promise<string[]> {
    return (await this.imagePresence(images)).filter((p) => p.presence !== 'present').map((p) => p.image);
  }

  private imagePresence(images: string[]): Promise<Array<{ image: string; presence: 'present' | 'missing' | 'unreachable' }>> {
    return Promise.all(images.map(async (image) => ({ image, presence: await this.o.checkImage(image) })));
  }

  private deploymentName(rec: AppRecord): string {
    return rec.live?.resources.find((r) => r.kind === 'Deployment')?.name ?? rec.identity.releaseName;
  }

  // ---- plumbing ----------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.chain.then(fn, fn);
    this.chain = run.catch(() => undefined);
    return run;
  }

  private after(ms: number, fn: () => void | Promise<void>): void {
    if (this.closed) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      if (this.closed) return;
      Promise.resolve()
        .then(fn)
        .catch((error: unknown) => this.o.onError?.(error));
    }, ms);
    this.timers.add(timer);
  }
}

/** `release.commitSha` of the engine's values.yaml, when the file has one. */
function sourceCommitOf(text: string | undefined): string | undefined {
  if (!text) return undefined;
  try {
    const values = parseYaml(text) as { release?: { commitSha?: unknown } } | null;
    return typeof values?.release?.commitSha === 'string' ? values.release.commitSha : undefined;
  } catch {
    return undefined;
  }
}
