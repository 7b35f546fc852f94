// The platform failures of docs/argocd-failures.md, over real HTTP, answered as Argo CD v2.14
// answers them: a repository the repo-server cannot fetch, an account RBAC refuses, duplicate
// app names, two apps managing one resource, and a folder the generator does not match.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScenarioStore } from '../common/scenario.js';
import {
  createGitopsRepo,
  removeDir,
  startArgoCd,
  startRegistryStub,
  tempDir,
  waitFor,
  writeChart,
  type GitopsRepo,
  type RegistryStub,
  type RunningArgoCd,
} from './test-support.js';

const USERS = [{ username: 'admin', password: 'admin-password' }];
type Body = Record<string, any>;

let root: string;
let repo: GitopsRepo;
let registry: RegistryStub;
let argo: RunningArgoCd;
let token: string;

function chart(workspaceId: string, userId: string, projectName: string): string {
  const repository = `${registry.host}/apps/${workspaceId}/${userId}-${projectName}`;
  registry.push(`apps/${workspaceId}/${userId}-${projectName}:1`);
  return writeChart(repo.work, { workspaceId, userId, projectName, repository, tag: '1' });
}

async function api(pathname: string, init: RequestInit = {}): Promise<{ status: number; body: Body }> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.body) headers.set('content-type', 'application/json');
  const response = await fetch(`${argo.url}${pathname}`, { ...init, headers });
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : {}) as Body };
}

const control = (route: string, body: unknown) => api(`/_sim/argocd/${route}`, { method: 'PUT', body: JSON.stringify(body) });
const reconcile = () => api('/_sim/argocd/reconcile', { method: 'POST' });
const appSet = async () => (await api('/api/v1/applicationsets/user-projects')).body;
const condition = (body: Body, type: string) => (body.status.conditions as Body[]).find((c) => c.type === type);

beforeAll(async () => {
  root = tempDir('argocd-platform');
  repo = await createGitopsRepo(root);
  registry = await startRegistryStub();
  chart('ws1', 'alice', 'shop');
  await repo.commitAndPush('Initial app');
  const scenarios = new ScenarioStore();
  scenarios.setDefault({ health: { progressingMs: 40 } });
  argo = await startArgoCd({
    scenarios,
    users: USERS,
    repo: { url: repo.url, branch: repo.branch },
    pollIntervalMs: 600_000,
    registry: { url: registry.url, username: 'robot', password: 'secret' },
    workDir: path.join(root, 'argocd'),
  });
  token = String((await api('/api/v1/session', { method: 'POST', body: JSON.stringify(USERS[0]) })).body.token);
  await waitFor(
    () => api('/api/v1/applications/ws1-alice-shop'),
    (r) => r.body.status?.health?.status === 'Healthy',
  );
});

afterAll(async () => {
  await argo?.close();
  await registry?.close();
  if (root) removeDir(root);
});

describe('the ApplicationSet', () => {
  it('answers its status with the three conditions Argo CD always writes, and its apps', async () => {
    const body = await appSet();
    expect(body.metadata).toMatchObject({ name: 'user-projects', namespace: 'argocd' });
    expect(condition(body, 'ErrorOccurred')).toMatchObject({
      status: 'False',
      reason: 'ApplicationSetUpToDate',
      message: 'Successfully generated parameters for all Applications',
    });
    expect(condition(body, 'ParametersGenerated')).toMatchObject({ status: 'True', reason: 'ParametersGenerated' });
    expect(condition(body, 'ResourcesUpToDate')).toMatchObject({ status: 'True', reason: 'ApplicationSetUpToDate', message: 'ApplicationSet up to date' });
    expect(body.status.resources).toEqual([expect.objectContaining({ kind: 'Application', name: 'ws1-alice-shop' })]);
  });

  it('answers 404 for another name', async () => {
    const { status, body } = await api('/api/v1/applicationsets/nope');
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: 5, message: 'error getting ApplicationSet: applicationset.argoproj.io "nope" not found' });
  });
});

describe('a repository the repo-server cannot fetch', () => {
  it.each([
    ['not-found', 'failed to list refs: repository not found'],
    ['auth', 'failed to list refs: authentication required'],
    ['host-key', 'failed to list refs: ssh: handshake failed: knownhosts: key is unknown'],
  ])('%s: a ComparisonError in Argo CD words on the app, ErrorOccurred on the ApplicationSet; works again once fixed', async (kind, words) => {
    expect((await control('repo-error', { kind })).status).toBe(200);
    const app = (await api('/api/v1/applications/ws1-alice-shop?refresh=normal')).body;
    expect(app.status.sync.status).toBe('Unknown');
    expect(app.status.conditions).toEqual([
      expect.objectContaining({
        type: 'ComparisonError',
        message: `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${words}`,
      }),
    ]);
    // What already runs keeps running.
    expect(app.status.health.status).toBe('Healthy');
    await reconcile();
    const set = await appSet();
    expect(condition(set, 'ErrorOccurred')).toMatchObject({
      status: 'True',
      reason: 'ApplicationGenerationFromParamsError',
      message: `error generating params from git: error retrieving Git files: rpc error: code = Unknown desc = ${words}`,
    });
    expect(condition(set, 'ParametersGenerated')).toMatchObject({ status: 'False', reason: 'ErrorOccurred' });
    expect(condition(set, 'ResourcesUpToDate')).toMatchObject({ status: 'False' });
    // The ApplicationSet keeps its apps while it cannot list the repository.
    expect(set.status.resources).toHaveLength(1);

    await control('repo-error', { kind: null });
    await reconcile();
    const fixed = (await api('/api/v1/applications/ws1-alice-shop?refresh=normal')).body;
    expect(fixed.status.conditions).toBeUndefined();
    expect(fixed.status.sync.status).toBe('Synced');
    expect(condition(await appSet(), 'ErrorOccurred')?.status).toBe('False');
  });
});

