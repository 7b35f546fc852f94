// Rollback, automatic rollback, retry of a stuck release, and the release history.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo, gitIn, type AppRepo } from './support/git.js';

interface Release {
  deploymentId: string;
  kind: string;
  trigger: string;
  commitSha: string;
  imageDigest: string;
  gitopsCommitSha: string;
  liveAt: string;
  replacedAt: string | null;
  live: boolean;
}
interface ProjectBody {
  id: string;
  appName: string;
  autoDeploy: boolean;
  autoDeployPaused: { since: string; reason: string } | null;
  liveDeploymentId: string | null;
}

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ env: { AWAIT_LIVE_TIMEOUT: '5s', DEGRADED_GRACE: '500ms' } });
}, 120_000);
afterAll(async () => stack?.close());

let n = 0;
async function newProject(s: TestStack = stack): Promise<{ project: ProjectBody; repo: AppRepo }> {
  n += 1;
  const repo = createAppRepo(path.join(s.dir, `src-rb${n}`));
  const created = await s.api<ProjectBody>('POST', '/v1/projects', { name: `rb${n}`, userId: 'hana', repoUrl: repo.url, branch: 'main', appPort: 8080 });
  expect(created.status).toBe(201);
  return { project: created.body, repo };
}
async function deploy(projectId: string, s: TestStack = stack): Promise<DeploymentBody> {
  const requested = await s.api<DeploymentBody>('POST', `/v1/projects/${projectId}/deployments`, {});
  expect(requested.status).toBe(202);
  return waitForDeployment(s, requested.body.id, { timeoutMs: 60_000 });
}
const valuesAt = (sha: string, appPath: string) => parse(gitIn(stack.gitopsRepo, 'show', `${sha}:${appPath}/values.yaml`));
const jenkinsTriggers = (s: TestStack) =>
  Object.entries(s.world.jenkins.counters.snapshot().routes)
    .filter(([r]) => r.includes('buildWithParameters'))
    .reduce((sum, [, c]) => sum + c, 0);

