// The lane's rules without Temporal: supersede, cancel, close, idempotent enqueue and what a
// continue-as-new carries.
import { describe, expect, it } from 'vitest';
import { LaneState } from './lane-state.js';
import type { LaneRequest } from './messages.js';
import type { DeploySettings } from './plan.js';

const settings: DeploySettings = { timeoutsMs: { resolveSource: 1, build: 1, verifyImage: 1, commitRelease: 1, awaitLive: 1 }, autoRollback: true };
const req = (deploymentId: string, kind: LaneRequest['kind'] = 'deploy'): LaneRequest => ({ deploymentId, kind, settings });

describe('LaneState', () => {
  it('a newer request supersedes the queued ones, and says by whom', () => {
    const lane = new LaneState();
    lane.enqueue(req('a'));
    lane.enqueue(req('b'));
    expect(lane.queue.map((r) => r.deploymentId)).toEqual(['b']);
    expect(lane.toRecord).toEqual([{ deploymentId: 'a', outcome: expect.objectContaining({ status: 'superseded', supersededBy: 'b' }) }]);
  });

  it('enqueueing the same id twice is a no-op, even after it left the queue', () => {
    const lane = new LaneState();
    lane.enqueue(req('a'));
    lane.queue.shift();
    lane.enqueue(req('a'));
    expect(lane.queue).toEqual([]);
    expect(lane.toRecord).toEqual([]);
  });

  it('a rollback cancels the running deploy; a deploy does not', () => {
    const lane = new LaneState();
    let cancels = 0;
    lane.running = { deploymentId: 'r', cancel: () => void (cancels += 1) };
    lane.enqueue(req('d'));
    expect(cancels).toBe(0);
    lane.enqueue(req('rb', 'rollback'));
    expect(cancels).toBe(1);
  });

  it('cancel: the running one is cancelled in place, a queued one is recorded cancelled, anything else is not in the lane', () => {
    const lane = new LaneState();
    let cancelled = false;
    lane.running = { deploymentId: 'r', cancel: () => void (cancelled = true) };
    lane.enqueue(req('q'));
    expect(lane.cancel('r')).toBe('cancelling');
    expect(cancelled).toBe(true);
    expect(lane.cancel('q')).toBe('cancelled');
    expect(lane.toRecord).toEqual([
      { deploymentId: 'q', outcome: expect.objectContaining({ status: 'cancelled', error: expect.objectContaining({ step: 'queue' }) }) },
    ]);
    expect(lane.cancel('x')).toBe('not-in-lane');
  });

  it('a request without valid limits is recorded failed, not run', () => {
    const lane = new LaneState();
    lane.enqueue({ deploymentId: 'old', kind: 'deploy' } as LaneRequest);
    expect(lane.queue).toEqual([]);
    expect(lane.toRecord[0]).toMatchObject({ deploymentId: 'old', outcome: { status: 'failed', error: { type: 'invalid_input' } } });
  });

  it('close cancels the queue and the running deploy; later requests are recorded cancelled; it carries over a continue-as-new', () => {
    const lane = new LaneState();
    let cancelled = false;
    lane.running = { deploymentId: 'r', cancel: () => void (cancelled = true) };
    lane.enqueue(req('q'));
    lane.close({ reason: 'gone', notify: 'undeploy/p' });
    lane.close({ reason: 'again', notify: 'undeploy/p' });
    expect(cancelled).toBe(true);
    expect(lane.closed).toBe(true);
    expect(lane.notify).toEqual(['undeploy/p']);
    lane.enqueue(req('late'));
    expect(lane.toRecord.map((r) => [r.deploymentId, r.outcome.status, r.outcome.error?.message])).toEqual([
      ['q', 'cancelled', 'gone'],
      ['late', 'cancelled', 'gone'],
    ]);
    expect(new LaneState(lane.carry()).closedReason).toBe('gone');
  });

  it('the queue carried over a continue-as-new is still idempotent', () => {
    const lane = new LaneState({ queue: [req('a')] });
    lane.enqueue(req('a'));
    expect(lane.queue.map((r) => r.deploymentId)).toEqual(['a']);
    expect(lane.snapshot()).toEqual({ running: undefined, queued: ['a'] });
  });
});
