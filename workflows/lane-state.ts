// The state of a project's lane, and every rule that changes it: what a new request supersedes,
// what a cancel or a close does. The lane workflow's message handlers only call these methods,
// and its main loop only takes the next request; keeping the rules here keeps them in one place
// and deterministic (no Temporal calls, no I/O).
import type { Outcome } from '../activities/types.js';
import type { CancelResult, LaneRequest, LaneSnapshot } from './messages.js';

/** Deployment ids remembered to make enqueue idempotent. */
const REMEMBERED_IDS = 200;

/** What a lane carries over a continue-as-new. */
export interface LaneCarry {
  queue: LaneRequest[];
  closed?: { reason: string; notify: string[] };
}

export const closedOutcome = (reason: string): Outcome => ({ status: 'cancelled', error: { step: 'queue', type: 'cancelled', message: reason } });

export class LaneState {
  readonly queue: LaneRequest[];
  /** Outcomes of deployments that will never run (superseded, cancelled), to record in order. */
  readonly toRecord: Array<{ deploymentId: string; outcome: Outcome }> = [];
  /** Undeploy workflows to signal once the lane is closed and everything is recorded. */
  readonly notify: string[];
  closedReason: string | undefined;
  running: { deploymentId: string; cancel: () => void } | undefined;
  private readonly seen: string[];

  constructor(carried: LaneCarry = { queue: [] }) {
    this.queue = [...carried.queue];
    this.seen = carried.queue.map((r) => r.deploymentId);
    this.closedReason = carried.closed?.reason;
    this.notify = [...(carried.closed?.notify ?? [])];
  }

  /** A newer request supersedes the queued ones; a rollback also cancels the running deploy. Idempotent per id. */
  enqueue(request: LaneRequest): void {
    if (typeof request?.deploymentId !== 'string' || !request.deploymentId || this.seen.includes(request.deploymentId)) return;
    this.remember(request.deploymentId);
    if (this.closedReason) {
      this.toRecord.push({ deploymentId: request.deploymentId, outcome: closedOutcome(this.closedReason) });
      return;
    }
    // A request without its limits comes from an outdated or foreign caller: it cannot run.
    if (!isSettings(request.settings) || (request.kind !== 'deploy' && request.kind !== 'rollback')) {
      this.toRecord.push({
        deploymentId: request.deploymentId,
        outcome: { status: 'failed', error: { step: 'queue', type: 'invalid_input', message: 'The lane request carries no valid kind and step limits' } },
      });
      return;
    }
    for (const old of this.queue.splice(0)) {
      this.toRecord.push({
        deploymentId: old.deploymentId,
        outcome: {
          status: 'superseded',
          supersededBy: request.deploymentId,
          error: { step: 'queue', type: 'superseded', message: `Superseded by deployment ${request.deploymentId}` },
        },
      });
    }
    // A rollback gets the app out of trouble first: it cancels whatever is running.
    if (request.kind === 'rollback') this.running?.cancel();
    this.queue.push(request);
  }

  cancel(deploymentId: string): CancelResult {
    if (this.running?.deploymentId === deploymentId) {
      this.running.cancel();
      return 'cancelling';
    }
    const index = this.queue.findIndex((r) => r.deploymentId === deploymentId);
    if (index < 0) return 'not-in-lane';
    this.queue.splice(index, 1);
    this.toRecord.push({
      deploymentId,
      outcome: { status: 'cancelled', error: { step: 'queue', type: 'cancelled', message: 'Cancelled on request before it started' } },
    });
    return 'cancelled';
  }

  /** Closes the lane for good: the queue is cancelled, the running deploy cancelled (it records its own outcome). */
  close(request: { reason?: string; notify?: string }): void {
    if (typeof request?.notify !== 'string' || !request.notify) return;
    this.closedReason ??= request.reason || 'The project was deleted';
    if (!this.notify.includes(request.notify)) this.notify.push(request.notify);
    for (const old of this.queue.splice(0)) this.toRecord.push({ deploymentId: old.deploymentId, outcome: closedOutcome(this.closedReason) });
    this.running?.cancel();
  }

  get closed(): boolean {
    return this.closedReason !== undefined;
  }

  snapshot(): LaneSnapshot {
    return { running: this.running?.deploymentId, queued: this.queue.map((r) => r.deploymentId) };
  }

  carry(): LaneCarry {
    return { queue: [...this.queue], ...(this.closedReason ? { closed: { reason: this.closedReason, notify: [...this.notify] } } : {}) };
  }

  private remember(deploymentId: string): void {
    this.seen.push(deploymentId);
    if (this.seen.length > REMEMBERED_IDS) this.seen.shift();
  }
}

function isSettings(value: unknown): boolean {
  const s = value as LaneRequest['settings'] | undefined;
  const t = s?.timeoutsMs;
  return (
    typeof s === 'object' &&
    s !== null &&
    typeof s.autoRollback === 'boolean' &&
    typeof t === 'object' &&
    t !== null &&
    [t.resolveSource, t.build, t.verifyImage, t.commitRelease, t.awaitLive].every((ms) => Number.isFinite(ms) && ms > 0)
  );
}
