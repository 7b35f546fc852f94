// The plan of every workflow, in one place: which steps each kind of deployment runs, how long
// each may take, and after which failures the last release is put back. The limits come from the
// configuration as workflow input (the API fixes them when a deployment is requested, so the
// Temporal UI shows what each one ran under); everything else is decided here.
import type { DeploymentKind, StepName } from '../activities/types.js';
import type { TerminalFailureType } from '../activities/errors.js';

/** The configured limits and switches a deployment runs under (lib/config.ts names them). */
export interface DeploySettings {
  /** RESOLVE_SOURCE_TIMEOUT, BUILD_TIMEOUT, VERIFY_IMAGE_TIMEOUT, COMMIT_RELEASE_TIMEOUT, AWAIT_LIVE_TIMEOUT. */
  timeoutsMs: { resolveSource: number; build: number; verifyImage: number; commitRelease: number; awaitLive: number };
  /** LIVE_URL_PROBE_TIMEOUT when LIVE_URL_PROBE=on: the probe runs inside await_live, after Synced and Healthy. */
  liveUrlProbeMs?: number;
  /** AUTO_ROLLBACK: a deploy that fails after its GitOps commit puts the last live release back. */
  autoRollback: boolean;
}

/** The configured limits of an undeploy. */
export interface UndeploySettings {
  /** UNDEPLOY_TIMEOUT: bounds the wait for the lane and for Argo CD. */
  timeoutMs: number;
  /** COMMIT_RELEASE_TIMEOUT: each attempt at the removal commit is bounded like a release commit. */
  commitTimeoutMs: number;
}

export interface PlannedStep {
  name: StepName;
  /** The activity's bound in total, retries included. */
  limitMs: number;
  /** Long steps heartbeat (and resume from their heartbeat details on another worker). */
  heartbeat: boolean;
}

export interface DeployPlan {
  kind: DeploymentKind;
  steps: PlannedStep[];
  autoRollback: boolean;
}

/** The steps of each kind, in order. */
export const STEPS: Record<DeploymentKind, readonly StepName[]> = {
  // 1. pin the commit, 2. build, 3. confirm the image, 4. commit the release, 5. await it live
  deploy: ['resolve_source', 'build', 'verify_image', 'commit_release', 'await_live'],
  // A rollback restores a release that was built and scanned before: no source, no build.
  rollback: ['verify_image', 'commit_release', 'await_live'],
};

const HEARTBEATS: ReadonlySet<StepName> = new Set(['build', 'verify_image', 'await_live']);

/**
 * Activities that enforce their own deadline (and fail with a reason when it passes) get this
 * much more as the activity bound: the bound is a backstop for a worker that went silent.
 */
export const BACKSTOP_MS = 60_000;

export function deployPlan(kind: DeploymentKind, settings: DeploySettings): DeployPlan {
  const t = settings.timeoutsMs;
  const limitMs: Record<StepName, number> = {
    resolve_source: t.resolveSource,
    build: t.build,
    verify_image: t.verifyImage,
    commit_release: t.commitRelease,
    // awaitLive enforces AWAIT_LIVE_TIMEOUT itself, then the live-URL probe its own timeout.
    await_live: t.awaitLive + (settings.liveUrlProbeMs ?? 0) + BACKSTOP_MS,
  };
  return {
    kind,
    steps: STEPS[kind].map((name) => ({ name, limitMs: limitMs[name], heartbeat: HEARTBEATS.has(name) })),
    autoRollback: settings.autoRollback,
  };
}

/**
 * Failures of await_live that say nothing about the release itself: putting the last release
 * back would meet the same wall (the repository or Argo CD's RBAC), or undo a newer release.
 */
export const KEEPS_LAST_RELEASE: readonly TerminalFailureType[] = ['superseded', 'repo_unreachable', 'argocd_forbidden'];

/** Whether a failed deployment is answered by putting the last live release back. */
export function rollsBack(plan: DeployPlan, failedStep: StepName | 'queue', failureType: string): boolean {
  return plan.kind === 'deploy' && plan.autoRollback && failedStep === 'await_live' && !(KEEPS_LAST_RELEASE as readonly string[]).includes(failureType);
}

export interface UndeployPlan {
  /** How long the lane may take to stop what runs. */
  laneCloseMs: number;
  /** The removal commit: each attempt, and all attempts together. */
  removeFolder: { attemptMs: number; totalMs: number };
  /** awaitAppGone enforces UNDEPLOY_TIMEOUT itself; this is its backstop. */
  awaitGoneMs: number;
}

export function undeployPlan(settings: UndeploySettings): UndeployPlan {
  return {
    laneCloseMs: settings.timeoutMs,
    // A worker that died mid-push is replaced, and its retry finds the commit: attempts go on
    // for the whole UNDEPLOY_TIMEOUT.
    removeFolder: { attemptMs: settings.commitTimeoutMs, totalMs: settings.timeoutMs },
    awaitGoneMs: settings.timeoutMs + BACKSTOP_MS,
  };
}
