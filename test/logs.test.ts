// Live build logs over WebSocket: every viewer gets the same bytes, resuming has no gap and no
// duplicate, 200 viewers cost Jenkins nothing more, slow viewers are cut off with a resume offset.
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo } from './support/git.js';
import { viewLog, resumeOffset, type ViewResult } from './support/log-viewer.js';

let stack: TestStack;
let server: ServerType;
let base: string;
beforeAll(async () => {
  stack = await startStack({ env: { LOG_VIEWER_MAX_BUFFER: '20000' } });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      base = `127.0.0.1:${info.port}`;
      resolve();
    });
  });
  stack.app.injectWebSocket(server);
}, 120_000);
afterAll(async () => {
  server?.close();
  await stack?.close();
});

const auth = () => ({ authorization: `Bearer ${stack.token}` });
const wsUrl = (id: string, query = '') => `ws://${base}/v1/deployments/${id}/logs${query}`;
const logRequests = () =>
  Object.entries(stack.world.jenkins.counters.snapshot().routes)
    .filter(([r]) => r.includes('progressiveText'))
    .reduce((s, [, n]) => s + n, 0);

let n = 0;
async function projectWith(scenario: Record<string, unknown>) {
  n += 1;
  const repo = createAppRepo(path.join(stack.dir, `src-log${n}`));
  const p = await stack.api<{ id: string; appName: string }>('POST', '/v1/projects', {
    name: `log${n}`,
    userId: 'ivan',
    repoUrl: repo.url,
    branch: 'main',
    appPort: 8080,
  });
  stack.world.scenarios.set(p.body.appName, scenario);
  return p.body;
}
async function waitUntil(check: () => Promise<boolean>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('live logs over WebSocket', () => {
  it('viewers before, during and after the build get byte-identical logs, then steps, status and end', async () => {
    const p = await projectWith({ build: { durationMs: 2500, logLines: 120 } });
    const d = (await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {})).body;
    const early = viewLog(wsUrl(d.id), { headers: auth() });
    await waitUntil(async () => (await stack.db.buildLogChunk.count({ where: { deploymentId: d.id } })) >= 2);
    const middle = viewLog(wsUrl(d.id), { headers: auth() });
    // A resuming viewer: takes two chunks, leaves, comes back from its offset.
    const first = await viewLog(wsUrl(d.id), { headers: auth(), stopAfterLogs: 2 });
    const rest = viewLog(wsUrl(d.id, `?offset=${resumeOffset(first)}`), { headers: auth() });
    await waitForDeployment(stack, d.id);
    const late = await viewLog(wsUrl(d.id), { headers: auth() });
    const [a, b, r] = await Promise.all([early, middle, rest]);

    const plain = await stack.app.request(`/v1/deployments/${d.id}/logs`, { headers: auth() });
    expect(plain.headers.get('content-type')).toMatch(/^text\/plain/);
    const full = await plain.text();
    expect(full).toContain('bundled chunk-');
    expect(full).not.toMatch(/\x1b/);
    for (const viewer of [a, b, late]) {
      expect(Buffer.from(viewer.text).equals(Buffer.from(full))).toBe(true);
      expect(viewer.messages.at(-1)).toEqual({ type: 'end', status: 'succeeded' });
      expect(viewer.closeCode).toBe(1000);
    }
    expect(first.text + r.text).toBe(full);
    // Offsets are contiguous: no gap, no duplicate.
    let expected = 0;
    for (const m of a.messages.filter((m) => m.type === 'log')) {
      expect(m.offset).toBe(expected);
      expected += Buffer.byteLength(m.text, 'utf8');
    }
    // Steps and status events arrive for a viewer that was there from the start.
    expect(a.messages.filter((m) => m.type === 'step' && m.status === 'succeeded').map((m) => m.name)).toEqual(
      expect.arrayContaining(['build', 'verify_image', 'commit_release', 'await_live']),
    );
    expect(a.messages.some((m) => m.type === 'status' && m.status === 'succeeded')).toBe(true);
  }, 90_000);

  it('200 simultaneous viewers cause no more Jenkins log requests than one viewer', async () => {
    const scenario = { build: { durationMs: 2000, logLines: 40 } };
    const measure = async (viewers: number) => {
      const p = await projectWith(scenario);
      const before = logRequests();
      const d = (await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {})).body;
      const watching = Array.from({ length: viewers }, () => viewLog(wsUrl(d.id), { headers: auth() }));
      const results = await Promise.all(watching);
      await waitForDeployment(stack, d.id);
      return { requests: logRequests() - before, results };
    };
    const one = await measure(1);
    const many = await measure(200);
    console.log(`Jenkins progressiveText requests: 1 viewer ${one.requests}, 200 viewers ${many.requests}`);
    expect(many.results.every((r) => r.messages.at(-1)?.type === 'end')).toBe(true);
    expect(new Set(many.results.map((r) => r.text)).size).toBe(1);
    // The log is followed once per build, by the worker: viewers never reach Jenkins.
    expect(many.requests).toBeLessThanOrEqual(one.requests + 3);
  }, 120_000);

  it('a viewer that stops reading is closed with the offset to resume from, and resuming completes the log', async () => {
    // Larger than the loopback socket buffers (a few MB), so the server really sees backpressure.
    const p = await projectWith({ build: { durationMs: 3000, logLines: 120_000 } });
    const d = (await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {})).body;
    await waitForDeployment(stack, d.id);
    const stuck: ViewResult = await viewLog(wsUrl(d.id), { headers: auth(), stallMs: 3000 });
    expect(stuck.closeCode).toBe(4008);
    const { resumeOffset: from } = JSON.parse(stuck.closeReason);
    expect(from).toBeGreaterThan(0);
    const rest = await viewLog(wsUrl(d.id, `?offset=${from}`), { headers: auth() });
    const full = await (await stack.app.request(`/v1/deployments/${d.id}/logs`, { headers: auth() })).text();
    expect(Buffer.byteLength(full)).toBeGreaterThan(5_000_000);
    expect(from).toBeLessThan(Buffer.byteLength(full));
    expect(stuck.text + rest.text).toBe(full);
  }, 90_000);

  it('browsers authenticate with a single-use ticket; other workspaces and bad tickets are refused', async () => {
    const p = await projectWith({ build: { durationMs: 200, logLines: 5 } });
    const d = (await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {})).body;
    await waitForDeployment(stack, d.id);
    const issued = await stack.api<{ ticket: string }>('POST', `/v1/deployments/${d.id}/log-tickets`);
    expect(issued.status).toBe(201);
    const viewed = await viewLog(wsUrl(d.id, `?ticket=${issued.body.ticket}`));
    expect(viewed.messages.at(-1)).toEqual({ type: 'end', status: 'succeeded' });
    await expect(viewLog(wsUrl(d.id, `?ticket=${issued.body.ticket}`))).rejects.toMatchObject({ status: 401 });
    await expect(viewLog(wsUrl(d.id))).rejects.toMatchObject({ status: 401 });
    await expect(viewLog(wsUrl(d.id, '?ticket=lt_forged'))).rejects.toMatchObject({ status: 401 });
    const { ensureDevToken } = await import('../api/services/dev-token.js');
    await ensureDevToken(stack.db, 'elsewhere', 'dep_elsewhere-token-0123456789ab');
    await expect(viewLog(wsUrl(d.id), { headers: { authorization: 'Bearer dep_elsewhere-token-0123456789ab' } })).rejects.toMatchObject({ status: 404 });
    const foreign = await stack.app.request(`/v1/deployments/${d.id}/log-tickets`, {
      method: 'POST',
      headers: { authorization: 'Bearer dep_elsewhere-token-0123456789ab' },
    });
    expect(foreign.status).toBe(404);
  }, 90_000);
});