describe('rollback', () => {
  it('deploy v1, deploy v2, roll back: v1 is live again in a new commit, v2 replaced, auto-deploy paused', async () => {
    const { project, repo } = await newProject();
    const v1 = await deploy(project.id);
    repo.commit({ 'index.js': 'console.log("v2")\n' }, 'v2');
    const v2 = await deploy(project.id);
    expect([v1.status, v2.status]).toEqual(['succeeded', 'succeeded']);
    const builds = jenkinsTriggers(stack);

    const requested = await stack.api<DeploymentBody & { kind: string; targetDeploymentId: string }>('POST', `/v1/projects/${project.id}/rollback`, {});
    expect(requested.status).toBe(202);
    expect(requested.body).toMatchObject({
      kind: 'rollback',
      trigger: 'rollback',
      targetDeploymentId: v1.id,
      commitSha: v1.commitSha,
      imageDigest: v1.imageDigest,
    });
    const rollback = await waitForDeployment(stack, requested.body.id, { timeoutMs: 60_000 });
    expect(rollback.status).toBe('succeeded');
    expect(rollback.steps.map((s) => s.name)).toEqual(['verify_image', 'commit_release', 'await_live']);
    expect(jenkinsTriggers(stack)).toBe(builds); // nothing rebuilt

    // v1's values in a new GitOps commit, live in Argo CD at that commit.
    expect(rollback.gitopsCommitSha).not.toBe(v1.gitopsCommitSha);
    const values = valuesAt(rollback.gitopsCommitSha!, 'apps/dev/hana/rb1');
    expect(values.image.digest).toBe(v1.imageDigest);
    expect(values.image.tag).toBe(v1.imageTag);
    expect(values.release).toMatchObject({ kind: 'rollback', commitSha: v1.commitSha, deploymentId: rollback.id });

    const releases = await stack.api<{ items: Release[]; liveDeploymentId: string }>('GET', `/v1/projects/${project.id}/releases`);
    expect(releases.body.items.map((r) => [r.deploymentId, r.live, r.replacedAt !== null])).toEqual([
      [rollback.id, true, false],
      [v2.id, false, true],
      [v1.id, false, true],
    ]);
    expect(releases.body.items[0]).toMatchObject({
      kind: 'rollback',
      trigger: 'rollback',
      commitSha: v1.commitSha,
      imageDigest: v1.imageDigest,
      gitopsCommitSha: rollback.gitopsCommitSha,
    });

    const after = await stack.api<ProjectBody>('GET', `/v1/projects/${project.id}`);
    expect(after.body.liveDeploymentId).toBe(rollback.id);
    expect(after.body.autoDeployPaused?.reason).toMatch(/Rolled back to/);
    const resumed = await stack.api<ProjectBody>('POST', `/v1/projects/${project.id}/auto-deploy`, { enabled: true });
    expect(resumed.body).toMatchObject({ autoDeploy: true, autoDeployPaused: null });
  }, 120_000);

  it('refuses rollbacks that cannot work, with a clear reason', async () => {
    const { project } = await newProject();
    expect((await stack.api<any>('POST', `/v1/projects/${project.id}/rollback`, {})).body.error.code).toBe('no_release');
    const v1 = await deploy(project.id);
    const none = await stack.api<any>('POST', `/v1/projects/${project.id}/rollback`, {});
    expect([none.status, none.body.error.code]).toEqual([409, 'no_earlier_release']);
    const same = await stack.api<any>('POST', `/v1/projects/${project.id}/rollback`, { toDeploymentId: v1.id });
    expect([same.status, same.body.error.code]).toEqual([409, 'already_live']);
    stack.world.scenarios.set(project.appName, { build: { result: 'FAILURE' } });
    const failed = await deploy(project.id);
    const never = await stack.api<any>('POST', `/v1/projects/${project.id}/rollback`, { toDeploymentId: failed.id });
    expect([never.status, never.body.error.code]).toEqual([422, 'never_live']);
    const unknown = await stack.api<any>('POST', `/v1/projects/${project.id}/rollback`, { toDeploymentId: '00000000-0000-4000-8000-000000000000' });
    expect(unknown.status).toBe(404);
  }, 120_000);

  it('a rollback to an image deleted from the registry fails at verify_image and changes nothing in Git', async () => {
    const { project, repo } = await newProject();
    const v1 = await deploy(project.id);
    repo.commit({ 'index.js': 'console.log("v2")\n' }, 'v2');
    await deploy(project.id);
    const [harborRepo] = [v1.imageRepository!.replace(/^apps\//, '')];
    const deleted = await fetch(
      `${stack.world.urls.harbor}/_sim/harbor/images?repository=${encodeURIComponent(`apps/${harborRepo}`)}&reference=${encodeURIComponent(v1.imageDigest!)}`,
      { method: 'DELETE' },
    );
    expect(deleted.status).toBeLessThan(300);
    const head = gitIn(stack.gitopsRepo, 'rev-parse', 'main');
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${project.id}/rollback`, { toDeploymentId: v1.id });
    const rollback = await waitForDeployment(stack, requested.body.id);
    expect(rollback.status).toBe('failed');
    expect(rollback.error).toMatchObject({ step: 'verify_image', type: 'image_missing' });
    expect(gitIn(stack.gitopsRepo, 'rev-parse', 'main')).toBe(head);
  }, 120_000);

  it('a rollback requested while a deploy runs cancels it (stopping its build), then restores the release', async () => {
    const { project, repo } = await newProject();
    const v1 = await deploy(project.id);
    repo.commit({ 'index.js': 'console.log("v2")\n' }, 'v2');
    const v2 = await deploy(project.id);
    repo.commit({ 'index.js': 'console.log("v3")\n' }, 'v3');
    stack.world.scenarios.set(project.appName, { build: { durationMs: 30_000, logLines: 100 } });
    const v3 = (await stack.api<DeploymentBody>('POST', `/v1/projects/${project.id}/deployments`, {})).body;
    let running: DeploymentBody;
    for (;;) {
      running = (await stack.api<DeploymentBody>('GET', `/v1/deployments/${v3.id}`)).body;
      if (running.jenkinsBuildNumber && running.steps.find((s) => s.name === 'build')?.status === 'running') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${project.id}/rollback`, {});
    expect(requested.status).toBe(202);
    const rollback = await waitForDeployment(stack, requested.body.id, { timeoutMs: 60_000 });
    const cancelled = await waitForDeployment(stack, v3.id);
    expect(cancelled).toMatchObject({ status: 'cancelled', error: { step: 'build', type: 'cancelled' } });
    expect(rollback.status).toBe('succeeded');
    expect(Date.parse(rollback.startedAt!)).toBeGreaterThanOrEqual(Date.parse(cancelled.finishedAt!));
    // The default target is the release live before the current one (v2 was current: v1).
    expect(valuesAt(rollback.gitopsCommitSha!, `apps/dev/hana/${project.appName.split('-').pop()}`).image.digest).toBe(v1.imageDigest);
    const auth = `Basic ${Buffer.from(`${stack.config.JENKINS_USER}:${stack.config.JENKINS_API_TOKEN}`).toString('base64')}`;
    const build = (await (
      await fetch(`${stack.world.urls.jenkins}/job/platform/job/app-build/${running.jenkinsBuildNumber}/api/json`, { headers: { authorization: auth } })
    ).json()) as { result: string };
    expect(build.result).toBe('ABORTED');
    expect(v2.status).toBe('succeeded');
  }, 120_000);
});

describe('automatic rollback', () => {
  it('a deploy that turns Degraded fails, and an auto-rollback deployment puts the previous release back', async () => {
    const { project, repo } = await newProject();
    const v1 = await deploy(project.id);
    const bad = repo.commit({ 'index.js': 'crash()\n' }, 'bad');
    stack.world.scenarios.set(`${project.appName}@${bad}`, { health: { outcome: 'degraded', progressingMs: 100 } });
    const v2 = await deploy(project.id);
    expect(v2.status).toBe('failed');
    expect(v2.error).toMatchObject({ step: 'await_live', type: 'app_degraded' });
    // The failure and its rollback are written together: the first read that shows the failure
    // shows the rollback too.
    const list = await stack.api<{ items: Array<DeploymentBody & { causeDeploymentId: string; targetDeploymentId: string }> }>(
      'GET',
      `/v1/projects/${project.id}/deployments`,
    );
    const auto = list.body.items.find((d) => d.trigger === 'auto-rollback');
    expect(auto).toMatchObject({ kind: 'rollback', causeDeploymentId: v2.id, targetDeploymentId: v1.id });
    const restored = await waitForDeployment(stack, auto!.id, { timeoutMs: 60_000 });
    expect(restored.status).toBe('succeeded');
    const p = await stack.api<ProjectBody>('GET', `/v1/projects/${project.id}`);
    expect(p.body.liveDeploymentId).toBe(auto!.id);
    expect(p.body.autoDeployPaused?.reason).toMatch(/Automatic rollback.*failed/);
  }, 120_000);

  it('a step held past its limit fails with type timeout; a retry after the fix succeeds without a second Jenkins build', async () => {
    const { project } = await newProject();
    stack.world.scenarios.set(project.appName, { health: { outcome: 'progressing' } });
    const started = Date.now();
    const stuck = await deploy(project.id);
    expect(stuck.status).toBe('failed');
    expect(stuck.error).toMatchObject({ step: 'await_live', type: 'timeout' });
    expect(Date.now() - started).toBeLessThan(30_000);
    stack.world.scenarios.set(project.appName, { health: { outcome: 'healthy' } });
    const builds = jenkinsTriggers(stack);
    const retried = await stack.api<DeploymentBody & { targetDeploymentId: string }>('POST', `/v1/deployments/${stuck.id}/retry`);
    expect(retried.status).toBe(202);
    expect(retried.body).toMatchObject({ trigger: 'retry', targetDeploymentId: stuck.id, commitSha: stuck.commitSha });
    const done = await waitForDeployment(stack, retried.body.id, { timeoutMs: 60_000 });
    expect(done.status).toBe('succeeded');
    expect(done.imageTag).toBe(stuck.imageTag);
    expect(jenkinsTriggers(stack)).toBe(builds);
    expect((done.steps.find((s) => s.name === 'build') as any).detail).toMatch(/Reused image/);
    const again = await stack.api<any>('POST', `/v1/deployments/${done.id}/retry`);
    expect([again.status, again.body.error.code]).toEqual([409, 'not_retryable']);
  }, 120_000);
});

describe('automatic rollback turned off', () => {
  let off: TestStack;
  beforeAll(async () => {
    off = await startStack({ env: { AUTO_ROLLBACK: 'false', AWAIT_LIVE_TIMEOUT: '5s', DEGRADED_GRACE: '500ms' } });
  }, 120_000);
  afterAll(async () => off?.close());

  it('a Degraded deploy just fails', async () => {
    const { project, repo } = await newProject(off);
    const v1 = await deploy(project.id, off);
    const bad = repo.commit({ 'index.js': 'crash()\n' }, 'bad');
    off.world.scenarios.set(`${project.appName}@${bad}`, { health: { outcome: 'degraded', progressingMs: 100 } });
    const v2 = await deploy(project.id, off);
    expect(v2.error).toMatchObject({ step: 'await_live', type: 'app_degraded' });
    await new Promise((r) => setTimeout(r, 1000));
    const list = await off.api<{ items: DeploymentBody[] }>('GET', `/v1/projects/${project.id}/deployments`);
    expect(list.body.items.map((d) => d.trigger)).toEqual(['manual', 'manual']);
    const p = await off.api<ProjectBody>('GET', `/v1/projects/${project.id}`);
    expect(p.body.liveDeploymentId).toBe(v1.id);
    expect(p.body.autoDeployPaused).toBeNull();
  }, 120_000);
});
