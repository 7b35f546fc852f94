// The engine's GitOps half against a real Argo CD v2.14 and a real Kubernetes API (kwok runs the
// pods): the same end-to-end cases the simulator answers, asked of the real systems. Jenkins and
// Harbor stay simulated. Everything is checked in Argo CD's and Kubernetes' own answers, not
// only in the engine's. Timings go to one summary line at the end.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_TEMPLATE_DIR } from '../../gitops/chart.js';
import { APP_OF_APPS_NAME } from '../../gitops/bootstrap.js';
import type { ArgoCdClient } from '../../clients/argocd.js';
import type { ClusterHandle } from '../../scripts/real-cluster/handle.js';
import { startStack, waitForDeployment, type DeploymentBody, type TestStack } from '../support/stack.js';
import { createAppRepo, gitIn, type AppRepo } from '../support/git.js';
import { createTenant } from '../support/tenants.js';
import {
  argoClient,
  commitToGitOps,
  deploy,
  eventually,
  newProject,
  realCluster,
  startRealStack,
  summary,
  syncedHealthyAt,
  type ProjectBody,
} from './support.js';

let cluster: ClusterHandle;
let argo: ArgoCdClient;
let stack: TestStack;
const timings: Record<string, number> = {};
const suiteStarted = Date.now();

interface KubeDeployment {
  metadata: { annotations?: Record<string, string> };
  spec: { replicas?: number; template: { metadata: { annotations?: Record<string, string> }; spec: { containers: Array<{ image: string }> } } };
  status?: { availableReplicas?: number; updatedReplicas?: number };
}

