// Token buckets over Hono's app.request, on an injected clock (no sleeps).
import { Hono } from 'hono';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { byTokenId, rateLimit, type RateLimitOptions } from './rate-limit.js';

function setup(options: Partial<RateLimitOptions> = {}) {
  const clock = { ms: 1_000_000 };
  const limiter = rateLimit({ capacity: 3, refillPerSecond: 0.5, key: (c) => c.req.header('x-key') ?? 'anonymous', now: () => clock.ms, ...options });
  const app = new Hono().post('/deploy', limiter, (c) => c.json({ ok: true }, 202));
  const call = (key: string) => app.request('/deploy', { method: 'POST', headers: { 'x-key': key } });
  return { clock, limiter, app, call };
}

describe('rateLimit', () => {
  it('lets `capacity` requests through, then answers 429 with Retry-After and the error shape', async () => {
    const { call } = setup();
    for (let i = 0; i < 3; i += 1) expect((await call('a')).status).toBe(202);
    const limited = await call('a');
    expect(limited.status).toBe(429);
    // One token comes back every 2 s.
    expect(limited.headers.get('retry-after')).toBe('2');
    expect(await limited.json()).toEqual({ error: { code: 'rate_limited', message: 'Too many requests: retry in 2 s' } });
  });

  it('keeps keys apart: another key is unaffected', async () => {
    const { call } = setup();
    for (let i = 0; i < 3; i += 1) await call('a');
    expect((await call('a')).status).toBe(429);
    for (let i = 0; i < 3; i += 1) expect((await call('b')).status).toBe(202);
    expect((await call('b')).status).toBe(429);
  });

  it('refills over time: waiting Retry-After seconds is enough, and a full wait restores the burst', async () => {
    const { call, clock } = setup();
    for (let i = 0; i < 3; i += 1) await call('a');
    const limited = await call('a');
    clock.ms += Number(limited.headers.get('retry-after')) * 1000 - 1;
    expect((await call('a')).status).toBe(429); // 1 ms early
    clock.ms += 1;
    expect((await call('a')).status).toBe(202);
    expect((await call('a')).status).toBe(429);
    clock.ms += 60_000; // far longer than a full refill: back to capacity, not more
    for (let i = 0; i < 3; i += 1) expect((await call('a')).status).toBe(202);
    expect((await call('a')).status).toBe(429);
  });

  it('Retry-After is whole seconds and at least 1, even with a fast refill', async () => {
    const { call } = setup({ capacity: 1, refillPerSecond: 50 });
    expect((await call('a')).status).toBe(202);
    const limited = await call('a');
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('1');
  });

  it('rounds Retry-After up for slow refills', async () => {
    const { call, clock } = setup({ capacity: 1, refillPerSecond: 1 / 30 });
    await call('a');
    clock.ms += 10_500;
    const limited = await call('a');
    expect(limited.headers.get('retry-after')).toBe('20'); // 19.5 s left
  });

  it('a refused request does not spend a token', async () => {
    const { call, clock } = setup({ capacity: 1, refillPerSecond: 1 });
    await call('a');
    for (let i = 0; i < 5; i += 1) expect((await call('a')).status).toBe(429);
    clock.ms += 1000;
    expect((await call('a')).status).toBe(202);
  });

  it('holds a bounded number of buckets: idle (full) buckets are evicted first, then the least recently used', async () => {
    const { call, clock, limiter } = setup({ capacity: 2, refillPerSecond: 1, maxBuckets: 3 });
    await call('a');
    await call('a'); // a is empty
    await call('b');
    await call('c');
    expect(limiter.size).toBe(3);
    await call('d'); // full: the least recently used (a) goes
    expect(limiter.size).toBe(3);
    expect((await call('a')).status).toBe(202); // a starts over with a fresh bucket (b goes)
    clock.ms += 2000; // every bucket has refilled: all idle
    await call('e');
    expect(limiter.size).toBe(1);
  });

  it('sweeps idle buckets as time passes even below the bound', async () => {
    const { call, clock, limiter } = setup({ capacity: 2, refillPerSecond: 1, maxBuckets: 1000 });
    for (let i = 0; i < 100; i += 1) await call(`k${i}`);
    expect(limiter.size).toBe(100);
    clock.ms += 2000;
    await call('x');
    expect(limiter.size).toBe(1);
  });

  it('never lets more than capacity + elapsed * refill requests through (property)', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom(0.25, 0.5, 1, 3),
        fc.array(fc.integer({ min: 0, max: 1500 }), { minLength: 1, maxLength: 40 }),
        async (capacity, refillPerSecond, gaps) => {
          const { call, clock } = setup({ capacity, refillPerSecond });
          const start = clock.ms;
          let passed = 0;
          for (const gap of gaps) {
            clock.ms += gap;
            const res = await call('p');
            if (res.status === 202) passed += 1;
            else expect(Number(res.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
          }
          expect(passed).toBeLessThanOrEqual(capacity + Math.floor(((clock.ms - start) / 1000) * refillPerSecond) + 1e-9);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('rejects nonsense options', () => {
    const key = () => 'k';
    expect(() => rateLimit({ capacity: 0, refillPerSecond: 1, key })).toThrow(/capacity/);
    expect(() => rateLimit({ capacity: 1.5, refillPerSecond: 1, key })).toThrow(/capacity/);
    expect(() => rateLimit({ capacity: 1, refillPerSecond: 0, key })).toThrow(/refillPerSecond/);
    expect(() => rateLimit({ capacity: 1, refillPerSecond: Number.POSITIVE_INFINITY, key })).toThrow(/refillPerSecond/);
  });

  it('byTokenId keys by the authenticated principal', async () => {
    const clock = { ms: 0 };
    const limiter = rateLimit({ capacity: 1, refillPerSecond: 1, key: byTokenId, now: () => clock.ms });
    const app = new Hono()
      .use('*', async (c, next) => {
        c.set('principal', { tokenId: c.req.header('x-token-id')!, workspaceId: 'ws', role: 'deployer', name: 'ci' });
        await next();
      })
      .post('/deploy', limiter, (c) => c.body(null, 202));
    const call = (tokenId: string) => app.request('/deploy', { method: 'POST', headers: { 'x-token-id': tokenId } });
    expect((await call('t1')).status).toBe(202);
    expect((await call('t1')).status).toBe(429);
    expect((await call('t2')).status).toBe(202);
  });
});
