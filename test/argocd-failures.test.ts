// The Argo CD failures told apart (docs/argocd-failures.md), end to end through the stack: each
// ends `failed` at await_live with its own type and the cause in its message; a repository Argo
// CD cannot fetch does not roll back; an app Argo CD never generates fails within
// APP_GENERATE_TIMEOUT, not AWAIT_LIVE_TIMEOUT.
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo, gitIn } from './support/git.js';
import { DEFAULT_APPSET_REQUEUE_SECONDS } from '../gitops/bootstrap.js';
import { loadConfig } from '../lib/config.js';

const APP_GENERATE_TIMEOUT_MS = 4_000;
const AWAIT_LIVE_TIMEOUT_MS = 60_000;

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({
    env: { AWAIT_LIVE_TIMEOUT: `${AWAIT_LIVE_TIMEOUT_MS}ms`, APP_GENERATE_TIMEOUT: `${APP_GENERATE_TIMEOUT_MS}ms`, DEGRADED_GRACE: '1s' },
  });
}, 120_000);
afterAll(async () => stack?.close());

interface Project {
  id: string;
  appName: string;
  gitopsPath: string;
}

let counter = 0;
async function newProject(name = `af${++counter}`): Promise<Project> {
  const repo = createAppRepo(path.join(stack.dir, `src-${name}`));
  const project = await stack.api<Project>('POST', '/v1/projects', { name, userId: 'carol', repoUrl: repo.url, branch: 'main', appPort: 8080 });
  expect(project.status).toBe(201);
  // The API shows the folder with a trailing slash; Argo CD's path has none.
  return { ...project.body, gitopsPath: project.body.gitopsPath.replace(/\/+$/, '') };
}

async function deploy(projectId: string): Promise<DeploymentBody> {
  const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${projectId}/deployments`, {});
  expect(requested.status).toBe(202);
  return waitForDeployment(stack, requested.body.id, { timeoutMs: 90_000 });
}

async function deployments(projectId: string): Promise<DeploymentBody[]> {
  return (await stack.api<{ items: DeploymentBody[] }>('GET', `/v1/projects/${projectId}/deployments`)).body.items;
}

/** The Argo CD simulator's control routes (docs/simulators.md). */
async function simControl(route: string, body: unknown): Promise<void> {
  const response = await fetch(`${stack.world.urls.argocd}/_sim/argocd/${route}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(200);
}

async function simApp(name: string): Promise<{ path: string; health: { status: string } } | undefined> {
  const response = await fetch(`${stack.world.urls.argocd}/_sim/argocd/apps/${name}`);
  return response.status === 200 ? ((await response.json()) as { path: string; health: { status: string } }) : undefined;
}

