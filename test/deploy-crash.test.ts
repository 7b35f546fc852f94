// Killing the worker process (SIGKILL) in the middle of the build and again in the middle of the
// Argo CD wait: new workers finish the deploy with exactly one Jenkins build and one GitOps commit.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo, gitIn } from './support/git.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

let stack: TestStack;
const workers: WorkerProcess[] = [];
beforeAll(async () => {
  stack = await startStack({ noWorker: true });
}, 120_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await stack?.close();
});

async function launch(): Promise<WorkerProcess> {
  const worker = startWorkerProcess(stack.config, { GITOPS_WORKDIR: path.join(stack.dir, `gitops-work-${workers.length}`) });
  workers.push(worker);
  await worker.ready;
  return worker;
}

async function waitForStep(id: string, step: string, status: string, timeoutMs = 60_000): Promise<DeploymentBody> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { body } = await stack.api<DeploymentBody>('GET', `/v1/deployments/${id}`);
    if (body.steps.find((s) => s.name === step)?.status === status) return body;
    if (Date.now() > deadline) throw new Error(`step ${step} never ${status}: ${JSON.stringify(body)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('worker crashes', () => {
  it('SIGKILL during the build and during the Argo CD wait: the deploy finishes exactly once', async () => {
    const repo = createAppRepo(path.join(stack.dir, 'src-crash'));
    const project = await stack.api<{ id: string; appName: string }>('POST', '/v1/projects', {
      name: 'crash',
      userId: 'erin',
      repoUrl: repo.url,
      branch: 'main',
      appPort: 8080,
    });
    stack.world.scenarios.set(project.body.appName, { build: { durationMs: 6000, logLines: 60 }, health: { progressingMs: 8000 } });

    const first = await launch();
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${project.body.id}/deployments`, {});
    const id = requested.body.id;

    const building = await waitForStep(id, 'build', 'running');
    // Let some log arrive, then kill the worker in the middle of the build.
    await new Promise((r) => setTimeout(r, 1500));
    await first.kill('SIGKILL');
    const second = await launch();

    await waitForStep(id, 'await_live', 'running', 90_000);
    await new Promise((r) => setTimeout(r, 1000));
    await second.kill('SIGKILL');
    await launch();

    const done = await waitForDeployment(stack, id, { timeoutMs: 120_000 });
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.jenkinsBuildNumber).toBe(building.jenkinsBuildNumber ?? done.jenkinsBuildNumber);

    // Exactly one Jenkins build was triggered for it, and exactly one GitOps commit carries it.
    const triggers = Object.entries(stack.world.jenkins.counters.snapshot().routes)
      .filter(([route]) => route.includes('buildWithParameters'))
      .reduce((sum, [, n]) => sum + n, 0);
    expect(triggers).toBe(1);
    const commits = gitIn(stack.gitopsRepo, 'log', '--format=%H', `--grep=Deployment-Id: ${id}`, 'main').split('\n').filter(Boolean);
    expect(commits).toEqual([done.gitopsCommitSha]);

    // The stored log has no gap and no duplicate: chunks are contiguous.
    const chunks = await stack.db.buildLogChunk.findMany({ where: { deploymentId: id }, orderBy: { offset: 'asc' } });
    let expected = 0;
    for (const chunk of chunks) {
      expect(Number(chunk.offset)).toBe(expected);
      expected += chunk.length;
    }
    const text = chunks.map((c) => c.text).join('');
    // 60 build lines, every sixth names its own chunk file: all 10 present, each exactly once.
    const bundled = text.split('\n').filter((l) => /bundled chunk-\d+\.js/.test(l));
    expect(bundled).toHaveLength(10);
    expect(new Set(bundled).size).toBe(10);
    expect(text).not.toMatch(/\x1b/); // console notes and colours stripped
  }, 240_000);
});
