// DELETE /v1/projects/:id end to end (real Temporal, PostgreSQL and git, the simulators over
// HTTP): the lane is closed, the folder leaves the GitOps repository in exactly one commit with
// `Undeploy-Id:`, the Argo CD simulator deletes the app, and the names are free again. Workers
// run as separate processes so one can be killed in the middle of the removal push.
import { chmodSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Client } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ArgoCdClient } from '../clients/argocd.js';
import { connectTemporalClient } from '../lib/temporal.js';
import { startStack, waitForDeployment, type DeploymentBody, type TestStack } from './support/stack.js';
import { createAppRepo, gitIn } from './support/git.js';
import { startWorkerProcess, type WorkerProcess } from './support/worker-process.js';

interface ProjectBody {
  id: string;
  appName: string;
  host: string;
  releaseName: string;
  namespace: string;
  gitopsPath: string;
}
interface UndeployBody {
  projectId: string;
  status: string;
  step: string | null;
  gitopsCommitSha: string | null;
  namesReleased: boolean;
  workflowId: string;
  error: { step: string; type: string; message: string } | null;
}

let stack: TestStack;
let temporal: Client;
let argo: ArgoCdClient;
const workers: WorkerProcess[] = [];

beforeAll(async () => {
  // A removal attempt is bounded at 5 s, so a retry after a killed worker comes quickly.
  stack = await startStack({ noWorker: true, env: { COMMIT_RELEASE_TIMEOUT: '5s', UNDEPLOY_TIMEOUT: '90s' } });
  temporal = await connectTemporalClient({ address: stack.config.TEMPORAL_ADDRESS, namespace: stack.config.TEMPORAL_NAMESPACE });
  argo = new ArgoCdClient({ baseUrl: stack.config.ARGOCD_URL, username: stack.config.ARGOCD_USERNAME, password: stack.config.ARGOCD_PASSWORD });
  await launch();
}, 120_000);
afterAll(async () => {
  await Promise.all(workers.map((w) => w.kill('SIGKILL')));
  await temporal?.connection.close();
  await stack?.close();
});

async function launch(): Promise<WorkerProcess> {
  const worker = startWorkerProcess(stack.config, { GITOPS_WORKDIR: path.join(stack.dir, `gitops-work-${workers.length}`) });
  workers.push(worker);
  await worker.ready;
  return worker;
}