beforeAll(async () => {
  cluster = realCluster();
  argo = argoClient(cluster);
  stack = await startRealStack(cluster);
}, 300_000);
afterAll(async () => {
  await stack?.close();
  cluster?.close();
  const lines = Object.entries(timings).map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`);
  process.stderr.write(`[real-argocd] ${lines.join('; ')}; suite wall time ${((Date.now() - suiteStarted) / 1000).toFixed(0)} s\n`);
});

const seconds = (from: string | null | undefined, to: string | null | undefined) => (from && to ? (Date.parse(to) - Date.parse(from)) / 1000 : NaN);
const awaitLiveSeconds = (d: DeploymentBody) => {
  const step = d.steps.find((s) => s.name === 'await_live');
  return seconds(step?.startedAt, step?.finishedAt);
};

const kubeDeployment = (namespace: string, name: string) => cluster.api.get<KubeDeployment>(`/apis/apps/v1/namespaces/${namespace}/deployments/${name}`);

/**
 * What the engine does for a new app (activities/argocd.ts): refresh the app of apps, so Argo CD
 * reads the branch heads again and the ApplicationSet sees the commit at its next requeue.
 */
async function nudgeApplicationSet(): Promise<void> {
  await argo.getApplication(APP_OF_APPS_NAME, { refresh: 'normal', timeoutMs: 30_000 });
}

async function liveAt(appName: string, revision: string, timeoutMs = 120_000, refresh = true): Promise<void> {
  let last: Awaited<ReturnType<ArgoCdClient['getApplication']>> = null;
  await eventually(
    `${appName} Synced and Healthy at ${revision.slice(0, 7)}`,
    async () => {
      last = await argo.getApplication(appName, refresh ? { refresh: 'normal', timeoutMs: 30_000 } : {});
      return syncedHealthyAt(last, revision) ? true : undefined;
    },
    { timeoutMs, intervalMs: refresh ? 2_000 : 1_000, describe: () => summary(last) },
  );
}

describe('the engine on a real Argo CD', () => {
  let shop: { project: ProjectBody; repo: AppRepo };
  let first: DeploymentBody;
  let second: DeploymentBody;

  it("first deploy of a new app: the ApplicationSet generates it, it syncs, and it is Healthy at exactly the engine's commit", async () => {
    shop = await newProject(stack, 'shop', 'alice');
    first = await deploy(stack, shop.project.id);
    expect(first.error).toBeNull();
    expect(first.status).toBe('succeeded');
    timings['first deploy await_live'] = awaitLiveSeconds(first);

    const app = await argo.getApplication('dev-alice-shop');
    expect(summary(app)).toContain('Synced');
    expect(syncedHealthyAt(app, first.gitopsCommitSha!)).toBe(true);
    expect(app!.spec?.destination?.namespace).toBe('user-alice');
    const deployment = await kubeDeployment('user-alice', 'alice-shop');
    expect(deployment?.status?.availableReplicas).toBe(1);
    expect(deployment?.spec.template.metadata.annotations?.['deploy.engine/deployment-id']).toBe(first.id);
    expect(deployment?.spec.template.spec.containers[0]!.image).toContain(first.imageDigest!);
  });

  it('second deploy: Argo CD moves to the new commit and rolls the pods', async () => {
    shop.repo.commit({ 'index.js': 'console.log("v2")\n' }, 'v2');
    second = await deploy(stack, shop.project.id);
    expect(second.status).toBe('succeeded');
    timings['second deploy await_live (with refresh)'] = awaitLiveSeconds(second);
    expect(syncedHealthyAt(await argo.getApplication('dev-alice-shop'), second.gitopsCommitSha!)).toBe(true);
    const deployment = await kubeDeployment('user-alice', 'alice-shop');
    expect(deployment?.spec.template.metadata.annotations?.['deploy.engine/deployment-id']).toBe(second.id);
    expect(deployment?.spec.template.spec.containers[0]!.image).toContain(second.imageDigest!);
  });

  it('rollback: the first release runs again, recorded as a new release', async () => {
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${shop.project.id}/rollback`, { toDeploymentId: first.id });
    expect(requested.status).toBe(202);
    const rollback = await waitForDeployment(stack, requested.body.id, { timeoutMs: 180_000 });
    expect(rollback.status).toBe('succeeded');
    expect(rollback.kind).toBe('rollback');
    timings['rollback await_live'] = awaitLiveSeconds(rollback);
    expect(syncedHealthyAt(await argo.getApplication('dev-alice-shop'), rollback.gitopsCommitSha!)).toBe(true);
    const deployment = await kubeDeployment('user-alice', 'alice-shop');
    expect(deployment?.spec.template.spec.containers[0]!.image).toContain(first.imageDigest!);
    expect(deployment?.status?.availableReplicas).toBe(1);
  });

  it('a release whose pods never become ready times out at await_live and rolls back automatically', async () => {
    shop.repo.commit({ 'index.js': 'console.log("never ready")\n' }, 'v3 never ready');
    const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${shop.project.id}/deployments`, {});
    expect(requested.status).toBe(202);
    // kwok keeps this release's pods Pending, as an app that never answers its readiness probe.
    await cluster.holdUnready(requested.body.id);
    const failed = await waitForDeployment(stack, requested.body.id, { timeoutMs: 300_000 });
    expect(failed.status).toBe('failed');
    expect(failed.error).toMatchObject({ step: 'await_live' });
    expect(['timeout', 'app_degraded']).toContain(failed.error!.type);
    const deployments = await stack.api<{ items: DeploymentBody[] }>('GET', `/v1/projects/${shop.project.id}/deployments`);
    const automatic = deployments.body.items.find((d) => d.kind === 'rollback' && d.trigger === 'auto-rollback');
    expect(automatic, JSON.stringify(deployments.body.items.map((d) => [d.kind, d.trigger, d.status]))).toBeDefined();
    const done = await waitForDeployment(stack, automatic!.id, { timeoutMs: 180_000 });
    expect(done.status).toBe('succeeded');
    expect(syncedHealthyAt(await argo.getApplication('dev-alice-shop'), done.gitopsCommitSha!)).toBe(true);
  });

  it("a chart that does not render fails at await_live as chart_invalid, in Argo CD's words", async () => {
    const dir = path.join(stack.dir, 'broken-chart');
    cpSync(CHART_TEMPLATE_DIR, dir, { recursive: true });
    writeFileSync(path.join(dir, 'templates', 'deployment.yaml'), 'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {{ .Release.Name }\n');
    // A second engine on the same GitOps repository, with a platform chart that has a template error.
    const broken = await startStack({
      realArgoCd: cluster,
      gitopsRepo: stack.gitopsRepo,
      env: { CHART_TEMPLATE_DIR: dir, AWAIT_LIVE_TIMEOUT: '120s', POLL_INTERVAL: '500ms' },
    });
    try {
      const { project } = await newProject(broken, 'chart', 'gina');
      const deployment = await deploy(broken, project.id);
      expect(deployment.status).toBe('failed');
      expect(deployment.error).toMatchObject({ step: 'await_live', type: 'chart_invalid' });
      expect(deployment.error!.message).toMatch(/ComparisonError/);
      expect(deployment.error!.message).toMatch(/deployment\.yaml/);
    } finally {
      await broken.close();
    }
  });
});

describe('GitOps commits the engine relies on, applied by the real Argo CD', () => {
  it('two projects changed in one GitOps commit: both apps are Synced and Healthy at that commit', async () => {
    const a = await newProject(stack, 'duo-a', 'bob');
    const b = await newProject(stack, 'duo-b', 'bob');
    // Two deploys at once: their commits land one after the other, and each wait sees the other's commit too.
    const [da, db] = await Promise.all([deploy(stack, a.project.id), deploy(stack, b.project.id)]);
    expect([da.status, db.status]).toEqual(['succeeded', 'succeeded']);
    const sha = commitToGitOps(
      stack,
      (work) => {
        for (const name of ['duo-a', 'duo-b']) {
          const file = path.join(work, 'apps/dev/bob', name, 'values.yaml');
          const text = gitIn(work, 'show', `HEAD:apps/dev/bob/${name}/values.yaml`);
          writeFileSync(file, text.replace(/^replicaCount: 1$/m, 'replicaCount: 2'));
        }
      },
      'Scale duo-a and duo-b to 2 replicas',
    );
    await liveAt('dev-bob-duo-a', sha);
    await liveAt('dev-bob-duo-b', sha);
    for (const name of ['bob-duo-a', 'bob-duo-b']) {
      const d = await eventually(
        `${name} 2 replicas available`,
        async () => {
          const found = await kubeDeployment('user-bob', name);
          return found?.status?.availableReplicas === 2 ? found : undefined;
        },
        { timeoutMs: 60_000 },
      );
      expect(d.spec.replicas).toBe(2);
    }
  });

  it('undeploy with prune: removing the folder deletes the Application and everything it ran', async () => {
    // The engine's own undeploy (DELETE /v1/projects/:id) writes this commit; here the commit is made directly.
    const { project } = await newProject(stack, 'gone', 'carol');
    expect((await deploy(stack, project.id)).status).toBe('succeeded');
    expect(await kubeDeployment('user-carol', 'carol-gone')).toBeDefined();
    const removedAt = Date.now();
    commitToGitOps(stack, (work) => rmSync(path.join(work, 'apps/dev/carol/gone'), { recursive: true }), 'Undeploy dev-carol-gone');
    await nudgeApplicationSet();
    await eventually('dev-carol-gone deleted from Argo CD', async () => ((await argo.getApplication('dev-carol-gone')) === null ? true : undefined), {
      timeoutMs: 240_000,
      intervalMs: 1_000,
    });
    timings['undeploy: folder removed to Application gone'] = (Date.now() - removedAt) / 1000;
    // The resources finalizer makes Argo CD delete what the app ran before the Application goes.
    const left = await Promise.all([
      kubeDeployment('user-carol', 'carol-gone'),
      cluster.api.get(`/api/v1/namespaces/user-carol/services/carol-gone`),
      cluster.api.get(`/apis/networking.k8s.io/v1/namespaces/user-carol/ingresses/carol-gone`),
    ]);
    expect(left).toEqual([undefined, undefined, undefined]);
  });

  it('a name that would collide: the engine refuses the project; a colliding folder written around it takes over the app (first path in byte order wins)', async () => {
    const { project } = await newProject(stack, 'shop', 'b-c');
    const live = await deploy(stack, project.id);
    expect(live.status).toBe('succeeded');
    // Workspace dev-b, user c, project shop is also dev-b-c-shop.
    const other = await createTenant(stack, 'dev-b');
    const clash = await other.call('admin', 'POST', '/v1/projects', {
      name: 'shop',
      userId: 'c',
      repoUrl: createAppRepo(path.join(stack.dir, 'src-clash')).url,
      appPort: 8080,
    });
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('name_taken');

    // Written around the engine: 'apps/dev-b/...' sorts before 'apps/dev/...' ('-' < '/').
    commitToGitOps(
      stack,
      (work) => {
        const to = path.join(work, 'apps/dev-b/c/shop');
        mkdirSync(path.dirname(to), { recursive: true });
        cpSync(path.join(work, 'apps/dev/b-c/shop'), to, { recursive: true });
      },
      'A colliding folder, written around the engine',
    );
    await nudgeApplicationSet();
    const appSet = await eventually(
      'the ApplicationSet reports the duplicate',
      async () => {
        const found = await cluster.api.get<{ status?: { conditions?: Array<{ type: string; status: string; message: string }> } }>(
          '/apis/argoproj.io/v1alpha1/namespaces/argocd/applicationsets/user-projects',
        );
        return found?.status?.conditions?.some((c) => c.type === 'ErrorOccurred' && c.status === 'True') ? found : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 2_000 },
    );
    expect(JSON.stringify(appSet.status?.conditions)).toContain('contains applications with duplicate name: dev-b-c-shop');
    const taken = await eventually(
      'the app follows the first path',
      async () => {
        const app = await argo.getApplication('dev-b-c-shop');
        return app?.spec?.source?.path === 'apps/dev-b/c/shop' ? app : undefined;
      },
      { timeoutMs: 60_000 },
    );
    expect(taken.spec?.destination?.namespace).toBe('user-c');

    commitToGitOps(stack, (work) => rmSync(path.join(work, 'apps/dev-b'), { recursive: true }), 'Remove the colliding folder');
    await nudgeApplicationSet();
    await eventually(
      'the app is back on its own path',
      async () => {
        const app = await argo.getApplication('dev-b-c-shop');
        return app?.spec?.source?.path === 'apps/dev/b-c/shop' && app.spec.destination?.namespace === 'user-b-c' ? true : undefined;
      },
      { timeoutMs: 240_000, intervalMs: 2_000 },
    );
  });

  it("refresh timing: from push to Healthy with the engine's refresh call and without it", async () => {
    const { project } = await newProject(stack, 'clock', 'dave');
    expect((await deploy(stack, project.id)).status).toBe('succeeded');
    const bump = (replicas: number) =>
      commitToGitOps(
        stack,
        (work) => {
          const file = path.join(work, 'apps/dev/dave/clock/values.yaml');
          writeFileSync(file, gitIn(work, 'show', 'HEAD:apps/dev/dave/clock/values.yaml').replace(/^replicaCount: \d+$/m, `replicaCount: ${replicas}`));
        },
        `clock: ${replicas} replicas`,
      );
    let started = Date.now();
    await liveAt('dev-dave-clock', bump(2), 120_000, true);
    timings['push to Healthy, with refresh'] = (Date.now() - started) / 1000;
    started = Date.now();
    // Without a refresh: Argo CD's own resync (120 s + up to 60 s jitter) behind its 3-minute cache of branch heads.
    await liveAt('dev-dave-clock', bump(1), 480_000, false);
    timings['push to Healthy, without refresh (Argo CD polls Git)'] = (Date.now() - started) / 1000;
    expect(timings['push to Healthy, with refresh']).toBeLessThan(timings['push to Healthy, without refresh (Argo CD polls Git)'] ?? 0);
  }, 600_000);
});
