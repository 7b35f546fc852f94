// The Argo CD failures the engine tells apart (docs/argocd-failures.md), asked of the real Argo CD
// v2.14: a repository Argo CD cannot fetch (the ApplicationSet's template pointed at a repository
// the git daemon does not have, then restored), what GET /api/v1/applications/{name} answers for
// a missing app with and without `?project=`, the ApplicationSet's status conditions, and two
// apps that manage one Deployment (SharedResourceWarning). What Argo CD said goes to stderr in
// one line at the end, for docs/argocd-failures.md.
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { APP_OF_APPS_NAME, APPLICATIONSET_NAME, BOOTSTRAP_DIR } from '../../gitops/bootstrap.js';
import { isRepoFetchError } from '../../activities/live-status.js';
import type { ArgoCdClient, Application } from '../../clients/argocd.js';
import type { ClusterHandle } from '../../scripts/real-cluster/handle.js';
import type { DeploymentBody, TestStack } from '../support/stack.js';
import { gitIn } from '../support/git.js';
import { argoClient, commitToGitOps, deploy, eventually, newProject, realCluster, startRealStack, summary, syncedHealthyAt } from './support.js';

let cluster: ClusterHandle;
let argo: ArgoCdClient;
let stack: TestStack;
const facts: Record<string, string> = {};
const started = Date.now();

const APPSET_FILE = `${BOOTSTRAP_DIR}/applicationset-${APPLICATIONSET_NAME}.yaml`;

