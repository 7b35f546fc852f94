// One Application's state, changed only through the transitions the real controller makes:
// a comparison (sync status, revision, conditions, reconciledAt), a sync operation (Running,
// then Succeeded/Failed/Error, which changes what is live) and health changes of the live
// workload. The controller decides when each transition happens; this file decides what it does.
import { randomUUID } from 'node:crypto';
import type { AppIdentity } from './discovery.js';
import type { RenderedResource } from './types.js';
import {
  kubeTime,
  type Application,
  type ApplicationCondition,
  type ApplicationSource,
  type HealthStatusCode,
  type Operation,
  type OperationPhase,
  type OperationState,
  type ResourceResult,
  type ResourceStatus,
  type RevisionHistory,
  type SyncStatusCode,
} from './types.js';

export const ARGOCD_NAMESPACE = 'argocd';
export const IN_CLUSTER = 'https://kubernetes.default.svc';
const HISTORY_LIMIT = 10;

/** What the chart renders to at one revision. */
export interface Desired {
  revision: string;
  /** The app's source commit as the engine's values name it (release.commitSha), if any. */
  sourceCommit?: string;
  resources: RenderedResource[];
  images: string[];
  /** `status.summary.externalURLs` once live (render.ts derives them as Argo CD does). */
  externalURLs?: string[];
  manifestHash: string;
}

/** What the simulated cluster runs. */
export interface Live {
  revision: string;
  resources: RenderedResource[];
  images: string[];
  externalURLs?: string[];
  manifestHash: string;
}

export type Comparison = { ok: true; desired: Desired } | { ok: false; revision: string; message: string };

export interface AutoSyncAttempt {
  revision: string;
  phase: OperationPhase;
  message: string;
}

export class AppRecord {
  readonly uid = randomUUID();
  readonly source: ApplicationSource;
  readonly createdAt: number;
  resourceVersion = 0;

  comparison: Comparison | undefined;
  syncStatus: SyncStatusCode = 'Unknown';
  syncRevision: string | undefined;
  conditions: ApplicationCondition[] = [];
  reconciledAt: number | undefined;

  operation: Operation | undefined;
  operationState: OperationState | undefined;
  lastAutoSync: AutoSyncAttempt | undefined;
  history: RevisionHistory[] = [];

  live: Live | undefined;
  health: { status: HealthStatusCode; message?: string } = { status: 'Missing' };
  /** Bumped on every new rollout; timers of an older rollout check it and stop. */
  rolloutGeneration = 0;
  /** The images the kubelet could not pull, while the app is in ImagePullBackOff. */
  pullBackOff: string[] | undefined;

  constructor(
    readonly identity: AppIdentity,
    repo: { url: string; branch: string },
    now: number,
    private readonly nextVersion: () => number,
  ) {
    this.createdAt = now;
    this.source = {
      repoURL: repo.url,
      path: identity.path,
      targetRevision: repo.branch,
      helm: { releaseName: identity.releaseName, valueFiles: ['values.yaml'] },
    };
    this.touch();
  }

  get name(): string {
    return this.identity.name;
  }

  /** Records a change (the resourceVersion of a Kubernetes object moves on every write). */
  touch(): void {
    this.resourceVersion = this.nextVersion();
  }

  // ---- comparison -------------------------------------------------------------------------

  /**
   * Applies a comparison against `revision`; answers whether the app is now OutOfSync.
   * `sharedResource`: the SharedResourceWarning message when another app manages one of ours.
   */
  compared(comparison: Comparison, now: number, sharedResource?: string): boolean {
    this.comparison = comparison;
    const keep = this.conditions.filter((c) => c.type !== 'ComparisonError' && c.type !== 'SyncError' && c.type !== 'SharedResourceWarning');
    if (sharedResource) keep.push(this.condition('SharedResourceWarning', sharedResource, now));
    if (comparison.ok) {
      this.syncRevision = comparison.desired.revision;
      this.syncStatus = this.live?.manifestHash === comparison.desired.manifestHash ? 'Synced' : 'OutOfSync';
      this.conditions = keep;
    } else {
      // Manifest generation failed: Argo CD reports no revision and an Unknown sync status.
      this.syncRevision = undefined;
      this.syncStatus = 'Unknown';
      this.conditions = [...keep, this.condition('ComparisonError', comparison.message, now)];
    }
    this.reconciledAt = now;
    this.touch();
    return this.syncStatus === 'OutOfSync';
  }

  /** Auto-sync refuses to retry a revision whose sync already failed and says so in a SyncError. */
  autoSyncBlocked(revision: string, now: number): boolean {
    const attempt = this.lastAutoSync;
    if (!attempt || attempt.revision !== revision || attempt.phase === 'Succeeded') return false;
    this.conditions = [
      ...this.conditions.filter((c) => c.type !== 'SyncError'),
      this.condition('SyncError', `Failed sync attempt to ${revision}: ${attempt.message}`, now),
    ];
    this.touch();
    return true;
  }

  // ---- operations -------------------------------------------------------------------------

  startOperation(operation: Operation, now: number): void {
    this.operation = operation;
    this.operationState = { operation, phase: 'Running', message: 'one or more tasks are running', startedAt: kubeTime(now) };
    this.touch();
  }

