// The application controller and ApplicationSet controller of the simulated Argo CD: follows the
// GitOps branch (a poll every pollIntervalMs, or a refresh on demand), generates and removes
// Applications from the chart glob, compares, auto-syncs, runs sync operations and moves the
// health of what is live according to the scenario. Git work and comparisons run one at a time.
import type { ScenarioStore, Scenario } from '../common/scenario.js';
import { AppRecord, type Comparison } from './app-state.js';
import { parse as parseYaml } from 'yaml';
import { discoverApps, type AppIdentity } from './discovery.js';
import type { ImageChecker } from './image-check.js';
import { comparisonErrorMessage, type Renderer, type RenderResult } from './render.js';
import type { RepoWatcher } from './repo-watcher.js';
import type { Operation } from './types.js';

export interface ControllerOptions {
  watcher: RepoWatcher;
  repo: { url: string; branch: string };
  render: Renderer;
  checkImage: ImageChecker;
  scenarios: ScenarioStore;
  pollIntervalMs: number;
  /** The ApplicationSet's git files generator: `apps/*\/*\/*\/<generatorFile>` (default Chart.yaml). */
  generatorFile?: string;
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

export class AppController {
  readonly apps = new Map<string, AppRecord>();
  head: string | undefined;
  lastFetchError: string | undefined;
  polls = 0;

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
      this.startOperation(rec, { sync: { revision, prune: req.prune ?? false, ...(req.dryRun ? { dryRun: true } : {}) }, initiatedBy: { username: req.username }, retry: {} }, comparison);
      return { ok: true, app: rec };
    });
  }

  // ---- git and comparison ------------------------------------------------------------------

  private async fetch(): Promise<{ ok: true } | { ok: false; message: string }> {
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
    for (const identity of discoverApps(files, this.o.generatorFile)) {
      const generated = await this.withGeneratorParams(identity);
      if (generated) wanted.set(generated.name, generated);
    }
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
    return { ok: true, desired: { revision, sourceCommit, resources: result.resources, images: result.images, manifestHash: result.manifestHash } };
  }

  private async reconcile(rec: AppRecord, fetchError: string | undefined, hard: boolean): Promise<void> {
    const comparison: Comparison = fetchError ? { ok: false, revision: '', message: comparisonErrorMessage(fetchError) } : await this.compare(rec, this.head, hard);
    if (this.apps.get(rec.name) !== rec) return;
    const now = this.now();
    const outOfSync = rec.compared(comparison, now);
    if (comparison.ok && outOfSync && !rec.operation && !rec.autoSyncBlocked(comparison.desired.revision, now)) {
      this.startOperation(rec, { sync: { revision: comparison.desired.revision, prune: true }, initiatedBy: { automated: true }, retry: {} }, comparison);
    }
    if (rec.pullBackOff) await this.retryPull(rec);
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
      rec.finishOperation({ phase: 'Failed', message: `one or more objects failed to apply, reason: ${reason}`, desired: target.desired, failedKinds: ['Deployment'] }, now);
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
            if (generation === rec.rolloutGeneration) rec.setHealth('Degraded', `Deployment "${deployment}" has 0/1 available replicas: back-off restarting failed container`);
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