beforeAll(async () => {
  cluster = realCluster();
  argo = argoClient(cluster);
  stack = await startRealStack(cluster);
}, 300_000);
afterAll(async () => {
  await stack?.close();
  cluster?.close();
  const lines = Object.entries(facts).map(([name, value]) => `${name}: ${value}`);
  process.stderr.write(`[real-argocd failures] ${lines.join(' | ')}; file wall time ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
});

/** The app of apps applies bootstrap/ changes (the ApplicationSet itself) once it is refreshed. */
const refreshAppOfApps = () => argo.getApplication(APP_OF_APPS_NAME, { refresh: 'normal', timeoutMs: 30_000 });

const seconds = (from: number) => ((Date.now() - from) / 1000).toFixed(1);

/** Raw answers, for the status codes and bodies themselves. */
async function rawGet(pathname: string): Promise<{ status: number; body: unknown }> {
  const { url, username, password } = cluster.info.argocd;
  const session = await fetch(`${url}/api/v1/session`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  const { token } = (await session.json()) as { token: string };
  const response = await fetch(`${url}${pathname}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: response.status, body: (await response.json().catch(() => undefined)) as unknown };
}

describe('Argo CD failures on a real Argo CD', () => {
  it('a missing app: 403 permission denied without ?project=, 404 NotFound with it (as the engine now asks)', async () => {
    const without = await rawGet('/api/v1/applications/dev-nobody-nothing');
    const withProject = await rawGet('/api/v1/applications/dev-nobody-nothing?project=default');
    facts['missing app'] = `${without.status} ${JSON.stringify(without.body)}; with ?project=default ${withProject.status} ${JSON.stringify(withProject.body)}`;
    expect(without.status).toBe(403);
    expect(without.body).toMatchObject({ code: 7, message: 'permission denied' });
    expect(withProject.status).toBe(404);
    expect(withProject.body).toMatchObject({ code: 5, message: 'applications.argoproj.io "dev-nobody-nothing" not found' });
    expect(await argo.getApplication('dev-nobody-nothing', { project: 'default' })).toBeNull();
  });

  it("the ApplicationSet's status: the three conditions, read through the engine's client", async () => {
    const set = await eventually('ApplicationSet status', async () => {
      const s = await argo.getApplicationSet(APPLICATIONSET_NAME);
      return s?.status.conditions?.length ? s : undefined;
    });
    const conditions = set.status.conditions!.map((c) => `${c.type}=${c.status ?? ''} (${c.reason ?? ''}: ${c.message ?? ''})`);
    facts['ApplicationSet conditions'] = conditions.join(', ');
    expect(set.status.conditions!.map((c) => c.type).sort()).toEqual(['ErrorOccurred', 'ParametersGenerated', 'ResourcesUpToDate']);
    const missing = await rawGet('/api/v1/applicationsets/nope');
    facts['missing ApplicationSet'] = `${missing.status} ${JSON.stringify(missing.body)}`;
    expect(await argo.getApplicationSet('nope')).toBeNull();
  });

  it('a repository Argo CD cannot fetch: repo_unreachable in Argo CD words, no rollback; restored afterwards', async () => {
    const project = (await newProject(stack, 'unreach', 'alice')).project;
    const v1 = await deploy(stack, project.id);
    expect(v1.error).toBeNull();
    const original = gitIn(stack.gitopsRepo, 'show', `main:${APPSET_FILE}`);
    const badUrl = cluster.gitUrl(path.join(cluster.info.git.root, 'no-such-repository.git'));
    const broken = parse(original) as { spec: { template: { spec: { source: { repoURL: string } } } } };
    broken.spec.template.spec.source.repoURL = badUrl;
    commitToGitOps(
      stack,
      (work) => writeFileSync(path.join(work, APPSET_FILE), stringify(broken)),
      'Point the generated apps at a repository that does not exist',
    );
    try {
      const brokeAt = Date.now();
      await refreshAppOfApps();
      let last: Application | null = null;
      await eventually(
        'the app on the bad URL with a ComparisonError',
        async () => {
          last = await argo.getApplication(project.appName, { project: 'default' });
          return last?.spec?.source?.repoURL === badUrl && (last.status.conditions ?? []).some((c) => c.type === 'ComparisonError') ? true : undefined;
        },
        { timeoutMs: 180_000, intervalMs: 1_000, describe: () => summary(last) },
      );
      const message = (last as Application | null)?.status.conditions?.find((c) => c.type === 'ComparisonError')?.message ?? '';
      facts['unreachable repository ComparisonError'] = `${message} (after ${seconds(brokeAt)} s)`;
      expect(isRepoFetchError(message)).toBe(true);

      const v2 = await deploy(stack, project.id);
      facts['repo_unreachable await_live'] = `${seconds(Date.parse(v2.steps.find((s) => s.name === 'await_live')!.startedAt!))} s before the deploy ended`;
      expect(v2.status).toBe('failed');
      expect(v2.error).toMatchObject({ step: 'await_live', type: 'repo_unreachable' });
      expect(v2.error!.message).toContain('Argo CD cannot fetch the GitOps repository');
      facts['repo_unreachable message'] = v2.error!.message;
      const list = await stack.api<{ items: DeploymentBody[] }>('GET', `/v1/projects/${project.id}/deployments`);
      expect(list.body.items.filter((d) => d.kind === 'rollback')).toEqual([]);
    } finally {
      commitToGitOps(stack, (work) => writeFileSync(path.join(work, APPSET_FILE), original), 'Restore the ApplicationSet');
      await refreshAppOfApps();
    }
    const restoredAt = Date.now();
    await eventually(
      'the app back on the GitOps repository',
      async () => {
        const app = await argo.getApplication(project.appName, { refresh: 'normal', project: 'default', timeoutMs: 30_000 });
        return app?.spec?.source?.repoURL !== badUrl && !(app?.status.conditions ?? []).some((c) => c.type === 'ComparisonError') ? true : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 2_000 },
    );
    facts['restored'] = `${seconds(restoredAt)} s`;
    // The engine deploys again once the repository is fixed.
    const v3 = await deploy(stack, project.id);
    expect(v3.error).toBeNull();
    expect(syncedHealthyAt(await argo.getApplication(project.appName), v3.gitopsCommitSha!)).toBe(true);
  }, 900_000);

  it('two apps that render the same resources: SharedResourceWarning naming one of them and the other app', async () => {
    const project = (await newProject(stack, 'shared', 'bob')).project;
    const v1 = await deploy(stack, project.id);
    expect(v1.error).toBeNull();
    // The same user and project in another workspace, written around the engine (the API refuses it: name_taken).
    const rogue = 'apps/zz/bob/shared';
    commitToGitOps(
      stack,
      (work) => {
        mkdirSync(path.dirname(path.join(work, rogue)), { recursive: true });
        cpSync(path.join(work, project.gitopsPath), path.join(work, rogue), { recursive: true });
      },
      'A folder written around the engine',
    );
    try {
      const at = Date.now();
      await refreshAppOfApps();
      let seen = '';
      const warning = await eventually(
        'a SharedResourceWarning on either app',
        async () => {
          for (const name of [project.appName, 'zz-bob-shared']) {
            const app = await argo.getApplication(name, { project: 'default' });
            seen = `${seen.slice(-400)} ${name}: ${summary(app)}`;
            const c = app?.status.conditions?.find((x) => x.type === 'SharedResourceWarning');
            if (c) return `${name}: ${c.message ?? ''}`;
          }
          return undefined;
        },
        { timeoutMs: 180_000, intervalMs: 2_000, describe: () => seen },
      );
      facts['SharedResourceWarning'] = `${warning} (after ${seconds(at)} s)`;
      // Argo CD names one shared resource, whichever it meets first: the Deployment, Service and
      // Ingress (bob-shared) or the pull secret's ExternalSecret (bob-shared-pull).
      expect(warning).toMatch(
        /^(dev-bob-shared|zz-bob-shared): \w+\/bob-shared(-pull)? is part of applications argocd\/(dev|zz)-bob-shared and (dev|zz)-bob-shared$/,
      );
    } finally {
      commitToGitOps(stack, (work) => rmSync(path.join(work, rogue), { recursive: true }), 'Remove it');
      await refreshAppOfApps();
    }
  }, 600_000);
});