  /** Ends the running operation. A successful, non-dry-run sync makes `desired` live. */
  finishOperation(result: { phase: OperationPhase; message: string; desired?: Desired; failedKinds?: string[] }, now: number): boolean {
    const operation = this.operation;
    const state = this.operationState;
    if (!operation || !state) return false;
    const revision = operation.sync.revision;
    const resources = result.desired?.resources ?? this.live?.resources ?? [];
    const failed = new Set(result.failedKinds ?? []);
    state.phase = result.phase;
    state.message = result.message;
    state.finishedAt = kubeTime(now);
    if (result.phase === 'Succeeded' || result.phase === 'Failed') {
      state.syncResult = { resources: resources.map((r) => resourceResult(r, failed.has(r.kind))), revision, source: this.source };
    }
    this.operation = undefined;
    if (operation.initiatedBy.automated) this.lastAutoSync = { revision, phase: result.phase, message: result.message };

    let liveChanged = false;
    if (result.phase === 'Succeeded' && result.desired && !operation.sync.dryRun) {
      liveChanged = this.live?.manifestHash !== result.desired.manifestHash;
      this.live = { ...result.desired };
      const id = (this.history.at(-1)?.id ?? -1) + 1;
      this.history = [
        ...this.history,
        { id, revision, deployedAt: state.finishedAt, deployStartedAt: state.startedAt, source: this.source, initiatedBy: operation.initiatedBy },
      ].slice(-HISTORY_LIMIT);
    }
    this.touch();
    return liveChanged;
  }

  // ---- health -----------------------------------------------------------------------------

  setHealth(status: HealthStatusCode, message?: string): void {
    this.health = message ? { status, message } : { status };
    this.touch();
  }

  // ---- the API object ---------------------------------------------------------------------

  toApplication(): Application {
    const destination = { server: IN_CLUSTER, namespace: this.identity.namespace };
    const resources = this.resourceStatuses();
    const app: Application = {
      metadata: {
        name: this.name,
        namespace: ARGOCD_NAMESPACE,
        uid: this.uid,
        resourceVersion: String(this.resourceVersion),
        generation: 1,
        creationTimestamp: kubeTime(this.createdAt),
      },
      spec: {
        source: this.source,
        destination,
        project: 'default',
        syncPolicy: { automated: { prune: true, selfHeal: true } },
      },
      status: {
        resources,
        sync: { status: this.syncStatus, comparedTo: { source: this.source, destination }, ...(this.syncRevision ? { revision: this.syncRevision } : {}) },
        health: this.health,
        ...(this.history.length > 0 ? { history: this.history } : {}),
        ...(this.conditions.length > 0 ? { conditions: this.conditions } : {}),
        ...(this.reconciledAt !== undefined ? { reconciledAt: kubeTime(this.reconciledAt) } : {}),
        ...(this.operationState ? { operationState: this.operationState } : {}),
        sourceType: 'Helm',
        // Argo CD summarizes the live resource tree: what runs, not what Git wants.
        summary: {
          ...(this.live?.externalURLs?.length ? { externalURLs: this.live.externalURLs } : {}),
          ...(this.live && this.live.images.length > 0 ? { images: this.live.images } : {}),
        },
        controllerNamespace: ARGOCD_NAMESPACE,
      },
      ...(this.operation ? { operation: this.operation } : {}),
    };
    return structuredClone(app);
  }

  private resourceStatuses(): ResourceStatus[] {
    const desired = this.comparison?.ok ? this.comparison.desired.resources : [];
    const live = this.live?.resources ?? [];
    const key = (r: RenderedResource) => `${r.group}/${r.kind}/${r.namespace}/${r.name}`;
    const liveKeys = new Set(live.map(key));
    const all = new Map<string, RenderedResource>();
    for (const r of [...desired, ...live]) all.set(key(r), r);
    return [...all.values()].map((r) => {
      const status: SyncStatusCode = this.syncStatus === 'Unknown' ? 'Unknown' : this.syncStatus === 'Synced' ? 'Synced' : 'OutOfSync';
      const present = liveKeys.has(key(r));
      const health = !present ? { status: 'Missing' as const } : isWorkload(r.kind) ? this.health : { status: 'Healthy' as const };
      return { ...r, status, health };
    });
  }

  private condition(type: ApplicationCondition['type'], message: string, now: number): ApplicationCondition {
    return { type, message, lastTransitionTime: kubeTime(now) };
  }
}

function isWorkload(kind: string): boolean {
  return kind === 'Deployment' || kind === 'StatefulSet' || kind === 'DaemonSet';
}

function resourceResult(r: RenderedResource, failed: boolean): ResourceResult {
  const ref = `${r.kind.toLowerCase()}${r.group ? `.${r.group}` : ''}/${r.name}`;
  return {
    ...r,
    status: failed ? 'SyncFailed' : 'Synced',
    message: failed ? `error when applying ${ref}: admission webhook denied the request (simulated sync failure)` : `${ref} configured`,
    hookPhase: failed ? 'Failed' : 'Running',
    syncPhase: 'Sync',
  };
}
