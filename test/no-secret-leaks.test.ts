// No configured secret appears in the logs, the Temporal history of a deploy and a rollback,
// the GitOps repository, or any API response after creation. Repository credentials (a stored
// token and GitHub App installation tokens) get the same search in test/private-repos.test.ts.
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo, gitIn } from './support/git.js';
import { postWebhook } from './support/webhook.js';
import { expectSecretsNowhere, workflowHistories } from './support/secret-search.js';
import { ensureWorkspacePullAccess } from '../activities/pull-access.js';

const PULL_TOKEN = `pull-credentials-${randomUUID()}`;

const logs: string[] = [];
const responses: string[] = [];
let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ logLevel: 'debug', logSink: (line) => logs.push(line), env: { PULL_CREDENTIALS_TOKEN: PULL_TOKEN } });
}, 120_000);
afterAll(async () => stack?.close());

async function call<T = any>(method: string, route: string, body?: unknown): Promise<{ status: number; body: T }> {
  const res = await stack.api<T>(method, route, body);
  responses.push(JSON.stringify(res.body ?? ''));
  return res;
}

describe('secrets stay secret', () => {
  it('appear in no log, workflow history, GitOps commit or API response of a deploy, a webhook and a rollback', async () => {
    const repo = createAppRepo(path.join(stack.dir, 'src-secret'));
    const created = await stack.api<{ id: string; webhookSecret: string }>('POST', '/v1/projects', {
      name: 'secret',
      userId: 'max',
      repoUrl: repo.url,
      branch: 'main',
      appPort: 8080,
    });
    const webhookSecret = created.body.webhookSecret;
    const first = await call<DeploymentBody>('POST', `/v1/projects/${created.body.id}/deployments`, {});
    await waitForDeployment(stack, first.body.id, { timeoutMs: 60_000 });
    const sha = repo.commit({ 'index.js': 'console.log("two")\n' });
    const payload = JSON.stringify({ ref: 'refs/heads/main', after: sha, repository: { clone_url: `file://${repo.dir}` } });
    const hook = await postWebhook(stack.app, payload, { secret: webhookSecret, deliveryId: 'd-1' });
    const hookBody = (await hook.json()) as { results: Array<{ deploymentId: string }> };
    responses.push(JSON.stringify(hookBody));
    await waitForDeployment(stack, hookBody.results[0]!.deploymentId, { timeoutMs: 60_000 });
    const rollback = await call<DeploymentBody>('POST', `/v1/projects/${created.body.id}/rollback`, {});
    await waitForDeployment(stack, rollback.body.id, { timeoutMs: 60_000 });
    for (const route of [
      `/v1/projects/${created.body.id}`,
      '/v1/projects',
      `/v1/projects/${created.body.id}/deployments`,
      `/v1/projects/${created.body.id}/releases`,
      `/v1/projects/${created.body.id}/webhook-deliveries`,
      `/v1/deployments/${first.body.id}`,
      '/v1/tokens',
    ])
      await call('GET', route);
    responses.push(await (await stack.app.request(`/v1/deployments/${first.body.id}/logs`, { headers: { authorization: `Bearer ${stack.token}` } })).text());

    // Temporal: the history of every deployment workflow and of the lane.
    const histories = await workflowHistories(inject('temporalAddress'), [
      `project/${created.body.id}`,
      ...[first.body.id, hookBody.results[0]!.deploymentId, rollback.body.id].map((d) => `deployment/${d}`),
    ]);
    const gitops = gitIn(stack.gitopsRepo, 'log', '-p', '--all');

    const { config } = stack;
    const secrets = {
      JENKINS_API_TOKEN: config.JENKINS_API_TOKEN,
      HARBOR_PASSWORD: config.HARBOR_PASSWORD,
      ARGOCD_PASSWORD: config.ARGOCD_PASSWORD,
      DEV_API_TOKEN: stack.token,
      webhookSecret,
    };
    expect(logs.length).toBeGreaterThan(0);
    expect(histories.length).toBeGreaterThan(1000);
    expectSecretsNowhere(secrets, { logs: logs.join('\n'), 'workflow history': histories, 'GitOps repository': gitops, 'API responses': responses.join('\n') });
  }, 180_000);

  it("a workspace pull robot's secret reaches External Secrets only: not the logs, not the activity's answer", async () => {
    const before = logs.length;
    const access = await ensureWorkspacePullAccess(
      { db: stack.db, config: stack.config, logger: stack.logger, harbor: stack.clients.harborRobotAdmin },
      stack.config.DEV_WORKSPACE_ID,
    );
    const answer = await stack.app.request(`/v1/pull-credentials/${stack.config.DEV_WORKSPACE_ID}`, { headers: { authorization: `Bearer ${PULL_TOKEN}` } });
    expect(answer.status).toBe(200);
    const { password } = (await answer.json()) as { password: string };
    const gitops = gitIn(stack.gitopsRepo, 'log', '-p', '--all');
    expect(logs.length).toBeGreaterThan(before); // the request and the robot were logged, without the secret
    expectSecretsNowhere(
      { robotSecret: password, PULL_CREDENTIALS_TOKEN: PULL_TOKEN },
      { logs: logs.join('\n'), 'GitOps repository': gitops, "the activity's answer": JSON.stringify(access) },
    );
  }, 60_000);
});
