// GitHub's primary rate limit (per token and hour, reported in x-ratelimit-* headers) and, on
// demand through the control API, secondary rate limits (403/429 with retry-after).
import { z } from 'zod';

export const rateLimitControlSchema = z.strictObject({
  /** Requests left in the current window for every token (0 = the next request is refused). */
  remaining: z.number().int().min(0).optional(),
  /** The next N API requests are refused with a secondary rate limit. */
  secondary: z.number().int().min(0).optional(),
  /** `retry-after` of secondary-limit answers, in seconds. */
  retryAfterSeconds: z.number().int().min(0).max(3600).optional(),
  /** Status of rate-limit refusals; GitHub sends 403 or 429. */
  status: z.union([z.literal(403), z.literal(429)]).optional(),
});
export type RateLimitControl = z.infer<typeof rateLimitControlSchema>;

export interface RateLimitState {
  limit: number;
  remaining: number;
  used: number;
  /** Epoch seconds when the window resets. */
  reset: number;
}

export type RateLimitVerdict = RateLimitState & { refused?: { kind: 'primary' | 'secondary'; status: 403 | 429; retryAfterSeconds?: number } };

const WINDOW_MS = 3_600_000;

export class RateLimiter {
  private windows = new Map<string, { used: number; resetAt: number }>();
  private secondaryLeft = 0;
  private retryAfterSeconds = 60;
  private status: 403 | 429 = 403;

  constructor(private readonly limit: number) {}

  private window(key: string, now: number): { used: number; resetAt: number } {
    let w = this.windows.get(key);
    if (!w || w.resetAt <= now) {
      w = { used: 0, resetAt: now + WINDOW_MS };
      this.windows.set(key, w);
    }
    return w;
  }

  private state(w: { used: number; resetAt: number }): RateLimitState {
    return { limit: this.limit, remaining: Math.max(0, this.limit - w.used), used: w.used, reset: Math.floor(w.resetAt / 1000) };
  }

  /** Counts one request of `key` (a token) and says whether it may proceed. */
  take(key: string, now = Date.now()): RateLimitVerdict {
    const w = this.window(key, now);
    if (this.secondaryLeft > 0) {
      this.secondaryLeft -= 1;
      return { ...this.state(w), refused: { kind: 'secondary', status: this.status, retryAfterSeconds: this.retryAfterSeconds } };
    }
    if (w.used >= this.limit) return { ...this.state(w), refused: { kind: 'primary', status: this.status } };
    w.used += 1;
    return this.state(w);
  }

  /** The headers of an unauthenticated answer (60 an hour per client). */
  anonymous(now = Date.now()): RateLimitState {
    return { limit: 60, remaining: 59, used: 1, reset: Math.floor((now + WINDOW_MS) / 1000) };
  }

  configure(control: RateLimitControl, keys: string[], now = Date.now()): void {
    if (control.remaining !== undefined) {
      for (const key of keys) this.window(key, now).used = Math.max(0, this.limit - control.remaining);
    }
    if (control.secondary !== undefined) this.secondaryLeft = control.secondary;
    if (control.retryAfterSeconds !== undefined) this.retryAfterSeconds = control.retryAfterSeconds;
    if (control.status !== undefined) this.status = control.status;
  }

  reset(): void {
    this.windows.clear();
    this.secondaryLeft = 0;
    this.retryAfterSeconds = 60;
    this.status = 403;
  }
}
