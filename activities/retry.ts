// Retrying an idempotent read a few times inside the activity: a single 5xx or dropped
// connection while polling should not throw away the attempt's progress. Anything not
// transient, or still failing after the last try, goes to the activity's retry policy.
import { Context } from '@temporalio/activity';
import { ClientError } from '../clients/errors.js';

export async function retryRead<T>(read: () => Promise<T>, { attempts = 4, delayMs = 150 } = {}): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await read();
    } catch (error) {
      if (attempt >= attempts || !(error instanceof ClientError && error.transient)) throw error;
      await Context.current().sleep(delayMs * attempt);
    }
  }
}

/**
 * Heartbeats every few seconds while `work` runs: a call that may block for long (Argo CD's
 * refresh waits for a reconcile) must not look like a dead worker to Temporal.
 */
export async function withHeartbeats<T>(details: unknown, work: () => Promise<T>, everyMs = 3000): Promise<T> {
  const context = Context.current();
  const timer = setInterval(() => context.heartbeat(details), everyMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
