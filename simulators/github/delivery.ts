// Webhook deliveries of the simulator: each goes through the `webhookDelivery` callback, is
// bounded by GitHub's 10 s, updates the hook's `last_response` and is recorded. Deliveries
// run in the background like GitHub's (tracked, so `settled()` and `close()` can wait).
import { randomUUID } from 'node:crypto';
import { deliverWebhook } from './signature.js';
import type { GitHubState } from './state.js';
import type { DeliveryRecord, StoredHook, StoredRepo, WebhookDelivery } from './types.js';

export interface HookDelivererOptions {
  state: GitHubState;
  deliver?: WebhookDelivery;
  timeoutMs: number;
  onError?: (error: unknown) => void;
}

export class HookDeliverer {
  private readonly pending = new Set<Promise<unknown>>();

  constructor(private readonly o: HookDelivererOptions) {}

  get enabled(): boolean {
    return this.o.deliver !== undefined;
  }

  /** Delivers in the background; the outcome lands in the delivery records. */
  enqueue(repo: StoredRepo, hook: StoredHook, event: string, payload: Record<string, unknown>): void {
    const task = this.deliver(repo, hook, event, payload).finally(() => this.pending.delete(task));
    this.pending.add(task);
  }

  /** Delivers and waits for the outcome (undefined when no delivery callback is configured). */
  async deliver(repo: StoredRepo, hook: StoredHook, event: string, payload: Record<string, unknown>): Promise<DeliveryRecord | undefined> {
    const deliver = this.o.deliver;
    if (!deliver) return undefined;
    const guid = randomUUID();
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`delivery timed out after ${this.o.timeoutMs} ms`)), this.o.timeoutMs);
    });
    let error: string | undefined;
    try {
      const attempt = deliver(hook, event, payload, { guid, repositoryId: repo.id });
      attempt.catch(() => undefined); // a late rejection after the timeout is already recorded
      await Promise.race([attempt, timeout]);
    } catch (e) {
      error = e instanceof Error ? e.message : String(e);
      this.o.onError?.(e);
    } finally {
      clearTimeout(timer);
    }
    hook.last_response = error === undefined ? { code: 200, status: 'active', message: 'OK' } : { code: null, status: 'failed', message: error };
    const record: DeliveryRecord = {
      guid,
      hookId: hook.id,
      repository: repo.fullName,
      event,
      ok: error === undefined,
      error,
      time: new Date(started).toISOString(),
      durationMs: Date.now() - started,
    };
    this.o.state.recordDelivery(record);
    return record;
  }

  /** Resolves when every delivery started so far has finished. */
  async settled(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}

/**
 * A `webhookDelivery` that POSTs to the hook's URL the way GitHub does (signed with the hook's
 * secret, JSON or form as configured). A non-2xx answer counts as a failed delivery.
 */
export function httpWebhookDelivery(options: { fetch?: typeof fetch; timeoutMs?: number } = {}): WebhookDelivery {
  return async function deliverOverHttp(hook, event, payload, delivery) {
    const res = await deliverWebhook(hook.config.url, {
      event,
      deliveryId: delivery.guid,
      secret: hook.config.secret,
      payload,
      contentType: hook.config.content_type,
      hookId: hook.id,
      targetId: delivery.repositoryId,
      timeoutMs: options.timeoutMs,
      fetch: options.fetch,
    });
    if (!res.ok) throw new Error(`receiver answered ${res.status}`);
  };
}
