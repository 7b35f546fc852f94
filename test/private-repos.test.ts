// Private repositories end to end: the GitHub simulator serves them over smart HTTP through the
// real `git http-backend` and requires a token, exactly as github.com does. Without a credential,
// or with a refused one, resolve_source fails at once with source_access_denied; with a stored
// token or a GitHub App installation token, the worker's clone and the Jenkins checkout both
// read the repository, and no credential appears in logs, Temporal history, GitOps, API answers
// or Jenkins' API.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStack, waitForDeployment, type DeploymentBody, type TestStack } from './support/stack.js';
import { startGitHubFixture, TOKEN, type GitHubFixture, type RegisteredApp } from '../simulators/github/test-helpers.js';
import { expectSecretsNowhere, workflowHistories } from './support/secret-search.js';
import { gitIn } from './support/git.js';

const APP_FILES = {
  'package.json': JSON.stringify({ name: 'private-app', version: '1.0.0', scripts: { start: 'node index.js' } }),
  'index.js': 'console.log("private")\n',
};
const GITHUB_TOKEN_SHAPE = /\bghs_[A-Za-z0-9]{36,}/;

let github: GitHubFixture;
let app: RegisteredApp;
let stack: TestStack;
const logs: string[] = [];
const responses: string[] = [];
const deployments: string[] = [];
let repoCounter = 0;

beforeAll(async () => {
  github = await startGitHubFixture();
  app = await github.registerApp('deploy-engine');
  stack = await startStack({
    logLevel: 'debug',
    logSink: (line) => logs.push(line),
    env: {
      GITHUB_API_URL: github.url,
      GITHUB_APP_ID: String(app.id),
      GITHUB_APP_PRIVATE_KEY: app.privateKeyPem,
      REPO_HOSTS: 'github.com,git.example.com,127.0.0.1',
      ALLOW_LOOPBACK_REPOS: 'true',
    },
  });
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await github?.close();
});

async function call<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await stack.api<T>(method, route, body);
  responses.push(JSON.stringify(res.body ?? ''));
  return res;
}

/** A private repository on the simulator and a project on it. */
async function privateProject(name: string): Promise<{ projectId: string; owner: string; repo: string; commitSha: string }> {
  const repo = `private-${++repoCounter}`;
  const created = await github.createGitRepo({ owner: 'acme', repo, private: true, files: APP_FILES });
  const project = await call<{ id: string }>('POST', '/v1/projects', { name, userId: 'alice', repoUrl: created.cloneUrl, branch: 'main', appPort: 8080 });
  expect(project.status, JSON.stringify(project.body)).toBe(201);
  return { projectId: project.body.id, owner: 'acme', repo, commitSha: created.commitSha };
}

async function deploy(projectId: string): Promise<DeploymentBody & { elapsedMs: number }> {
  const started = Date.now();
  const requested = await call<DeploymentBody>('POST', `/v1/projects/${projectId}/deployments`, {});
  expect(requested.status).toBe(202);
  deployments.push(requested.body.id);
  const done = await waitForDeployment(stack, requested.body.id, { timeoutMs: 90_000 });
  responses.push(JSON.stringify(done));
  return { ...done, elapsedMs: Date.now() - started };
}

const jenkinsTriggers = () =>
  Object.entries(stack.world.jenkins.counters.snapshot().routes)
    .filter(([route]) => route.includes('buildWithParameters'))
    .reduce((sum, [, n]) => sum + n, 0);