describe('RBAC', () => {
  it('an account refused an app gets 403 permission denied with or without ?project=, and a list without it', async () => {
    await control('rbac', { account: 'admin', denyApps: ['ws1-alice-shop'] });
    for (const query of ['', '?project=default', '?refresh=normal&project=default']) {
      const { status, body } = await api(`/api/v1/applications/ws1-alice-shop${query}`);
      expect(status).toBe(403);
      expect(body).toEqual({ error: 'permission denied', code: 7, message: 'permission denied' });
    }
    expect((await api('/api/v1/applications')).body.items).toEqual([]);
    await control('rbac', { account: 'admin', denyApps: [] });
    expect((await api('/api/v1/applications/ws1-alice-shop?project=default')).status).toBe(200);
  });

  it('a missing app is 403 without ?project= and 404 with it', async () => {
    expect((await api('/api/v1/applications/ws1-nobody-here')).status).toBe(403);
    const { status, body } = await api('/api/v1/applications/ws1-nobody-here?project=default');
    expect(status).toBe(404);
    expect(body).toMatchObject({ code: 5, message: 'applications.argoproj.io "ws1-nobody-here" not found' });
  });
});

describe('conflicts', () => {
  it('duplicate names: the first path in byte order wins, and ErrorOccurred names the duplicate', async () => {
    chart('ws1', 'dup', 'a-b');
    const rogue = chart('ws1-dup', 'a', 'b');
    await repo.commitAndPush('Two folders, one app name');
    await reconcile();
    const app = (await api('/api/v1/applications/ws1-dup-a-b')).body;
    expect(app.spec.source.path).toBe('apps/ws1-dup/a/b');
    expect(app.spec.destination.namespace).toBe('user-a');
    const set = await appSet();
    expect(condition(set, 'ErrorOccurred')).toMatchObject({
      status: 'True',
      reason: 'ApplicationValidationError',
      message: 'ApplicationSet user-projects contains applications with duplicate name: ws1-dup-a-b',
    });
    expect(condition(set, 'ParametersGenerated')?.status).toBe('True');
    expect(condition(set, 'ResourcesUpToDate')).toMatchObject({ status: 'False', reason: 'ApplicationValidationError' });

    rmSync(rogue, { recursive: true });
    await repo.commitAndPush('Remove the duplicate');
    await reconcile();
    expect((await api('/api/v1/applications/ws1-dup-a-b')).body.spec.source.path).toBe('apps/ws1/dup/a-b');
    expect(condition(await appSet(), 'ErrorOccurred')?.status).toBe('False');
  });

  it('two apps with one resource: SharedResourceWarning on the newcomer, naming the resource and the other app', async () => {
    const dir = chart('ws2', 'alice', 'shop');
    // Same user and project in another workspace: the same namespace, and here the same names.
    const valuesFile = path.join(dir, 'values.yaml');
    writeFileSync(valuesFile, stringify({ ...(parse(readFileSync(valuesFile, 'utf8')) as object), appName: 'ws1-alice-shop' }));
    await repo.commitAndPush('A folder written around the engine');
    await reconcile();
    const app = await waitFor(
      () => api('/api/v1/applications/ws2-alice-shop'),
      (r) => (r.body.status?.conditions as Body[] | undefined)?.some((c) => c.type === 'SharedResourceWarning') === true,
    );
    expect(condition(app.body, 'SharedResourceWarning')?.message).toBe(
      'Deployment/ws1-alice-shop is part of applications argocd/ws2-alice-shop and ws1-alice-shop',
    );

    rmSync(dir, { recursive: true });
    await repo.commitAndPush('Remove it');
    await reconcile();
    const ours = (await api('/api/v1/applications/ws1-alice-shop?refresh=normal')).body;
    expect(ours.status.conditions).toBeUndefined();
  });
});

describe('a folder the generator does not match', () => {
  it('never becomes an app: 404 with ?project=, the ApplicationSet reports no error and does not list it', async () => {
    await control('generator', { unmatched: ['ws1-never-made'] });
    chart('ws1', 'never', 'made');
    await repo.commitAndPush('An app the generator skips');
    await reconcile();
    expect((await api('/api/v1/applications/ws1-never-made?project=default')).status).toBe(404);
    const set = await appSet();
    expect(condition(set, 'ErrorOccurred')?.status).toBe('False');
    expect((set.status.resources as Body[]).map((r) => r.name)).not.toContain('ws1-never-made');
    await control('generator', { unmatched: [] });
    await reconcile();
    expect((await api('/api/v1/applications/ws1-never-made?project=default')).status).toBe(200);
  });
});
