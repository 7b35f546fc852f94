// Transient faults (5xx, latency, dropped connections) at a 30% rate on all three simulators:
// deploys still succeed, exactly once.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo, gitIn } from './support/git.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ env: { AWAIT_LIVE_TIMEOUT: '2m' } });
}, 120_000);
afterAll(async () => stack?.close());

describe('transient faults', () => {
  it('three deploys succeed with 30% faults on Jenkins, Harbor and Argo CD', async () => {
    const projects = [];
    for (const name of ['flaky1', 'flaky2', 'flaky3']) {
      const repo = createAppRepo(path.join(stack.dir, `src-${name}`));
      const created = await stack.api<{ id: string; appName: string }>('POST', '/v1/projects', {
        name,
        userId: 'frank',
        repoUrl: repo.url,
        branch: 'main',
        appPort: 8080,
      });
      stack.world.scenarios.set(created.body.appName, { build: { durationMs: 800, logLines: 20 }, scan: { durationMs: 300 } });
      projects.push(created.body);
    }
    // 10% 5xx, 10% dropped connections, 10% latency jitter up to 300 ms... plus a flat 30% error rate
    // overall: errorRate + dropRate = 0.3 of the requests fail.
    for (const [i, sim] of [stack.world.jenkins, stack.world.harbor, stack.world.argocd].entries()) {
      sim.faults.configure({ errorRate: 0.15, dropRate: 0.15, jitterMs: 200, seed: 1000 + i });
    }
    const ids: string[] = [];
    for (const p of projects) ids.push((await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {})).body.id);
    const finals = await Promise.all(ids.map((id) => waitForDeployment(stack, id, { timeoutMs: 240_000 })));
    for (const d of finals) {
      expect(d.error, JSON.stringify(d.error)).toBeNull();
      expect(d.status).toBe('succeeded');
      expect(gitIn(stack.gitopsRepo, 'log', '--format=%H', `--grep=Deployment-Id: ${d.id}`, 'main').split('\n').filter(Boolean)).toHaveLength(1);
    }
    // The faults really happened, on every simulator.
    for (const sim of [stack.world.jenkins, stack.world.harbor, stack.world.argocd]) {
      const { faults, total } = sim.counters.snapshot();
      expect(faults.error + faults.drop).toBeGreaterThan(0);
      expect((faults.error + faults.drop) / total).toBeGreaterThan(0.15);
    }
    // Exactly one Jenkins build per deployment, whatever was retried.
    const builds = new Set(finals.map((d) => d.jenkinsBuildNumber));
    expect(builds.size).toBe(3);
  }, 300_000);
});
