// The engine's own undeploy (DELETE /v1/projects/:id) against a real Argo CD v2.14 and a real
// Kubernetes API: after the engine's one removal commit, Argo CD's ApplicationSet deletes the
// Application, its resources finalizer deletes what it ran, and Argo CD answers 404. Checked in
// Argo CD's and Kubernetes' own answers; the seconds go to one summary line.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArgoCdClient } from '../../clients/argocd.js';
import type { ClusterHandle } from '../../scripts/real-cluster/handle.js';
import type { DeploymentBody, TestStack } from '../support/stack.js';
import { gitIn } from '../support/git.js';
import { argoClient, deploy, eventually, newProject, realCluster, startRealStack, type ProjectBody } from './support.js';

let cluster: ClusterHandle;
let argo: ArgoCdClient;
let stack: TestStack;
const timings: Record<string, number> = {};

interface UndeployBody {
  status: string;
  step: string | null;
  gitopsCommitSha: string | null;
  requestedAt: string | null;
  undeployedAt: string | null;
  namesReleased: boolean;
  error: { step: string; type: string; message: string } | null;
}

beforeAll(async () => {
  cluster = realCluster();
  argo = argoClient(cluster);
  stack = await startRealStack(cluster, { AWAIT_LIVE_TIMEOUT: '240s', UNDEPLOY_TIMEOUT: '240s' });
}, 300_000);
afterAll(async () => {
  await stack?.close();
  cluster?.close();
  process.stderr.write(
    `[real-argocd] ${Object.entries(timings)
      .map(([name, s]) => `${name} ${s.toFixed(1)} s`)
      .join('; ')}\n`,
  );
});

/** The resources the app ran: Deployment, Service, Ingress (undefined = 404). */
const resources = (p: ProjectBody) =>
  Promise.all([
    cluster.api.get(`/apis/apps/v1/namespaces/${p.namespace}/deployments/${p.releaseName}`),
    cluster.api.get(`/api/v1/namespaces/${p.namespace}/services/${p.releaseName}`),
    cluster.api.get(`/apis/networking.k8s.io/v1/namespaces/${p.namespace}/ingresses/${p.releaseName}`),
  ]);

describe('undeploy on a real Argo CD', () => {
  it('DELETE through the API: one removal commit, the Application 404 in Argo CD, its Deployment, Service and Ingress gone, the name free again', async () => {
    const { project, repo } = await newProject(stack, 'bye', 'gina');
    const live = await deploy(stack, project.id, 300_000);
    expect(live.error).toBeNull();
    expect(live.status).toBe('succeeded');
    expect(await argo.getApplication(project.appName)).not.toBeNull();
    expect((await resources(project)).every((r) => r !== undefined)).toBe(true);

    const deleted = await stack.api<UndeployBody>('DELETE', `/v1/projects/${project.id}`);
    expect(deleted.status).toBe(202);
    const started = Date.now();
    const done = await eventually(
      'the undeploy finished',
      async () => {
        const { body } = await stack.api<UndeployBody>('GET', `/v1/projects/${project.id}/undeploy`);
        return body.status === 'running' ? undefined : body;
      },
      { timeoutMs: 300_000, intervalMs: 500 },
    );
    timings['undeploy: DELETE to undeploy succeeded (polled)'] = (Date.now() - started) / 1000;
    timings['undeploy: requestedAt to undeployedAt (engine)'] = (Date.parse(done.undeployedAt ?? '') - Date.parse(done.requestedAt ?? '')) / 1000;
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ status: 'succeeded', namesReleased: true });

    const commits = gitIn(stack.gitopsRepo, 'log', '--format=%H', '--fixed-strings', `--grep=Undeploy-Id: ${project.id}`, 'main').split('\n').filter(Boolean);
    expect(commits).toEqual([done.gitopsCommitSha]);
    // In Argo CD's own words: the Application is gone (404 with its project named).
    expect(await argo.getApplication(project.appName, { project: 'default' })).toBeNull();
    // The resources finalizer deleted what it ran before the Application went.
    expect(await resources(project)).toEqual([undefined, undefined, undefined]);

    // The name again: a new project gets the same cluster names and goes live in them.
    const again = await stack.api<ProjectBody>('POST', '/v1/projects', { name: 'bye', userId: 'gina', repoUrl: repo.url, branch: 'main', appPort: 8080 });
    expect(again.status, JSON.stringify(again.body)).toBe(201);
    expect([again.body.appName, again.body.host]).toEqual([project.appName, project.host]);
    const redeploy = await deploy(stack, again.body.id, 300_000);
    expect(redeploy.error).toBeNull();
    expect(redeploy.status).toBe('succeeded');
    timings['undeploy: redeploy of the freed name await_live'] = stepSeconds(redeploy, 'await_live');
  });
});

function stepSeconds(d: DeploymentBody, name: string): number {
  const step = d.steps.find((s) => s.name === name);
  return step?.startedAt && step.finishedAt ? (Date.parse(step.finishedAt) - Date.parse(step.startedAt)) / 1000 : NaN;
}
