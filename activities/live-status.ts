// "Live at MY commit": what an Argo CD application's status means for the release the
// await_live step waits for (activities/argocd.ts). Pure rules over the Application the client
// reads (clients/argocd.ts); no I/O. docs/argocd-failures.md lists the failures they tell apart
// and the Argo CD answers each one is read from.
import type { Application } from '../clients/argocd.js';

export const ERROR_CONDITION_TYPES = {
  ComparisonError: 'comparison-error',
  InvalidSpecError: 'invalid-spec',
  SyncError: 'sync-error',
  UnknownError: 'unknown-error',
  DeletionError: 'deletion-error',
} as const;

export type LiveFailureType =
  'degraded' | 'sync-failed' | 'repo-unreachable' | 'shared-resource' | (typeof ERROR_CONDITION_TYPES)[keyof typeof ERROR_CONDITION_TYPES];

/**
 * What the repo-server says when it cannot fetch the repository, as Argo CD v2.14 writes it into
 * a ComparisonError (`Failed to load target state: failed to generate manifest for source 1 of
 * 1: rpc error: code = Unknown desc = failed to list refs: repository not found`) or into the
 * ApplicationSet's ErrorOccurred condition. `failed to list refs` is util/git's `git ls-remote`
 * step (the host, the URL, the credentials, the host key); `unable to resolve '<branch>' to a
 * commit SHA` is a branch the repository does not have. A repo-server that is down answers
 * `code = Unavailable` and is not matched: that passes.
 */
const REPO_FETCH_ERROR =
  /failed to list refs|repository not found|authentication required|authentication failed|knownhosts: key is unknown|ssh: handshake failed|unable to authenticate|could not read Username|Permission denied \(publickey\)|unable to resolve '[^']*' to a commit SHA/i;

/** Whether an Argo CD error message says the repository could not be fetched (not a chart error). */
export function isRepoFetchError(message: string): boolean {
  return REPO_FETCH_ERROR.test(message);
}

export type LiveStatus =
  | { state: 'live' }
  /** `degradedSince` is set while the app is Degraded within the grace period: pass it back next time. */
  | { state: 'waiting'; reason: string; degradedSince?: number }
  | { state: 'failed'; type: LiveFailureType; message: string }
  | { state: 'superseded'; revision: string };

export interface LiveStatusOptions {
  now: number;
  /** When the app was first seen Degraded at our commit (from an earlier call), in ms. */
  degradedSince?: number;
  /** How long Degraded may last before it counts as a failure. */
  degradedGraceMs: number;
  /**
   * Whether a revision other than ours is a newer commit (e.g. a descendant of ours on the
   * branch). Without it, another revision is only "not there yet".
   */
  knownNewer?: boolean | ((revision: string) => boolean);
}

/**
 * Whether the app runs `expectedSha` (docs/outside-systems.md, "Live at my commit"): the synced
 * revision is that full SHA; Synced and Healthy; no operation in flight and the last one compared
 * since it finished; an operation for that SHA Succeeded. Fails fast on a Failed/Error operation
 * for that SHA, an error condition, or Degraded past the grace period.
 */
export function liveStatus(app: Application, expectedSha: string, options: LiveStatusOptions): LiveStatus {
  const status = app.status;
  const op = status.operationState;
  const opRevision = op?.syncResult?.revision ?? op?.operation?.sync?.revision;
  const revision = status.sync?.revision;

  if (op && opRevision === expectedSha && (op.phase === 'Failed' || op.phase === 'Error')) {
    return { state: 'failed', type: 'sync-failed', message: op.message || `sync of ${short(expectedSha)} ended ${op.phase}` };
  }
  // A repository Argo CD cannot fetch blocks every revision, whichever one the app last showed.
  for (const c of status.conditions ?? []) {
    if (c.type === 'ComparisonError' && isRepoFetchError(c.message ?? ''))
      return { state: 'failed', type: 'repo-unreachable', message: `${c.type}: ${c.message ?? ''}` };
  }
  // Conditions describe the revision Argo CD compared last; a failed comparison reports none.
  if (!revision || revision === expectedSha) {
    for (const c of status.conditions ?? []) {
      const type = ERROR_CONDITION_TYPES[c.type as keyof typeof ERROR_CONDITION_TYPES];
      if (type) return { state: 'failed', type, message: `${c.type}: ${c.message ?? ''}`.trim() };
      // Another app manages one of ours (`Deployment/x is part of applications argocd/a and b`):
      // the two would overwrite each other on every sync.
      if (c.type === 'SharedResourceWarning') return { state: 'failed', type: 'shared-resource', message: `${c.type}: ${c.message ?? ''}`.trim() };
    }
  }
  if (!revision) return { state: 'waiting', reason: `Argo CD reports no revision yet (sync ${status.sync?.status ?? 'unknown'})` };
  if (revision !== expectedSha) {
    const newer = typeof options.knownNewer === 'function' ? options.knownNewer(revision) : options.knownNewer === true;
    if (newer) return { state: 'superseded', revision };
    return { state: 'waiting', reason: `Argo CD is at ${short(revision)}, not yet at ${short(expectedSha)}` };
  }
  if (app.operation) return { state: 'waiting', reason: 'a sync operation is in progress' };
  if (op) {
    if (op.phase === 'Running' || op.phase === 'Terminating' || !op.finishedAt) return { state: 'waiting', reason: `the last operation is ${op.phase}` };
    const finished = Date.parse(op.finishedAt);
    const reconciled = status.reconciledAt ? Date.parse(status.reconciledAt) : Number.NaN;
    if (!(reconciled >= finished)) return { state: 'waiting', reason: 'Argo CD has not compared the app since the last operation finished' };
    if (opRevision === expectedSha && op.phase !== 'Succeeded') return { state: 'waiting', reason: `the operation for ${short(expectedSha)} is ${op.phase}` };
  }
  if (status.sync?.status !== 'Synced') return { state: 'waiting', reason: `sync status is ${status.sync?.status ?? 'unknown'}` };

  const health = status.health?.status ?? 'Unknown';
  if (health === 'Healthy') return { state: 'live' };
  if (health === 'Degraded') {
    const since = options.degradedSince ?? options.now;
    const message = status.health?.message ? `Degraded: ${status.health.message}` : 'the application is Degraded';
    if (options.now - since >= options.degradedGraceMs) return { state: 'failed', type: 'degraded', message };
    return { state: 'waiting', reason: `${message} (within the grace period)`, degradedSince: since };
  }
  return { state: 'waiting', reason: `health is ${health}${status.health?.message ? `: ${status.health.message}` : ''}` };
}

function short(sha: string): string {
  return sha.slice(0, 7);
}
