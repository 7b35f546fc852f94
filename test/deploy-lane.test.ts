// The project lane: one deploy at a time, the newest queued request supersedes older queued
// ones, and cancellation stops the Jenkins build and leaves the database truthful.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo } from './support/git.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => stack?.close());

async function project(name: string) {
  const repo = createAppRepo(path.join(stack.dir, `src-${name}`));
  const created = await stack.api<{ id: string; appName: string }>('POST', '/v1/projects', {
    name,
    userId: 'dave',
    repoUrl: repo.url,
    branch: 'main',
    appPort: 8080,
  });
  expect(created.status).toBe(201);
  return { ...created.body, repo };
}

describe('project lane', () => {
  it('ten requests in quick succession: the first and the newest run, one after the other; the rest are superseded', async () => {
    const p = await project('burst');
    stack.world.scenarios.set(p.appName, { build: { durationMs: 1500, logLines: 5 } });
    const ids: string[] = [];
    for (let i = 0; i < 10; i += 1) {
      const res = await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {});
      expect(res.status).toBe(202);
      ids.push(res.body.id);
    }
    const finals = await Promise.all(ids.map((id) => waitForDeployment(stack, id, { timeoutMs: 90_000 })));
    expect(finals.map((d) => d.status)).toEqual(['succeeded', ...Array(8).fill('superseded'), 'succeeded']);
    for (const d of finals.slice(1, 9)) {
      expect(d.error).toMatchObject({ step: 'queue', type: 'superseded' });
      expect(d.startedAt).toBeNull();
      expect(d.jenkinsBuildNumber).toBeNull();
    }
    // No two deploys of the project overlapped.
    const ran = finals.filter((d) => d.startedAt).sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
    for (let i = 1; i < ran.length; i += 1) expect(Date.parse(ran[i]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ran[i - 1]!.finishedAt!));
    // The project ends with the newest request live.
    const after = await stack.api<{ liveDeploymentId: string }>('GET', `/v1/projects/${p.id}`);
    expect(after.body.liveDeploymentId).toBe(ids[9]);
  }, 120_000);

  it('cancelling a running deploy stops its Jenkins build and records the cancellation', async () => {
    const p = await project('cancel');
    stack.world.scenarios.set(p.appName, { build: { durationMs: 30_000, logLines: 300 } });
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {});
    // Wait until the build is running in Jenkins.
    const deadline = Date.now() + 30_000;
    let running: DeploymentBody;
    for (;;) {
      running = (await stack.api<DeploymentBody>('GET', `/v1/deployments/${requested.body.id}`)).body;
      if (running.jenkinsBuildNumber && running.steps.find((s) => s.name === 'build')?.status === 'running') break;
      if (Date.now() > deadline) throw new Error(`build never started: ${JSON.stringify(running)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const cancel = await stack.api<{ cancel: string }>('POST', `/v1/deployments/${requested.body.id}/cancel`);
    expect(cancel.status).toBe(202);
    expect(cancel.body.cancel).toBe('cancelling');
    const done = await waitForDeployment(stack, requested.body.id, { timeoutMs: 30_000 });
    expect(done.status).toBe('cancelled');
    expect(done.error).toMatchObject({ step: 'build', type: 'cancelled' });
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([
      ['resolve_source', 'succeeded'],
      ['build', 'cancelled'],
      ['verify_image', 'skipped'],
      ['commit_release', 'skipped'],
      ['await_live', 'skipped'],
    ]);
    // Jenkins itself says the build was aborted.
    const auth = `Basic ${Buffer.from(`${stack.config.JENKINS_USER}:${stack.config.JENKINS_API_TOKEN}`).toString('base64')}`;
    let result: string | null = null;
    for (let i = 0; i < 50 && result === null; i += 1) {
      const build = (await (
        await fetch(`${stack.world.urls.jenkins}/job/platform/job/app-build/${running.jenkinsBuildNumber}/api/json`, { headers: { authorization: auth } })
      ).json()) as { result: string | null };
      result = build.result;
      if (result === null) await new Promise((r) => setTimeout(r, 100));
    }
    expect(result).toBe('ABORTED');
    // A second cancel is a conflict: it already ended.
    expect((await stack.api('POST', `/v1/deployments/${requested.body.id}/cancel`)).status).toBe(409);
  }, 90_000);

  it('cancelling a queued deploy removes it from the lane before it starts', async () => {
    const p = await project('queued');
    stack.world.scenarios.set(p.appName, { build: { durationMs: 3000 } });
    const first = await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {});
    const second = await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {});
    const cancel = await stack.api<{ cancel: string; status: string }>('POST', `/v1/deployments/${second.body.id}/cancel`);
    expect(cancel.body.cancel).toBe('cancelled');
    const done = await waitForDeployment(stack, second.body.id);
    expect(done).toMatchObject({ status: 'cancelled', startedAt: null, error: { step: 'queue', type: 'cancelled' } });
    expect((await waitForDeployment(stack, first.body.id, { timeoutMs: 60_000 })).status).toBe('succeeded');
  }, 90_000);

  it('another workspace cannot see or cancel the deployment (404)', async () => {
    const p = await project('private');
    const d = await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {});
    const { ensureDevToken } = await import('../api/services/dev-token.js');
    const otherToken = 'dep_other-workspace-token-0123456789';
    await ensureDevToken(stack.db, 'other', otherToken);
    const as = (method: string, route: string) => stack.app.request(route, { method, headers: { authorization: `Bearer ${otherToken}` } });
    expect((await as('GET', `/v1/projects/${p.id}`)).status).toBe(404);
    expect((await as('GET', `/v1/deployments/${d.body.id}`)).status).toBe(404);
    expect((await as('POST', `/v1/deployments/${d.body.id}/cancel`)).status).toBe(404);
    expect((await as('POST', `/v1/projects/${p.id}/deployments`)).status).toBe(404);
    const list = (await (await as('GET', '/v1/projects')).json()) as { items: unknown[] };
    expect(list.items).toEqual([]);
    await waitForDeployment(stack, d.body.id, { timeoutMs: 60_000 });
  }, 90_000);
});
