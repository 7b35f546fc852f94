// What the conformance files share: the run's real cluster, an Argo CD client logged in as its
// admin (the engine's own client: the suite checks Argo CD's answers, not the engine's view of
// them), and polling with a deadline.
import { rmSync } from 'node:fs';
import path from 'node:path';
import { expect, inject } from 'vitest';
import { ArgoCdClient, type Application } from '../../clients/argocd.js';
import { clusterHandle, type ClusterHandle } from '../../scripts/real-cluster/handle.js';
import { createAppRepo, gitIn, type AppRepo } from '../support/git.js';
import { startStack, waitForDeployment, type DeploymentBody, type TestStack } from '../support/stack.js';

export function realCluster(): ClusterHandle {
  return clusterHandle(inject('realCluster'));
}

export function argoClient(cluster: ClusterHandle): ArgoCdClient {
  const { url, username, password } = cluster.info.argocd;
  return new ArgoCdClient({ baseUrl: url, username, password });
}

/** Polls until `probe` returns something other than undefined; the last seen value goes into the timeout message. */
export async function eventually<T>(
  what: string,
  probe: () => Promise<T | undefined>,
  { timeoutMs = 120_000, intervalMs = 500, describe }: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${describe ? ` (${describe()})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Synced and Healthy at exactly this revision, with no operation in flight, in Argo CD's own words. */
export function syncedHealthyAt(app: Application | null | undefined, revision: string): boolean {
  const status = app?.status;
  return (
    status?.sync?.status === 'Synced' &&
    status.sync.revision === revision &&
    status.health?.status === 'Healthy' &&
    app?.operation === undefined &&
    (status.operationState === undefined || status.operationState.phase === 'Succeeded')
  );
}

export function summary(app: Application | null | undefined): string {
  if (!app) return 'no application';
  const s = app.status;
  return `sync ${s.sync?.status ?? '-'} at ${s.sync?.revision?.slice(0, 7) ?? '-'}, health ${s.health?.status ?? '-'}${s.health?.message ? ` (${s.health.message})` : ''}, operation ${s.operationState?.phase ?? '-'}${(s.conditions ?? []).map((c) => `; ${c.type}: ${c.message ?? ''}`).join('')}`;
}

/** The engine on the run's cluster, with the limits every conformance file uses (`env` adds or overrides). */
export function startRealStack(cluster: ClusterHandle, env: Record<string, string> = {}): Promise<TestStack> {
  return startStack({ realArgoCd: cluster, env: { AWAIT_LIVE_TIMEOUT: '120s', POLL_INTERVAL: '500ms', DEGRADED_GRACE: '10s', ...env } });
}

/** What the files read of a created project. */
export interface ProjectBody {
  id: string;
  appName: string;
  releaseName: string;
  namespace: string;
  gitopsPath: string;
  host: string;
}

/** A project through the API, on a new app repository unless one is given. */
export async function newProject(on: TestStack, name: string, userId: string, repo?: AppRepo): Promise<{ project: ProjectBody; repo: AppRepo }> {
  const source = repo ?? createAppRepo(path.join(on.dir, `src-${userId}-${name}`));
  const created = await on.api<ProjectBody>('POST', '/v1/projects', { name, userId, repoUrl: source.url, branch: 'main', appPort: 8080 });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return { project: created.body, repo: source };
}

/** A deploy through the API, waited for to its end. */
export async function deploy(on: TestStack, projectId: string, timeoutMs = 240_000): Promise<DeploymentBody> {
  const requested = await on.api<DeploymentBody>('POST', `/v1/projects/${projectId}/deployments`, {});
  expect(requested.status, JSON.stringify(requested.body)).toBe(202);
  return waitForDeployment(on, requested.body.id, { timeoutMs });
}

/** A commit made straight to the GitOps repository, around the engine (what an operator or another tool writes). */
export function commitToGitOps(on: TestStack, change: (work: string) => void, message: string): string {
  const work = path.join(on.dir, `gitops-direct-${Date.now()}`);
  gitIn(on.dir, 'clone', '-q', on.gitopsRepo, work);
  change(work);
  gitIn(work, 'add', '-A');
  gitIn(work, '-c', 'user.name=test', '-c', 'user.email=test@example.com', 'commit', '-q', '-m', message);
  gitIn(work, 'push', '-q', 'origin', 'HEAD:main');
  const sha = gitIn(work, 'rev-parse', 'HEAD');
  rmSync(work, { recursive: true, force: true });
  return sha;
}
