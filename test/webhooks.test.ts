// GitHub push webhooks: signed pushes deploy exactly once, everything else is refused or
// recorded with the reason it did not deploy.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo, type AppRepo } from './support/git.js';
import { signatureFor } from '../api/webhooks/signature.js';
import { postWebhook, type DeliveryOptions } from './support/webhook.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack();
}, 120_000);
afterAll(async () => stack?.close());

interface Project {
  id: string;
  appName: string;
  webhookSecret: string;
}
let n = 0;
async function project(branch = 'main'): Promise<{ project: Project; repo: AppRepo }> {
  n += 1;
  const repo = createAppRepo(path.join(stack.dir, `src-hook${n}`));
  const created = await stack.api<Project>('POST', '/v1/projects', { name: `hook${n}`, userId: 'jo', repoUrl: repo.url, branch, appPort: 8080 });
  expect(created.body.webhookSecret).toMatch(/.{20,}/);
  return { project: created.body, repo };
}

function pushPayload(repo: AppRepo, after: string, ref = 'refs/heads/main', extra: Record<string, unknown> = {}) {
  return {
    ref,
    before: '0'.repeat(40),
    after,
    created: false,
    deleted: false,
    forced: false,
    head_commit: { id: after, message: 'change' },
    repository: { id: 1, name: 'app', full_name: 'acme/app', clone_url: `file://${repo.dir}`, html_url: `file://${repo.dir}`, default_branch: 'main' },
    pusher: { name: 'jo' },
    sender: { login: 'jo' },
    ...extra,
  };
}

async function deliver(body: string, options: Omit<DeliveryOptions, 'project'> = {}) {
  const deliveryId = options.deliveryId ?? randomUUID();
  const res = await postWebhook(stack.app, body, { ...options, deliveryId });
  return { status: res.status, body: await res.json(), deliveryId };
}
const deploymentsOf = async (projectId: string) => (await stack.api<{ items: DeploymentBody[] }>('GET', `/v1/projects/${projectId}/deployments`)).body.items;
const deliveriesOf = async (projectId: string) =>
  (await stack.api<{ items: any[] }>('GET', `/v1/projects/${projectId}/webhook-deliveries?limit=100`)).body.items;