async function eventually<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function newProject(name: string, userId: string): Promise<ProjectBody> {
  const repo = createAppRepo(path.join(stack.dir, `src-${userId}-${name}-${Date.now()}`));
  const created = await stack.api<ProjectBody>('POST', '/v1/projects', { name, userId, repoUrl: repo.url, branch: 'main', appPort: 8080 });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

async function deploy(projectId: string): Promise<DeploymentBody> {
  const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${projectId}/deployments`, {});
  expect(requested.status, JSON.stringify(requested.body)).toBe(202);
  return waitForDeployment(stack, requested.body.id, { timeoutMs: 90_000 });
}

const undeployOf = async (projectId: string) => (await stack.api<UndeployBody>('GET', `/v1/projects/${projectId}/undeploy`)).body;
const finished = (projectId: string, timeoutMs = 90_000) =>
  eventually(
    `undeploy of ${projectId} finished`,
    async () => {
      const u = await undeployOf(projectId);
      return u.status === 'running' ? undefined : u;
    },
    timeoutMs,
  );
const removalCommits = (projectId: string) =>
  gitIn(stack.gitopsRepo, 'log', '--format=%H', '--fixed-strings', `--grep=Undeploy-Id: ${projectId}`, 'main').split('\n').filter(Boolean);
const folderAtHead = (gitopsPath: string) => gitIn(stack.gitopsRepo, 'ls-tree', '--name-only', 'main', '--', gitopsPath.replace(/\/$/, ''));
async function runsOf(workflowId: string): Promise<number> {
  let runs = 0;
  for await (const _ of temporal.workflow.list({ query: `WorkflowId = "${workflowId}"` })) runs += 1;
  return runs;
}

describe('DELETE /v1/projects/:id undeploys the app', () => {
  it('deploy, DELETE twice: one undeploy, the folder gone in one commit, the app gone from Argo CD, the names free for a new project', async () => {
    const project = await newProject('shop', 'alice');
    const live = await deploy(project.id);
    expect(live.status).toBe('succeeded');
    expect(await argo.getApplication(project.appName, { project: 'default' })).not.toBeNull();

    const first = await stack.app.request(`/v1/projects/${project.id}`, { method: 'DELETE', headers: { authorization: `Bearer ${stack.token}` } });
    expect(first.status).toBe(202);
    expect(first.headers.get('location')).toBe(`/v1/projects/${project.id}/undeploy`);
    const body = (await first.json()) as UndeployBody;
    expect(body).toMatchObject({ projectId: project.id, status: 'running', workflowId: `undeploy/${project.id}`, namesReleased: false, error: null });
    const second = await stack.api<UndeployBody>('DELETE', `/v1/projects/${project.id}`);
    expect(second.status).toBe(202);
    expect(second.body.workflowId).toBe(body.workflowId);
    // Gone from the API at once; no new deploys.
    expect((await stack.api('GET', `/v1/projects/${project.id}`)).status).toBe(404);
    expect((await stack.api('POST', `/v1/projects/${project.id}/deployments`, {})).status).toBe(404);

    const done = await finished(project.id);
    expect(done.error).toBeNull();
    expect(done).toMatchObject({ status: 'succeeded', namesReleased: true });
    expect(removalCommits(project.id)).toEqual([done.gitopsCommitSha]);
    expect(gitIn(stack.gitopsRepo, 'log', '-1', '--format=%B', done.gitopsCommitSha!)).toContain(`GitOps-Path: ${project.gitopsPath.replace(/\/$/, '')}`);
    expect(folderAtHead(project.gitopsPath)).toBe('');
    expect(await argo.getApplication(project.appName, { project: 'default' })).toBeNull();
    expect(await runsOf(`undeploy/${project.id}`)).toBe(1);
    // A third DELETE answers the finished undeploy and starts nothing.
    const third = await stack.api<UndeployBody>('DELETE', `/v1/projects/${project.id}`);
    expect(third.status).toBe(202);
    expect(third.body).toMatchObject({ status: 'succeeded', gitopsCommitSha: done.gitopsCommitSha });
    expect(await runsOf(`undeploy/${project.id}`)).toBe(1);
    // The history stays readable where it was: the deployment by its id.
    expect((await stack.api<DeploymentBody>('GET', `/v1/deployments/${live.id}`)).body).toMatchObject({ id: live.id, status: 'succeeded' });

    // The same name again: the same cluster names, and it deploys into the same folder.
    const again = await newProject('shop', 'alice');
    expect(again.id).not.toBe(project.id);
    expect([again.appName, again.host, again.releaseName, again.namespace]).toEqual([project.appName, project.host, project.releaseName, project.namespace]);
    const redeployed = await deploy(again.id);
    expect(redeployed.error).toBeNull();
    expect(redeployed.status).toBe('succeeded');
    expect(folderAtHead(again.gitopsPath)).not.toBe('');
  });

  it('while the undeploy runs, creating the name again is a 409 naming the pending undeploy; afterwards it succeeds', async () => {
    const project = await newProject('slow', 'bob');
    expect((await deploy(project.id)).status).toBe('succeeded');
    // Argo CD answers 5xx for a while: the undeploy waits in await_gone.
    stack.world.argocd.faults.configure({ errorRate: 1 });
    try {
      expect((await stack.api('DELETE', `/v1/projects/${project.id}`)).status).toBe(202);
      await eventually('await_gone', async () => ((await undeployOf(project.id)).step === 'await_gone' ? true : undefined));
      const clash = await stack.api<{ error: { code: string; message: string } }>('POST', '/v1/projects', {
        name: 'slow',
        userId: 'bob',
        repoUrl: createAppRepo(path.join(stack.dir, 'src-slow-2')).url,
        appPort: 8080,
      });
      expect(clash.status).toBe(409);
      expect(clash.body.error.code).toBe('undeploy_pending');
      expect(clash.body.error.message).toContain(`/v1/projects/${project.id}/undeploy`);
    } finally {
      stack.world.argocd.faults.configure({});
    }
    expect((await finished(project.id)).status).toBe('succeeded');
    expect((await newProject('slow', 'bob')).appName).toBe(project.appName);
  });

  it('a project that never deployed: finished in seconds, no commit', async () => {
    const project = await newProject('never', 'carol');
    const head = gitIn(stack.gitopsRepo, 'rev-parse', 'main');
    const started = Date.now();
    expect((await stack.api('DELETE', `/v1/projects/${project.id}`)).status).toBe(202);
    const done = await finished(project.id, 20_000);
    expect(done).toMatchObject({ status: 'succeeded', gitopsCommitSha: null, namesReleased: true });
    expect(Date.now() - started).toBeLessThan(15_000);
    expect(gitIn(stack.gitopsRepo, 'rev-parse', 'main')).toBe(head);
  });

  it('DELETE during a running deploy with another queued: both are cancelled, then the app is removed', async () => {
    const project = await newProject('busy', 'dana');
    expect((await deploy(project.id)).status).toBe('succeeded');
    stack.world.scenarios.set(project.appName, { build: { durationMs: 30_000, logLines: 100 } });
    const running = (await stack.api<DeploymentBody>('POST', `/v1/projects/${project.id}/deployments`, {})).body;
    await waitForDeployment(stack, running.id, { until: ['running'] });
    const queued = (await stack.api<DeploymentBody>('POST', `/v1/projects/${project.id}/deployments`, {})).body;
    expect((await stack.api('DELETE', `/v1/projects/${project.id}`)).status).toBe(202);
    const done = await finished(project.id);
    expect(done.error).toBeNull();
    expect(done.status).toBe('succeeded');
    for (const id of [running.id, queued.id]) {
      const d = (await stack.api<DeploymentBody>('GET', `/v1/deployments/${id}`)).body;
      expect(d.status, id).toBe('cancelled');
    }
    expect(removalCommits(project.id)).toEqual([done.gitopsCommitSha]);
    expect(folderAtHead(project.gitopsPath)).toBe('');
  });

  it('a push refused once is retried: one removal commit', async () => {
    const project = await newProject('refused', 'erin');
    expect((await deploy(project.id)).status).toBe('succeeded');
    const hook = path.join(stack.gitopsRepo, 'hooks', 'pre-receive');
    writeFileSync(hook, `#!/bin/sh\ncat >/dev/null\n[ -f "$GIT_DIR/refused-once" ] && exit 0\ntouch "$GIT_DIR/refused-once"\necho "server busy" >&2\nexit 1\n`);
    chmodSync(hook, 0o755);
    try {
      expect((await stack.api('DELETE', `/v1/projects/${project.id}`)).status).toBe(202);
      const done = await finished(project.id);
      expect(done.status).toBe('succeeded');
      expect(removalCommits(project.id)).toEqual([done.gitopsCommitSha]);
    } finally {
      rmSync(hook, { force: true });
    }
  });

  it('the worker killed while its removal push is in flight: the next worker finds the commit, one commit only', async () => {
    const project = await newProject('crash', 'frank');
    expect((await deploy(project.id)).status).toBe('succeeded');
    // The push lands, then the server holds the connection: the activity never hears back.
    const hook = path.join(stack.gitopsRepo, 'hooks', 'post-receive');
    writeFileSync(hook, `#!/bin/sh\ncat >/dev/null\n[ -f "$GIT_DIR/held-once" ] && exit 0\ntouch "$GIT_DIR/held-once"\nsleep 20\n`);
    chmodSync(hook, 0o755);
    try {
      expect((await stack.api('DELETE', `/v1/projects/${project.id}`)).status).toBe(202);
      await eventually('the removal commit on the remote', async () => (removalCommits(project.id).length > 0 ? true : undefined), 30_000);
      await workers.at(-1)!.kill('SIGKILL');
      await launch();
      const done = await finished(project.id);
      expect(done.error).toBeNull();
      expect(done.status).toBe('succeeded');
      expect(removalCommits(project.id)).toEqual([done.gitopsCommitSha]);
      expect(await argo.getApplication(project.appName, { project: 'default' })).toBeNull();
    } finally {
      rmSync(hook, { force: true });
    }
  });
});
