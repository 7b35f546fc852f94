// Fault injection on the Jenkins simulator: a seeded share of 503s and dropped connections,
// reproducible from the seed, counted by the simulator's counters.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { basic, startJenkinsFixture, USERS, type JenkinsFixture } from './test-helpers.js';

const ALICE = basic(USERS.alice.name, USERS.alice.apiToken);

describe('Jenkins simulator fault injection', () => {
  let fx: JenkinsFixture;
  const control = (path: string, init: RequestInit = {}) => fetch(`${fx.url}/_sim${path}`, init);
  const configure = async (faults: Record<string, unknown>) => {
    const res = await control('/faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
    expect(res.status).toBe(200);
    await control('/counters/reset', { method: 'POST' });
  };
  const counters = async () =>
    (await (await control('/counters')).json()) as { total: number; routes: Record<string, number>; faults: { error: number; drop: number } };
  const statuses = async (n: number) => {
    const out: number[] = [];
    for (let i = 0; i < n; i += 1) {
      const res = await fetch(`${fx.url}/api/json`, { headers: { authorization: ALICE } });
      await res.arrayBuffer();
      out.push(res.status);
    }
    return out;
  };

  beforeAll(async () => {
    fx = await startJenkinsFixture({}, false);
  });
  afterAll(async () => {
    await control('/faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: '{}' });
    await fx?.close();
  });

  it('answers ~30% of requests with 503 at errorRate 0.3, and the same seed replays the same sequence', async () => {
    await configure({ errorRate: 0.3, seed: 42 });
    const first = await statuses(300);
    const errors = first.filter((s) => s === 503).length;
    expect(errors).toBeGreaterThan(300 * 0.3 - 30);
    expect(errors).toBeLessThan(300 * 0.3 + 30);
    expect(first.every((s) => s === 200 || s === 503)).toBe(true);
    const c = await counters();
    expect(c.faults.error).toBe(errors);
    expect(c.total).toBe(300);
    expect(c.routes['GET /api/json']).toBe(300);

    await configure({ errorRate: 0.3, seed: 42 });
    expect(await statuses(300)).toEqual(first);
    await configure({ errorRate: 0.3, seed: 43 });
    expect(await statuses(300)).not.toEqual(first);
  });

  it('never faults the control API', async () => {
    await configure({ errorRate: 1, seed: 1 });
    for (let i = 0; i < 20; i += 1) expect((await control('/counters')).status).toBe(200);
    expect((await statuses(5)).every((s) => s === 503)).toBe(true);
  });

  // A drop sends the headers (full Content-Length) and half the body. With @hono/node-server
  // 1.19 the socket then stays open until the keep-alive timeout, so a client sees a stalled,
  // truncated body: only a client-side timeout gets it out (as with a real half-dead proxy).
  it('drops connections mid-body at dropRate, counted as drops', async () => {
    await configure({ dropRate: 0.5, seed: 5 });
    let dropped = 0;
    for (let i = 0; i < 20; i += 1) {
      try {
        const res = await fetch(`${fx.url}/api/json`, { headers: { authorization: ALICE }, signal: AbortSignal.timeout(500) });
        JSON.parse(await res.text());
      } catch {
        dropped += 1;
      }
    }
    const c = await counters();
    expect(dropped).toBeGreaterThan(3);
    expect(c.faults.drop).toBe(dropped);
  });
});
