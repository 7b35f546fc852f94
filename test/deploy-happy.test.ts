// A deploy from the API to live on (simulated) Argo CD: real Temporal, PostgreSQL and git.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo, gitIn } from './support/git.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => stack?.close());

interface ProjectBody {
  id: string;
  appName: string;
  releaseName: string;
  namespace: string;
  host: string;
  gitopsPath: string;
  liveUrl: string | null;
  liveDeployment: DeploymentBody | null;
}

describe('deploy', () => {
  it('goes from the API to succeeded, with exactly one GitOps commit and the app Healthy at it', async () => {
    const repo = createAppRepo(path.join(stack.dir, 'shop-src'), {
      'package.json': JSON.stringify({ dependencies: { next: '15.0.0' } }),
      'app/page.tsx': 'export default () => null\n',
    });
    const created = await stack.api<ProjectBody>('POST', '/v1/projects', { name: 'shop', userId: 'alice', repoUrl: repo.url, branch: 'main', appPort: 3000 });
    expect(created.status).toBe(201);
    const project = created.body;
    expect(project).toMatchObject({
      appName: 'dev-alice-shop',
      namespace: 'user-alice',
      releaseName: 'alice-shop',
      gitopsPath: 'apps/dev/alice/shop/',
      liveUrl: null,
    });
    expect(project.host).toBe('shop-alice.apps.localhost');

    const commitsBefore = Number(gitIn(stack.gitopsRepo, 'rev-list', '--count', 'main'));
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${project.id}/deployments`, {});
    expect(requested.status).toBe(202);
    expect(requested.body.status).toBe('queued');
    expect(requested.body.workflowId).toBe(`deployment/${requested.body.id}`);

    const done = await waitForDeployment(stack, requested.body.id, { timeoutMs: 90_000 });
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    expect(done.commitSha).toBe(repo.head());
    expect(done.framework).toBe('nextjs');
    expect(done.jenkinsBuildNumber).toBeGreaterThan(0);
    expect(done.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(done.imageRepository).toBe('apps/dev/alice-shop');
    expect(done.steps.map((s) => [s.name, s.status])).toEqual([
      ['resolve_source', 'succeeded'],
      ['build', 'succeeded'],
      ['verify_image', 'succeeded'],
      ['commit_release', 'succeeded'],
      ['await_live', 'succeeded'],
    ]);

    // Exactly one new GitOps commit, carrying the deployment id, with the right values.
    expect(Number(gitIn(stack.gitopsRepo, 'rev-list', '--count', 'main'))).toBe(commitsBefore + 1);
    expect(gitIn(stack.gitopsRepo, 'rev-parse', 'main')).toBe(done.gitopsCommitSha);
    expect(gitIn(stack.gitopsRepo, 'log', '-1', '--format=%B', 'main')).toContain(`Deployment-Id: ${done.id}`);
    const values = parse(gitIn(stack.gitopsRepo, 'show', `main:apps/dev/alice/shop/values.yaml`)) as Record<string, any>;
    expect(values.image.repository).toBe(`${new URL(stack.world.urls.harbor).host}/apps/dev/alice-shop`);
    expect(values.image.tag).toBe(done.imageTag);
    expect(values.image.digest).toBe(done.imageDigest);
    expect(values.app.port).toBe(3000);
    expect(values.ingress.host).toBe('shop-alice.apps.localhost');
    expect(values.release.deploymentId).toBe(done.id);
    // The pod pulls with the workspace's own pull-only robot, delivered by an ExternalSecret:
    // the robot exists in Harbor before the chart that needs it is committed.
    expect(values.pullSecret).toMatchObject({ mode: 'external-secret', name: 'alice-shop-pull', store: 'deploy-engine-registry', key: 'dev' });
    const robot = await stack.db.workspacePullRobot.findUniqueOrThrow({ where: { workspaceId: 'dev' } });
    expect(robot.robotName).toMatch(/^robot\$apps\+pull-dev$/);
    expect(robot.secretSetAt!.getTime()).toBeLessThan(Date.parse(done.steps.find((s) => s.name === 'commit_release')!.finishedAt!));

    // The simulated Argo CD reports it Synced and Healthy at exactly that commit.
    const session = await fetch(`${stack.world.urls.argocd}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: stack.config.ARGOCD_USERNAME, password: stack.config.ARGOCD_PASSWORD }),
    });
    const { token } = (await session.json()) as { token: string };
    const app = await (await fetch(`${stack.world.urls.argocd}/api/v1/applications/dev-alice-shop`, { headers: { authorization: `Bearer ${token}` } })).json();
    expect(app.status.sync).toMatchObject({ status: 'Synced', revision: done.gitopsCommitSha });
    expect(app.status.health.status).toBe('Healthy');

    // The project's live deployment and URL.
    const after = await stack.api<ProjectBody>('GET', `/v1/projects/${project.id}`);
    expect(after.body.liveDeployment?.id).toBe(done.id);
    expect(after.body.liveUrl).toBe('https://shop-alice.apps.localhost');
    expect(done.liveUrl).toBe('https://shop-alice.apps.localhost');
  }, 120_000);
});