describe('GitHub webhooks', () => {
  it('verifies the GitHub test vector', () => {
    expect(signatureFor("It's a Secret to Everybody", Buffer.from('Hello, World!'))).toBe(
      'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17',
    );
  });

  it('a signed push deploys exactly the pushed commit once; redeliveries and the same push through a second hook deploy nothing more', async () => {
    const { project: p, repo } = await project();
    const sha = repo.commit({ 'index.js': 'console.log(2)\n' }, 'v2');
    const body = JSON.stringify(pushPayload(repo, sha));
    const first = await deliver(body, { secret: p.webhookSecret });
    expect(first.status).toBe(200);
    expect(first.body.results).toEqual([expect.objectContaining({ projectId: p.id, outcome: 'deployed' })]);
    const deployment = await waitForDeployment(stack, first.body.results[0].deploymentId, { timeoutMs: 60_000 });
    expect(deployment).toMatchObject({ status: 'succeeded', trigger: 'webhook', commitSha: sha });

    const again = await deliver(body, { secret: p.webhookSecret, deliveryId: first.deliveryId });
    expect(again.status).toBe(200);
    expect(again.body.results[0].outcome).toBe('duplicate');
    const otherHook = await deliver(body, { secret: p.webhookSecret });
    expect(otherHook.body.results[0].outcome).toBe('duplicate');
    expect(await deploymentsOf(p.id)).toHaveLength(1);
  }, 90_000);

  it('unsigned, wrongly signed and other-project-signed requests are 401, deploy nothing, and are recorded without their body', async () => {
    const { project: p, repo } = await project();
    const { project: other } = await project();
    const body = JSON.stringify(pushPayload(repo, repo.head()));
    expect((await deliver(body, {})).status).toBe(401);
    expect((await deliver(body, { signature: `sha256=${'0'.repeat(64)}` })).status).toBe(401);
    expect((await deliver(body, { signature: 'sha1=abc' })).status).toBe(401);
    const foreign = await deliver(body, { secret: other.webhookSecret });
    expect(foreign.status).toBe(401);
    expect(foreign.body.error.code).toBe('unauthorized');
    expect(await deploymentsOf(p.id)).toHaveLength(0);
    const recorded = await deliveriesOf(p.id);
    expect(recorded.filter((d) => d.outcome === 'rejected')).toHaveLength(4);
    expect(recorded.every((d) => d.signatureOk === false && d.afterSha === null && d.repository === null)).toBe(true);
  });

  it('accepts form-encoded payloads, answers ping, and records what did not deploy with the reason', async () => {
    const { project: p, repo } = await project();
    const ping = await deliver(
      JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1, repository: { full_name: 'acme/app', clone_url: `file://${repo.dir}` } }),
      { secret: p.webhookSecret, event: 'ping' },
    );
    expect(ping.body.results[0].outcome).toBe('ping');
    const form = (payload: unknown) => `payload=${encodeURIComponent(JSON.stringify(payload))}`;
    const formOpts = { secret: p.webhookSecret, contentType: 'application/x-www-form-urlencoded' };
    const tag = await deliver(form(pushPayload(repo, repo.head(), 'refs/tags/v1.0.0')), formOpts);
    const deleted = await deliver(form(pushPayload(repo, '0'.repeat(40), 'refs/heads/main', { deleted: true, head_commit: null })), formOpts);
    const otherBranch = await deliver(form(pushPayload(repo, repo.head(), 'refs/heads/feature')), formOpts);
    expect([tag, deleted, otherBranch].map((r) => r.status)).toEqual([200, 200, 200]);
    expect(tag.body.results[0]).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/Tag push/) });
    expect(deleted.body.results[0]).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/deleted/) });
    expect(otherBranch.body.results[0]).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/not the tracked branch/) });
    expect(await deploymentsOf(p.id)).toHaveLength(0);
    const recorded = await deliveriesOf(p.id);
    expect(recorded.map((d) => d.outcome).sort()).toEqual(['ignored', 'ignored', 'ignored', 'ping']);
  });

  it('a paused project (after a rollback) records the push as not deployed: auto-deploy paused', async () => {
    const { project: p, repo } = await project();
    await stack.db.project.update({ where: { id: p.id }, data: { autoDeployPausedAt: new Date(), autoDeployPauseReason: 'Rolled back to abc1234 by test' } });
    const res = await deliver(JSON.stringify(pushPayload(repo, repo.commit({ 'a.txt': '1' }))), { secret: p.webhookSecret });
    expect(res.body.results[0]).toMatchObject({ outcome: 'ignored', reason: expect.stringMatching(/^auto-deploy paused/) });
    expect(await deploymentsOf(p.id)).toHaveLength(0);
  });

  it('twenty pushes within a second: the last commit goes live, nothing overlaps, every delivery is listed', async () => {
    const { project: p, repo } = await project();
    stack.world.scenarios.set(p.appName, { build: { durationMs: 800, logLines: 5 } });
    const shas = Array.from({ length: 20 }, (_, i) => repo.commit({ 'index.js': `console.log(${i})\n` }, `c${i}`));
    const started = Date.now();
    const answers = [];
    for (const sha of shas) answers.push(await deliver(JSON.stringify(pushPayload(repo, sha)), { secret: p.webhookSecret }));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(answers.every((a) => a.status === 200 && a.body.results[0].outcome === 'deployed')).toBe(true);
    const ids: string[] = answers.map((a) => a.body.results[0].deploymentId);
    const finals = await Promise.all(ids.map((id) => waitForDeployment(stack, id, { timeoutMs: 90_000 })));
    const live = await stack.api<{ liveDeployment: DeploymentBody }>('GET', `/v1/projects/${p.id}`);
    expect(live.body.liveDeployment.commitSha).toBe(shas.at(-1));
    const ran = finals.filter((d) => d.startedAt).sort((a, b) => Date.parse(a.startedAt!) - Date.parse(b.startedAt!));
    for (let i = 1; i < ran.length; i += 1) expect(Date.parse(ran[i]!.startedAt!)).toBeGreaterThanOrEqual(Date.parse(ran[i - 1]!.finishedAt!));
    expect(finals.filter((d) => d.status === 'superseded').length).toBeGreaterThan(10);
    const recorded = await deliveriesOf(p.id);
    expect(recorded).toHaveLength(20);
    expect(new Set(recorded.map((d) => d.deploymentId)).size).toBe(20);
  }, 120_000);
});
