// Activity option presets. Every step is bounded by its own time limit (scheduleToClose covers
// all retries); terminal failures are thrown non-retryable by the activities themselves.
import { ActivityCancellationType, type ActivityOptions } from '@temporalio/workflow';

const transientRetry = { initialInterval: '1s', backoffCoefficient: 2, maximumInterval: '20s' } as const;

/** A step of the deploy chain: bounded in total by `limitMs`; long ones heartbeat. */
export function stepOptions(limitMs: number, { heartbeat }: { heartbeat: boolean }): ActivityOptions {
  return {
    scheduleToCloseTimeout: limitMs,
    startToCloseTimeout: limitMs,
    heartbeatTimeout: heartbeat ? '10s' : undefined,
    // A cancelled step finishes its own clean-up (e.g. stopping the Jenkins build) before the
    // workflow records the cancellation.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
    retry: transientRetry,
  };
}

/** Bookkeeping in PostgreSQL: quick, retried until the database is back (bounded at 10 min). */
export const recordOptions: ActivityOptions = {
  startToCloseTimeout: '30s',
  // A cancel that arrives mid-write waits for it: the outcome written next must come after it
  // (prepareDeployment would otherwise create steps after the cancellation was recorded).
  cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  scheduleToCloseTimeout: '10m',
  retry: transientRetry,
};
