// Each failure ends `failed` with the failing step, a named type and a readable message, and
// terminal failures are not retried (counted in the simulators).
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo, gitIn } from './support/git.js';
import { cpSync, writeFileSync } from 'node:fs';
import type { ScenarioInput } from '../simulators/common/scenario.js';
import { CHART_TEMPLATE_DIR } from '../gitops/chart.js';
import { helmPath } from '../scripts/lib/tools.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ env: { AWAIT_LIVE_TIMEOUT: '6s', DEGRADED_GRACE: '1s' } });
}, 120_000);
afterAll(async () => stack?.close());

let counter = 0;
/** A project with its own repository and scenario; returns the finished deployment. */
async function deployWith(
  scenario: ScenarioInput,
  request: Record<string, unknown> = {},
): Promise<{ deployment: DeploymentBody; appName: string; projectId: string }> {
  counter += 1;
  const name = `app${counter}`;
  const repo = createAppRepo(path.join(stack.dir, `src-${name}`));
  const project = await stack.api<{ id: string; appName: string }>('POST', '/v1/projects', {
    name,
    userId: 'carol',
    repoUrl: repo.url,
    branch: 'main',
    appPort: 8080,
  });
  expect(project.status).toBe(201);
  stack.world.scenarios.set(project.body.appName, scenario);
  const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${project.body.id}/deployments`, request);
  expect(requested.status).toBe(202);
  const deployment = await waitForDeployment(stack, requested.body.id, { timeoutMs: 60_000 });
  return { deployment, appName: project.body.appName, projectId: project.body.id };
}

const triggers = () =>
  Object.entries(stack.world.jenkins.counters.snapshot().routes)
    .filter(([route]) => route.includes('buildWithParameters'))
    .reduce((sum, [, n]) => sum + n, 0);

describe('deploy failures', () => {
  it('a commit that does not exist fails at resolve_source (source_not_found) and builds nothing', async () => {
    const before = triggers();
    const { deployment } = await deployWith({}, { commitSha: 'f'.repeat(40) });
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'resolve_source', type: 'source_not_found' });
    expect(deployment.error!.message).toContain('ffffff');
    expect(triggers()).toBe(before);
    expect(deployment.steps.map((s) => s.status)).toEqual(['failed', 'skipped', 'skipped', 'skipped', 'skipped']);
  });

  it('a failing Jenkins build fails at build (build_failed), triggered exactly once', async () => {
    const before = triggers();
    const { deployment } = await deployWith({ build: { result: 'FAILURE', durationMs: 200 } });
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'build', type: 'build_failed' });
    expect(deployment.error!.message).toMatch(/Jenkins build #\d+ ended FAILURE/);
    expect(triggers()).toBe(before + 1);
  });

  it('critical vulnerabilities fail at verify_image (vulnerabilities) and commit nothing', async () => {
    const head = gitIn(stack.gitopsRepo, 'rev-parse', 'main');
    const { deployment } = await deployWith({ scan: { findings: { Critical: 2, High: 1 }, durationMs: 200 } });
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'verify_image', type: 'vulnerabilities' });
    expect(deployment.error!.message).toContain('2 Critical');
    expect(gitIn(stack.gitopsRepo, 'rev-parse', 'main')).toBe(head);
  });

  it('an image the pipeline reports but never pushed fails at verify_image (image_missing)', async () => {
    const head = gitIn(stack.gitopsRepo, 'rev-parse', 'main');
    const { deployment } = await deployWith({ build: { pushImage: false } });
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'verify_image', type: 'image_missing' });
    expect(deployment.error!.message).toMatch(/is not in the registry/);
    expect(gitIn(stack.gitopsRepo, 'rev-parse', 'main')).toBe(head);
  });

  it('high findings pass the default gate (Critical)', async () => {
    const { deployment } = await deployWith({ scan: { findings: { High: 3 }, durationMs: 100 } });
    expect(deployment.status).toBe('succeeded');
  });

  it('an app that turns Degraded fails at await_live (app_degraded) after the grace period', async () => {
    const { deployment } = await deployWith({ health: { outcome: 'degraded', progressingMs: 100 } });
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'await_live', type: 'app_degraded' });
    expect(deployment.gitopsCommitSha).toMatch(/^[0-9a-f]{40}$/);
  });

  it('an app that never becomes healthy fails at await_live (timeout) within the bound', async () => {
    const { deployment } = await deployWith({ health: { outcome: 'progressing' } });
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'await_live', type: 'timeout' });
    expect(deployment.error!.message).toMatch(/within 6 s/);
  });

  it('a failed sync operation fails at await_live (sync_failed)', async () => {
    const { deployment } = await deployWith({ health: { syncFails: true } });
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'await_live', type: 'sync_failed' });
  });
});

describe('a chart that does not render', () => {
  let broken: TestStack;
  beforeAll(async () => {
    // A platform team's own chart template with a template error in it.
    const dir = path.join(stack.dir, 'broken-chart');
    cpSync(CHART_TEMPLATE_DIR, dir, { recursive: true });
    writeFileSync(path.join(dir, 'templates', 'deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }\n');
    broken = await startStack({ env: { CHART_TEMPLATE_DIR: dir, AWAIT_LIVE_TIMEOUT: '20s' } });
  }, 120_000);
  afterAll(async () => broken?.close());

  it.runIf(helmPath() !== undefined)("fails at await_live (chart_invalid) with the renderer's message", async () => {
    const repo = createAppRepo(path.join(broken.dir, 'src-chart'));
    const project = await broken.api<{ id: string }>('POST', '/v1/projects', {
      name: 'chart',
      userId: 'gina',
      repoUrl: repo.url,
      branch: 'main',
      appPort: 8080,
    });
    const requested = await broken.api<DeploymentBody>('POST', `/v1/projects/${project.body.id}/deployments`, {});
    const deployment = await waitForDeployment(broken, requested.body.id, { timeoutMs: 60_000 });
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'await_live', type: 'chart_invalid' });
    expect(deployment.error!.message).toMatch(/ComparisonError/);
    expect(deployment.error!.message).toMatch(/deployment\.yaml/);
  });
});