async function argoToken(): Promise<string> {
  const session = await fetch(`${stack.world.urls.argocd}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username: stack.config.ARGOCD_USERNAME, password: stack.config.ARGOCD_PASSWORD }),
  });
  return ((await session.json()) as { token: string }).token;
}

async function until<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (done(value)) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms (last: ${JSON.stringify(value)})`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** A commit around the engine: copies (or removes) a folder of the GitOps repository. */
function changeGitOps(change: (work: string) => void, message: string): void {
  const work = path.join(stack.dir, `gitops-hand-${++counter}`);
  gitIn(stack.dir, 'clone', '-q', stack.gitopsRepo, work);
  change(work);
  gitIn(work, 'add', '-A');
  gitIn(work, '-c', 'user.name=someone', '-c', 'user.email=someone@example.com', 'commit', '-q', '-m', message);
  gitIn(work, 'push', '-q', 'origin', 'HEAD:main');
  rmSync(work, { recursive: true, force: true });
}

const copyFolder = (from: string, to: string) => (work: string) => {
  mkdirSync(path.dirname(path.join(work, to)), { recursive: true });
  cpSync(path.join(work, from), path.join(work, to), { recursive: true });
};
const removeFolder = (folder: string) => (work: string) => rmSync(path.join(work, folder), { recursive: true });

const stepOf = (d: DeploymentBody, name: string) => d.steps.find((s) => s.name === name)!;

describe('Argo CD failures told apart', () => {
  it('a repository Argo CD cannot fetch fails with repo_unreachable, in its words, and does not roll back', async () => {
    const project = await newProject();
    const v1 = await deploy(project.id);
    expect(v1.status).toBe('succeeded');
    await simControl('repo-error', { kind: 'auth' });
    try {
      const v2 = await deploy(project.id);
      expect(v2.status).toBe('failed');
      expect(v2.error).toMatchObject({ step: 'await_live', type: 'repo_unreachable' });
      expect(v2.error!.message).toContain(
        "Argo CD cannot fetch the GitOps repository: check the URL, the repository credentials Argo CD uses, the SSH host key (known_hosts), and the deploy key's read access",
      );
      expect(v2.error!.message).toContain('failed to list refs: authentication required');
      // The failure and a rollback would be written together: none was.
      expect((await deployments(project.id)).filter((d) => d.kind === 'rollback')).toEqual([]);
      const view = await stack.api<{ liveDeploymentId: string }>('GET', `/v1/projects/${project.id}`);
      expect(view.body.liveDeploymentId).toBe(v1.id);
    } finally {
      await simControl('repo-error', { kind: null });
    }
  }, 180_000);

  it("an account Argo CD's RBAC refuses the app fails with argocd_forbidden, naming the account and the project", async () => {
    const project = await newProject();
    await simControl('rbac', { account: stack.config.ARGOCD_USERNAME, denyApps: [project.appName] });
    try {
      const d = await deploy(project.id);
      expect(d.status).toBe('failed');
      expect(d.error).toMatchObject({ step: 'await_live', type: 'argocd_forbidden' });
      expect(d.error!.message).toContain(`account ${stack.config.ARGOCD_USERNAME}`);
      expect(d.error!.message).toContain(`application ${project.appName} in project default`);
      expect(d.error!.message).toContain('permission denied');
    } finally {
      await simControl('rbac', { account: stack.config.ARGOCD_USERNAME, denyApps: [] });
    }
  }, 120_000);

  it('another app managing our resources (SharedResourceWarning) fails with app_conflict, naming it', async () => {
    const project = await newProject();
    expect((await deploy(project.id)).status).toBe('succeeded');
    // The same user and project in another workspace, written around the engine: same namespace, same release.
    const folder = project.gitopsPath.split('/').at(-1)!;
    const rogue = `apps/zz/carol/${folder}`;
    changeGitOps(copyFolder(project.gitopsPath, rogue), 'A folder written around the engine');
    try {
      await until(
        () => simApp(`zz-carol-${folder}`),
        (app) => app?.health.status === 'Healthy',
      );
      const d = await deploy(project.id);
      expect(d.status).toBe('failed');
      expect(d.error).toMatchObject({ step: 'await_live', type: 'app_conflict' });
      expect(d.error!.message).toMatch(/SharedResourceWarning: \w+\/carol-af\d+ is part of applications argocd\/dev-carol-af\d+ and zz-carol-af\d+/);
    } finally {
      changeGitOps(removeFolder(rogue), 'Remove it');
    }
  }, 180_000);

  it('a duplicate app name taken by another folder fails with app_conflict, naming the folder and the ApplicationSet error', async () => {
    // `apps/dev-carol/dup/a` sorts before `apps/dev/carol/dup-a` and both give dev-carol-dup-a.
    const rogue = 'apps/dev-carol/dup/a';
    const donor = await newProject();
    expect((await deploy(donor.id)).status).toBe('succeeded');
    changeGitOps(copyFolder(donor.gitopsPath, rogue), 'A folder that takes the name dev-carol-dup-a');
    try {
      await until(
        () => simApp('dev-carol-dup-a'),
        (app) => app !== undefined,
      );
      const project = await newProject('dup-a');
      expect(project.appName).toBe('dev-carol-dup-a');
      const d = await deploy(project.id);
      expect(d.status).toBe('failed');
      expect(d.error).toMatchObject({ step: 'await_live', type: 'app_conflict' });
      expect(d.error!.message).toContain('Argo CD application dev-carol-dup-a is generated from apps/dev-carol/dup/a, not from apps/dev/carol/dup-a');
      // The ApplicationSet's own words join the message once it has listed both folders (its next
      // listing after the engine's commit; the engine does not wait for it).
      if (d.error!.message.includes('(ApplicationSet:'))
        expect(d.error!.message).toContain('(ApplicationSet: ApplicationSet user-projects contains applications with duplicate name: dev-carol-dup-a)');
      const appSet = await until(
        async () =>
          (await (
            await fetch(`${stack.world.urls.argocd}/api/v1/applicationsets/user-projects`, { headers: { authorization: `Bearer ${await argoToken()}` } })
          ).json()) as { status: { conditions: Array<{ type: string; status: string; message: string }> } },
        (body) => body.status.conditions.some((c) => c.type === 'ErrorOccurred' && c.status === 'True'),
      );
      expect(appSet.status.conditions.find((c) => c.type === 'ErrorOccurred')?.message).toBe(
        'ApplicationSet user-projects contains applications with duplicate name: dev-carol-dup-a',
      );
    } finally {
      changeGitOps(removeFolder(rogue), 'Remove it');
    }
  }, 180_000);

  it('an app Argo CD never generates fails with app_not_generated within APP_GENERATE_TIMEOUT, not AWAIT_LIVE_TIMEOUT', async () => {
    const project = await newProject();
    await simControl('generator', { unmatched: [project.appName] });
    try {
      const d = await deploy(project.id);
      expect(d.status).toBe('failed');
      expect(d.error).toMatchObject({ step: 'await_live', type: 'app_not_generated' });
      expect(d.error!.message).toContain(
        `did not generate the application ${project.appName} from ${project.gitopsPath} within ${APP_GENERATE_TIMEOUT_MS / 1000} s`,
      );
      const step = stepOf(d, 'await_live');
      const took = Date.parse(step.finishedAt!) - Date.parse(step.startedAt!);
      // At least the bound; well under AWAIT_LIVE_TIMEOUT (the refresh calls and polls add a few seconds at most).
      expect(took).toBeGreaterThanOrEqual(APP_GENERATE_TIMEOUT_MS - 1_000);
      expect(took).toBeLessThan(APP_GENERATE_TIMEOUT_MS + 15_000);
      expect(APP_GENERATE_TIMEOUT_MS + 15_000).toBeLessThan(AWAIT_LIVE_TIMEOUT_MS);
    } finally {
      await simControl('generator', { unmatched: [] });
    }
  }, 120_000);

  it('by default a never-generated app fails after two ApplicationSet requeues: 60 s, not the 10 minutes of AWAIT_LIVE_TIMEOUT', () => {
    const config = loadConfig({ DATABASE_URL: 'postgresql://x@127.0.0.1/x' });
    expect(config.APP_GENERATE_TIMEOUT).toBe(2 * DEFAULT_APPSET_REQUEUE_SECONDS * 1000);
    expect(config.APP_GENERATE_TIMEOUT).toBeLessThan(config.AWAIT_LIVE_TIMEOUT);
  });
});
