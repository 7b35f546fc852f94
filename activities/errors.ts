// Failure types of the deploy chain. Each is either terminal (fail now, with the reason; never
// retried) or transient (retried with backoff, bounded). The type is what the API shows as
// `error.type`. toActivityFailure is the one place where what went wrong below (a client's
// ClientError, a bad name or path, a refused repository address) becomes one of them.
import { ApplicationFailure, TemporalFailure } from '@temporalio/common';
import { ClientError, type ClientErrorKind, type ClientSystem } from '../clients/errors.js';
import { NamingError } from '../gitops/naming.js';
import { GitOpsPathError } from '../gitops/paths.js';
import { ChartValuesError } from '../gitops/values.js';
import { RepoAddressRefusedError, RepoHostUnresolvedError } from '../lib/repo-address.js';
import type { StepName } from './types.js';
import type { UndeployStep } from './undeploy-types.js';

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
  /** 5xx, connection errors, client timeouts: any failure a client calls transient. */
  unavailable: 'unavailable',
} as const;

export type TerminalFailureType = (typeof TerminalFailure)[keyof typeof TerminalFailure];
type TransientFailureType = (typeof TransientFailure)[keyof typeof TransientFailure];

/** Throws from an activity: a failure that retrying cannot fix. */
export function terminal(type: TerminalFailureType, message: string, details?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: true, details: details === undefined ? undefined : [details] });
}

/** A failure worth retrying; the activity's retry policy paces and bounds it. */
export function transient(type: TransientFailureType, message: string, cause?: unknown): ApplicationFailure {
  return ApplicationFailure.create({ type, message, nonRetryable: false, ...(cause instanceof Error ? { cause } : {}) });
}

/** Where a failure happened: a deploy step, an undeploy step, or making a workspace's pull robot. */
export type FailureStep = StepName | UndeployStep | 'pull_access';

/** What a rule matches: a client's error of that system and kind, or an error class of the layers below. */
type Match = { system: ClientSystem; kinds: readonly ClientErrorKind[] | 'any' } | { error: abstract new (...args: never[]) => Error };

interface Rule {
  when: Match;
  failure: TerminalFailureType | TransientFailureType;
  /** The failure's message from the error's; the error's own when absent. */
  say?: (message: string) => string;
}

const invalidInput = (error: abstract new (...args: never[]) => Error): Rule => ({ when: { error }, failure: TerminalFailure.invalidInput });

/**
 * Which errors fail which step, and as what. A step's activity may word a failure itself (it
 * knows the job, the image, the account): toActivityFailure's `say`. What no rule names keeps
 * its way: a transient client error is retried as `unavailable`; anything else passes through
 * and is retried by default until the step's time limit, which suits an unknown I/O error.
 */
const RULES: Partial<Record<FailureStep, readonly Rule[]>> = {
  resolve_source: [
    {
      when: { error: RepoAddressRefusedError },
      failure: TerminalFailure.repoAddressRefused,
      say: (m) => `Repository address not allowed, no connection made: ${m}`,
    },
    { when: { error: RepoHostUnresolvedError }, failure: TransientFailure.unavailable },
    { when: { system: 'source', kinds: ['auth'] }, failure: TerminalFailure.sourceAccessDenied },
    { when: { system: 'source', kinds: ['not_found'] }, failure: TerminalFailure.sourceNotFound },
  ],
  build: [
    // A missing, disabled (409) or unparameterized (400) job: the platform's Jenkins set-up.
    { when: { system: 'jenkins', kinds: ['not_found', 'conflict', 'invalid'] }, failure: TerminalFailure.buildJobMissing },
    { when: { system: 'jenkins', kinds: ['auth'] }, failure: TerminalFailure.unauthorized, say: (m) => `Jenkins refused the credentials: ${m}` },
  ],
  verify_image: [
    { when: { system: 'harbor', kinds: ['unsupported'] }, failure: TerminalFailure.scanFailed },
    { when: { system: 'harbor', kinds: ['auth'] }, failure: TerminalFailure.unauthorized, say: (m) => `Harbor refused the credentials: ${m}` },
  ],
  commit_release: [invalidInput(GitOpsPathError), invalidInput(ChartValuesError), invalidInput(NamingError)],
  await_live: [
    { when: { system: 'argocd', kinds: ['forbidden'] }, failure: TerminalFailure.argocdForbidden },
    { when: { system: 'argocd', kinds: ['auth'] }, failure: TerminalFailure.unauthorized, say: (m) => `Argo CD refused the credentials: ${m}` },
  ],
  remove_folder: [invalidInput(GitOpsPathError)],
  await_gone: [
    // An undeploy has no failure type of its own for RBAC: the account may not see the app.
    { when: { system: 'argocd', kinds: ['forbidden'] }, failure: TerminalFailure.unauthorized },
    { when: { system: 'argocd', kinds: ['auth'] }, failure: TerminalFailure.unauthorized, say: (m) => `Argo CD refused the credentials: ${m}` },
  ],
  pull_access: [
    {
      when: { system: 'harbor', kinds: ['auth'] },
      failure: TerminalFailure.unauthorized,
      say: (m) =>
        `${m}: HARBOR_ROBOT_ADMIN_USERNAME must be a project admin user or a system robot with robot permissions (a project robot cannot create robots)`,
    },
    // Whatever else Harbor refuses (a bad robot name, an unexpected answer) retrying cannot fix.
    { when: { system: 'harbor', kinds: 'any' }, failure: TerminalFailure.invalidInput },
  ],
};

function matches(when: Match, error: unknown): boolean {
  if ('error' in when) return error instanceof when.error;
  return error instanceof ClientError && error.system === when.system && (when.kinds === 'any' || when.kinds.includes(error.kind));
}

/**
 * What an activity throws for `error` at `step`: Temporal's own failures (an ApplicationFailure
 * made already, a cancellation) unchanged; a transient client error as a transient failure; an
 * error the step's rules name as that failure (worded by `say` for its type, when given);
 * anything else unchanged. Use: `catch (error) { throw toActivityFailure(error, 'build') }`.
 */
export function toActivityFailure(error: unknown, step: FailureStep, say: Partial<Record<TerminalFailureType, (message: string) => string>> = {}): unknown {
  if (error instanceof TemporalFailure) return error;
  if (error instanceof ClientError && error.transient) return transient(TransientFailure.unavailable, error.message, error);
  const rule = RULES[step]?.find((r) => matches(r.when, error));
  if (!rule || !(error instanceof Error)) return error;
  if (rule.failure === TransientFailure.unavailable) return transient(rule.failure, error.message, error);
  const wording = say[rule.failure] ?? rule.say;
  return terminal(rule.failure, wording ? wording(error.message) : error.message);
}