describe('private repositories', () => {
  it('without a credential: resolve_source fails at once with source_access_denied, saying what to set', async () => {
    const { projectId } = await privateProject('nocred');
    const before = jenkinsTriggers();
    const result = await deploy(projectId);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ step: 'resolve_source', type: 'source_access_denied' });
    expect(result.error!.message).toMatch(/needs a credential and none was given/);
    expect(result.error!.message).toContain(`PUT /v1/projects/${projectId}/repo-credential`);
    expect(result.error!.message).toMatch(/GitHub App .* is not installed on acme\/private-/);
    // Terminal: no retry waits out the step's two minutes.
    expect(result.elapsedMs).toBeLessThan(15_000);
    expect(jenkinsTriggers()).toBe(before);
  });

  it('with a refused token: source_access_denied naming the stored credential', async () => {
    const { projectId } = await privateProject('badcred');
    const put = await call('PUT', `/v1/projects/${projectId}/repo-credential`, { token: 'ghp_thisTokenIsNotKnownToTheSimulator00' });
    expect(put.status).toBe(200);
    const result = await deploy(projectId);
    expect(result.status).toBe('failed');
    expect(result.error).toMatchObject({ step: 'resolve_source', type: 'source_access_denied' });
    expect(result.error!.message).toMatch(/refused the credential/);
    expect(result.error!.message).toMatch(/repository credential was refused/);
    expect(result.elapsedMs).toBeLessThan(15_000);
  });

  it('with a stored token: the worker and Jenkins read the repository with it, and it is never shown again', async () => {
    const { projectId, owner, repo, commitSha } = await privateProject('stored');
    const put = await call<{ username: string; setAt: string }>('PUT', `/v1/projects/${projectId}/repo-credential`, { token: TOKEN });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ username: 'x-access-token', setAt: expect.any(String) });
    const project = await call<{ repoCredential: unknown }>('GET', `/v1/projects/${projectId}`);
    expect(project.body.repoCredential).toEqual({ username: 'x-access-token', setAt: put.body.setAt });
    // Stored encrypted: the column holds an envelope, not the token.
    const row = await stack.db.project.findUniqueOrThrow({ where: { id: projectId } });
    expect(row.repoCredential).not.toContain(TOKEN);
    expect(Buffer.from(row.repoCredential!, 'base64url').toString()).not.toContain(TOKEN);

    const result = await deploy(projectId);
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.commitSha).toBe(commitSha);
    expect(await github.gitRequests(owner, repo)).toBeGreaterThanOrEqual(4); // worker: ls-remote + fetch; Jenkins: fetch
    const log = await stack.app.request(`/v1/deployments/${result.id}/logs`, { headers: { authorization: `Bearer ${stack.token}` } });
    const text = await log.text();
    responses.push(text);
    expect(text).toContain('using credential REPO_TOKEN');

    // Removing it: the next deploy is refused again.
    expect((await call('DELETE', `/v1/projects/${projectId}/repo-credential`)).status).toBe(204);
    expect((await call<{ repoCredential: unknown }>('GET', `/v1/projects/${projectId}`)).body.repoCredential).toBeNull();
    expect((await deploy(projectId)).error).toMatchObject({ type: 'source_access_denied' });
  });

  it('with the GitHub App installed: an installation token for that one repository, nothing stored', async () => {
    const { projectId, owner, repo, commitSha } = await privateProject('viaapp');
    await github.installApp(app.id, [`${owner}/${repo}`]);
    const result = await deploy(projectId);
    expect(result.status, JSON.stringify(result.error)).toBe('succeeded');
    expect(result.commitSha).toBe(commitSha);
    expect((await stack.db.project.findUniqueOrThrow({ where: { id: projectId } })).repoCredential).toBeNull();
    const log = await (await stack.app.request(`/v1/deployments/${result.id}/logs`, { headers: { authorization: `Bearer ${stack.token}` } })).text();
    responses.push(log);
    expect(log).toContain('using credential REPO_TOKEN');
  });

  it('bad credential bodies are 400 naming the field, and change nothing', async () => {
    const { projectId } = await privateProject('badbody');
    for (const body of [
      { token: 'short' },
      { token: 'has a space in it' },
      { token: 'line\r\nX-Injected: 1' },
      { token: 'ok-token-value', username: 'a:b' },
      { token: 'ok-token-value', extra: 1 },
    ]) {
      const answer = await call<{ error: { code: string; details: Array<{ field: string }> } }>('PUT', `/v1/projects/${projectId}/repo-credential`, body);
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.error.code).toBe('invalid_request');
    }
    expect((await stack.db.project.findUniqueOrThrow({ where: { id: projectId } })).repoCredential).toBeNull();
  });

  it('no credential appears in logs, Temporal history, the GitOps repository, API answers or Jenkins', async () => {
    const histories = await workflowHistories(
      inject('temporalAddress'),
      deployments.map((d) => `deployment/${d}`),
    );
    const jenkinsAnswers: string[] = [];
    for (const number of [1, 2, 3, 4]) {
      const auth = { authorization: `Basic ${Buffer.from(`${stack.config.JENKINS_USER}:${stack.config.JENKINS_API_TOKEN}`).toString('base64')}` };
      for (const suffix of ['api/json?depth=2', 'consoleText']) {
        const res = await fetch(`${stack.world.urls.jenkins}/job/platform/job/app-build/${number}/${suffix}`, { headers: auth });
        if (res.ok) jenkinsAnswers.push(await res.text());
      }
    }
    expect(jenkinsAnswers.length).toBeGreaterThanOrEqual(4);
    expect(histories.length).toBeGreaterThan(1000);
    expect(logs.length).toBeGreaterThan(0);
    expectSecretsNowhere(
      {
        'stored token': TOKEN,
        'stored token as a Basic header': Buffer.from(`x-access-token:${TOKEN}`).toString('base64'),
        'any installation token': GITHUB_TOKEN_SHAPE,
        'the app private key': app.privateKeyPem.split('\n')[1]!,
      },
      {
        logs: logs.join('\n'),
        'workflow history': histories,
        'GitOps repository': gitIn(stack.gitopsRepo, 'log', '-p', '--all'),
        'API responses': responses.join('\n'),
        'Jenkins API and console': jenkinsAnswers.join('\n'),
      },
    );
  });
});
