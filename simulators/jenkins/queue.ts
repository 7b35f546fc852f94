// The build queue: WaitingItem (quiet period) -> BuildableItem (waiting for an executor) ->
// LeftItem (a build started, or the item was cancelled). Left items stay visible for
// `leftItemTtlMs` (Jenkins: 5 minutes), then /queue/item/<id>/api/json answers 404.
//
// Timing: the WaitingItem lasts the quiet period (`delay`) plus half the scenario's `queueMs`,
// the BuildableItem the other half, so even `delay=0sec` shows all three stages.
import type { Scenario } from '../common/scenario.js';
import type { Build, Cause, Job, ParameterValue, QueueItem } from './model.js';

export interface QueueOptions {
  leftItemTtlMs: number;
  /** Starts the build of an item that leaves the queue. */
  onLeave: (item: QueueItem) => Build;
}

export type CancelOutcome = 'cancelled' | 'left' | 'missing';

/** Time between leaving the queue and the build existing (executor start). */
export const EXECUTOR_START_MS = 25;

export class BuildQueue {
  private nextId = 1;
  private readonly items = new Map<number, QueueItem>();

  constructor(private readonly options: QueueOptions) {}

  /**
   * Queue.schedule2: an identical item (same job, same parameter values) still in the queue
   * absorbs the request (`created: false` -> 303); otherwise a new WaitingItem (-> 201).
   */
  schedule(job: Job, params: ParameterValue[], cause: Cause, delayMs: number, scenario: Scenario): { item: QueueItem; created: boolean } {
    const existing = this.active().find((i) => i.job === job && sameParams(i.params, params));
    if (existing) {
      if (!existing.causes.some((c) => c.userId === cause.userId)) existing.causes.push(cause);
      return { item: existing, created: false };
    }
    const now = Date.now();
    const half = Math.floor(scenario.build.queueMs / 2);
    const item: QueueItem = {
      id: this.nextId++,
      job,
      params,
      causes: [cause],
      scenario,
      inQueueSince: now,
      waitingUntil: now + Math.max(0, delayMs) + half,
      stage: 'waiting',
      cancelled: false,
    };
    this.items.set(item.id, item);
    item.timer = setTimeout(() => this.becomeBuildable(item, scenario.build.queueMs - half), item.waitingUntil - now);
    return { item, created: true };
  }

  private becomeBuildable(item: QueueItem, buildableMs: number): void {
    if (item.stage !== 'waiting') return;
    item.stage = 'buildable';
    item.buildableSince = Date.now();
    item.timer = setTimeout(() => this.leave(item), buildableMs);
  }

  /**
   * The item leaves the queue first; its executable (the build) exists a moment later, when
   * the executor starts it. Clients see a LeftItem with `executable: null` in between and must
   * keep polling until `executable.number` exists or `cancelled` is true.
   */
  private leave(item: QueueItem): void {
    if (item.stage !== 'buildable') return;
    item.stage = 'left';
    item.leftAt = Date.now();
    item.timer = setTimeout(() => {
      item.timer = undefined;
      item.build = this.options.onLeave(item);
    }, EXECUTOR_START_MS);
  }

  /** The item, or undefined when unknown or expired. */
  get(id: number): QueueItem | undefined {
    const item = this.items.get(id);
    if (!item) return undefined;
    if (item.stage === 'left' && item.timer === undefined && item.leftAt !== undefined && Date.now() - item.leftAt >= this.options.leftItemTtlMs) {
      this.items.delete(id);
      return undefined;
    }
    return item;
  }

  /** Items still waiting or buildable, oldest first. */
  active(): QueueItem[] {
    return [...this.items.values()].filter((i) => i.stage !== 'left');
  }

  /** All known items (left ones included, expired ones dropped). */
  all(): QueueItem[] {
    return [...this.items.keys()].map((id) => this.get(id)).filter((i): i is QueueItem => i !== undefined);
  }

  cancel(id: number): CancelOutcome {
    const item = this.get(id);
    if (!item) return 'missing';
    if (item.stage === 'left') return 'left';
    clearTimeout(item.timer);
    item.timer = undefined;
    item.stage = 'left';
    item.cancelled = true;
    item.leftAt = Date.now();
    return 'cancelled';
  }

  /** Disabling a job cancels its queued items (ParameterizedJob.makeDisabled). */
  cancelJob(job: Job): void {
    for (const item of this.active()) if (item.job === job) this.cancel(item.id);
  }

  /** Forgets every left item now, as if `leftItemTtlMs` had passed. */
  expireLeft(): number {
    let n = 0;
    for (const [id, item] of this.items) {
      if (item.stage === 'left' && item.timer === undefined) {
        this.items.delete(id);
        n += 1;
      }
    }
    return n;
  }

  /** Stops all timers and forgets everything (ids keep counting up). */
  clear(): void {
    for (const item of this.items.values()) clearTimeout(item.timer);
    this.items.clear();
  }
}

function sameParams(a: ParameterValue[], b: ParameterValue[]): boolean {
  return a.length === b.length && a.every((p, i) => p.name === b[i]?.name && p.value === b[i]?.value);
}
