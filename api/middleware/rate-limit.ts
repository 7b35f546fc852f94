// Per-key token buckets (in memory, per process). Each request takes one token; a bucket holds at
// most `capacity` and refills at `refillPerSecond`. An empty bucket answers 429 with Retry-After.
//
// One rateLimit() instance is one set of buckets: put the SAME instance on every route that should
// share a budget (e.g. all deploy-starting routes), keyed by the caller's token id.
//
// Memory stays bounded: a bucket that has refilled completely is the same as no bucket, so such
// idle buckets are swept (at most once per full-refill period, and whenever the map is full); if
// the map is still full of busy buckets, the least recently used ones are dropped.
import type { Context, MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { errorBody } from '../errors.js';

export interface RateLimitOptions {
  /** Requests a key may make in a burst (the bucket size), an integer >= 1. */
  capacity: number;
  /** Tokens added back per second (may be fractional, e.g. 0.1 = one every ten seconds), > 0. */
  refillPerSecond: number;
  /** The bucket a request counts against, e.g. `(c) => c.get('principal').tokenId`. */
  key: (c: Context) => string;
  /** Most buckets kept at once (default 10 000). */
  maxBuckets?: number;
  /** Milliseconds clock (default Date.now); tests inject their own. */
  now?: () => number;
  /** The 429 message (default "Too many requests: retry in N s"). */
  message?: (retryAfterSeconds: number) => string;
}

const EPSILON = 1e-9;

interface Bucket {
  tokens: number;
  updatedMs: number;
}

export interface RateLimiter extends MiddlewareHandler {
  /** Buckets held right now (for tests and metrics). */
  readonly size: number;
}

/** Keys requests by the authenticated token (put the limiter after bearerAuth). */
export function byTokenId(c: Context): string {
  const principal = c.get('principal') as { tokenId: string } | undefined;
  if (!principal) throw new Error('rateLimit keyed by token id must run after bearerAuth');
  return `token:${principal.tokenId}`;
}

export function rateLimit(options: RateLimitOptions): RateLimiter {
  const { capacity, refillPerSecond, key, maxBuckets = 10_000, now = Date.now } = options;
  if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`rateLimit: capacity must be an integer >= 1 (got ${capacity})`);
  if (!Number.isFinite(refillPerSecond) || refillPerSecond <= 0)
    throw new RangeError(`rateLimit: refillPerSecond must be a finite number > 0 (got ${refillPerSecond})`);
  if (!Number.isInteger(maxBuckets) || maxBuckets < 1) throw new RangeError(`rateLimit: maxBuckets must be an integer >= 1 (got ${maxBuckets})`);
  const message = options.message ?? ((seconds: number) => `Too many requests: retry in ${seconds} s`);
  const perMs = refillPerSecond / 1000;
  /** How long an empty bucket takes to fill up: after that long untouched, a bucket is idle. */
  const fullRefillMs = capacity / perMs;
  const buckets = new Map<string, Bucket>(); // insertion order = least recently used first
  let lastSweepMs = now();

  const level = (bucket: Bucket, at: number) => Math.min(capacity, bucket.tokens + Math.max(0, at - bucket.updatedMs) * perMs);

  function sweep(at: number): void {
    lastSweepMs = at;
    for (const [k, bucket] of buckets) if (level(bucket, at) >= capacity) buckets.delete(k);
  }

  function take(k: string, at: number): number {
    if (at - lastSweepMs >= fullRefillMs) sweep(at);
    let bucket = buckets.get(k);
    if (bucket) {
      buckets.delete(k); // re-inserted below: most recently used last
      bucket.tokens = level(bucket, at);
      bucket.updatedMs = Math.max(bucket.updatedMs, at);
    } else {
      if (buckets.size >= maxBuckets) sweep(at);
      for (const oldest of buckets.keys()) {
        if (buckets.size < maxBuckets) break;
        buckets.delete(oldest);
      }
      bucket = { tokens: capacity, updatedMs: at };
    }
    buckets.set(k, bucket);
    // The epsilon absorbs floating-point drift: a client that waits exactly Retry-After gets in.
    if (bucket.tokens >= 1 - EPSILON) {
      bucket.tokens -= 1;
      return 0;
    }
    // Whole seconds until one token is back, at least 1.
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000 - EPSILON));
  }

  const middleware = createMiddleware(async function rateLimited(c, next) {
    const retryAfter = take(key(c), now());
    if (retryAfter > 0) {
      return c.json(errorBody('rate_limited', message(retryAfter)), 429, { 'Retry-After': String(retryAfter) });
    }
    await next();
  });
  return Object.defineProperty(middleware, 'size', { get: () => buckets.size, enumerable: true }) as RateLimiter;
}
