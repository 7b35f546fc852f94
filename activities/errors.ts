// Failure types of the deploy chain. Each is either terminal (fail now, with the reason; never
// retried) or transient (retried with backoff, bounded). The type is what the API shows as
// `error.type`.
import { ApplicationFailure } from '@temporalio/common';

export const TerminalFailure = {
  /** The branch or commit does not exist, or the repository cannot be read. */
  sourceNotFound: 'source_not_found',
  /**
   * The repository needs a credential the project does not have, or refused the one it has
   * (missing, expired, revoked, no read access). The message says which, and what to set.
   */
  sourceAccessDenied: 'source_access_denied',
  /**
   * The repository URL (or the clone URL GitHub gave) is on a host that is not allowed, or
   * resolves to an internal address. Decided before any connection is made.
   */
  repoAddressRefused: 'repo_address_refused',
  /** Input that cannot become a release (bad names, paths, tags). */
  invalidInput: 'invalid_input',
  /** Jenkins has no such job, or it is disabled or not parameterized. */
  buildJobMissing: 'build_job_missing',
  /** The Jenkins build ended FAILURE/UNSTABLE/NOT_BUILT/ABORTED. */
  buildFailed: 'build_failed',
  /** The image is not in the registry (never pushed, or deleted). */
  imageMissing: 'image_missing',
  /** The scan found vulnerabilities at or above the configured severity. */
  vulnerabilities: 'vulnerabilities',
  /** The scan itself failed or was stopped. */
  scanFailed: 'scan_failed',
  /** Argo CD cannot render the chart (ComparisonError / InvalidSpecError). */
  chartInvalid: 'chart_invalid',
  /**
   * Argo CD cannot fetch the GitOps repository (URL, credentials, SSH host key, deploy key, a
   * missing branch). The platform's problem, not the release's: no automatic rollback.
   */
  repoUnreachable: 'repo_unreachable',
  /** Argo CD's RBAC refuses the engine's account this app (403 with `?project=`). Platform set-up; no rollback. */
  argocdForbidden: 'argocd_forbidden',
  /**
   * Another folder or app claims this app's name or its resources: the ApplicationSet's
   * `duplicate name` error, an app generated from another path, or a SharedResourceWarning.
   */
  appConflict: 'app_conflict',
  /** The ApplicationSet never generated the new app within APP_GENERATE_TIMEOUT. */
  appNotGenerated: 'app_not_generated',
  /** The app turned Degraded and stayed so past the grace period. */
  appDegraded: 'app_degraded',
  /** The Argo CD sync operation failed. */
  syncFailed: 'sync_failed',
  /**
   * Argo CD says Synced and Healthy, but the live URL never answered from this release within
   * LIVE_URL_PROBE_TIMEOUT: DNS not at the ingress, an ingress host that does not match, or a
   * wrong service or namespace (activities/url-probe.ts, docs/live-url-probe.md).
   */
  urlUnreachable: 'url_unreachable',
  /** A newer release reached the app first. */
  superseded: 'superseded',
  /** A step exceeded its time bound. */
  timeout: 'timeout',
  /** Credentials were refused by an outside system. */
  unauthorized: 'unauthorized',
  /** A rollback has nothing to roll back to. */
  noRollbackTarget: 'no_rollback_target',
} as const;

export const TransientFailure = {
  /** 5xx, connection errors, client timeouts. */
  unavailable: 'unavailable',
  /** A git push lost a race with another writer (rebased and retried). */
  pushConflict: 'push_conflict',
} as const;

/**
 * Failures of await_live that say nothing about the release itself: putting the last release
 * back would meet the same wall (or undo a newer release). workflows/deploy.ts spells the same
 * list on its rollback condition (workflows import activity types only); test/argocd-failures
 * checks that they agree.
 */
export const keepsLastReleaseFailures: readonly string[] = [TerminalFailure.superseded, TerminalFailure.repoUnreachable, TerminalFailure.argocdForbidden];

export type TerminalFailureType = (typeof TerminalFailure)[keyof typeof TerminalFailure];
export const terminalFailureTypes: string[] = Object.values(TerminalFailure);

/** Throws from an activity: a failure that retrying cannot fix. */
export function terminal(type: TerminalFailureType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? undefined : [details] });
}

/** A failure worth retrying; the activity's retry policy paces and bounds it. */
export function transient(type: (typeof TransientFailure)[keyof typeof TransientFailure], message: string): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false });
}

/**
 * Maps an error thrown by a client into a Temporal failure: errors that declare themselves
 * transient (clients set `transient: true` or `isTransient`) are retried; anything else
 * passes through unchanged and is retried by default, which suits unknown I/O errors.
 */
export function isTransientError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { transient?: unknown; isTransient?: unknown };
  return e.transient === true || e.isTransient === true || (typeof e.isTransient === 'function' && (e.isTransient as () => boolean)() === true);
}
