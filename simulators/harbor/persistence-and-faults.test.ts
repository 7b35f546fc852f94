// With a data folder the simulator keeps images, Harbor ids, push times, scans and its token
// key across a restart (the dev stack). Fault injection is seeded: the same seed gives the
// same faults, and they show in the counters.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { ScenarioStore } from '../common/scenario.js';
import { ACCEPT_ALL, ROBOT, RegistrySession, basic, pushImage, startHarbor } from './test-helpers.js';

const robot = { authorization: basic(ROBOT.username, ROBOT.password) };
const REPORT = 'application/vnd.security.vulnerability.report; version=1.1';

describe('dataDir', () => {
  it('survives a restart with the same images, ids, push times, scans and tokens', async () => {
    const dataDir = mkdtempSync(path.join(inject('scratchDir'), 'harbor-data-'));
    const scenarios = new ScenarioStore();
    scenarios.set('ws1-kept', { scan: { findings: { Low: 2 }, durationMs: 0 } });
    const first = await startHarbor({ dataDir, scenarios });
    const pushed = await pushImage(new RegistrySession(first.url, ROBOT), 'apps/ws1/kept', 'v1', { chunkSize: 8 });
    const tokenResponse = await fetch(`${first.url}/service/token?service=harbor-registry&scope=repository:apps/ws1/kept:pull`, { headers: robot });
    const { token } = (await tokenResponse.json()) as { token: string };
    const before = (await (
      await fetch(`${first.url}/api/v2.0/projects/apps/repositories/ws1%252Fkept/artifacts/v1?with_scan_overview=true`, { headers: robot })
    ).json()) as Record<string, unknown>;
    await first.close();

    const second = await startHarbor({ dataDir, scenarios: new ScenarioStore() });
    try {
      const after = (await (
        await fetch(`${second.url}/api/v2.0/projects/apps/repositories/ws1%252Fkept/artifacts/v1?with_scan_overview=true`, { headers: robot })
      ).json()) as Record<string, unknown>;
      expect(after).toEqual(before);
      expect((after.scan_overview as Record<string, { severity: string }>)[REPORT]?.severity).toBe('Low');
      const head = await fetch(`${second.url}/v2/apps/ws1/kept/manifests/v1`, {
        method: 'HEAD',
        headers: { authorization: `Bearer ${token}`, accept: ACCEPT_ALL },
      });
      expect(head.status).toBe(200);
      expect(head.headers.get('docker-content-digest')).toBe(pushed.digest);
      const layerDigest = (JSON.parse(Buffer.from(pushed.manifest).toString()) as { layers: Array<{ digest: string }> }).layers[0]?.digest ?? '';
      expect((await fetch(`${second.url}/v2/apps/ws1/kept/blobs/${layerDigest}`, { headers: robot })).status).toBe(200);
    } finally {
      await second.close();
    }
  });
});

describe('fault injection', () => {
  async function run(url: string, requests: number): Promise<number[]> {
    const statuses: number[] = [];
    for (let i = 0; i < requests; i += 1) {
      try {
        // A dropped answer stops short of its Content-Length; the socket only closes at the
        // server's keep-alive timeout, so give up on it quickly.
        const response = await fetch(`${url}/api/v2.0/projects/apps/repositories/ws1%252Fnone/artifacts/v1`, {
          headers: robot,
          signal: AbortSignal.timeout(600),
        });
        await response.text();
        statuses.push(response.status);
      } catch {
        statuses.push(-1); // connection dropped mid-answer
      }
    }
    return statuses;
  }

  it('injects 5xx and dropped connections at the configured rate, reproducibly from the seed', async () => {
    const harbor = await startHarbor();
    try {
      const configure = () =>
        fetch(`${harbor.url}/_sim/faults`, {
          method: 'PUT',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ errorRate: 0.3, dropRate: 0.3, seed: 7 }),
        });
      expect((await configure()).status).toBe(200);
      const first = await run(harbor.url, 30);
      const counters = (await (await fetch(`${harbor.url}/_sim/counters`)).json()) as { total: number; faults: { error: number; drop: number } };
      expect(counters.faults.error).toBe(first.filter((s) => s === 503).length);
      expect(counters.faults.drop).toBe(first.filter((s) => s === -1).length);
      expect(counters.faults.error).toBeGreaterThan(3);
      expect(counters.faults.drop).toBeGreaterThan(2);
      expect(counters.total).toBe(30);
      expect(first.filter((s) => s === 404).length).toBe(30 - counters.faults.error - counters.faults.drop);

      await fetch(`${harbor.url}/_sim/counters/reset`, { method: 'POST' });
      await configure();
      expect(await run(harbor.url, 30)).toEqual(first);
      // The control API is never faulted.
      for (let i = 0; i < 10; i += 1) expect((await fetch(`${harbor.url}/_sim/counters`)).status).toBe(200);
    } finally {
      await harbor.close();
    }
  });
});

describe('POST /_sim/reset', () => {
  it('forgets images, Harbor records and scans, and the faults', async () => {
    const harbor = await startHarbor();
    try {
      await pushImage(new RegistrySession(harbor.url, ROBOT), 'apps/ws1/reset-me', 'v1');
      harbor.sim.faults.configure({ errorRate: 1, exempt: ['/v2/'] });
      expect((await fetch(`${harbor.url}/_sim/reset`, { method: 'POST' })).status).toBe(204);
      expect(harbor.sim.faults.current.errorRate).toBe(0);
      const artifact = await fetch(`${harbor.url}/api/v2.0/projects/apps/repositories/ws1%252Freset-me/artifacts/v1`, { headers: robot });
      expect(artifact.status).toBe(404);
      expect((await (await fetch(`${harbor.url}/_sim/harbor/artifacts`)).json()) as unknown[]).toEqual([]);
    } finally {
      await harbor.close();
    }
  });
});
