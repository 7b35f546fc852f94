// Caps on deployments waiting to start, per project and per workspace, and the JSON body limit.
// No worker runs here, so every accepted deployment stays queued and the counts are exact.
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from './support/stack.js';
import { createTenant, type Tenant } from './support/tenants.js';
import { createAppRepo } from './support/git.js';
import { postWebhook } from './support/webhook.js';

let stack: TestStack;
let dev: Tenant;
let other: Tenant;
let repoUrl: string;
let repoDir: string;
beforeAll(async () => {
  stack = await startStack({ noWorker: true, env: { MAX_QUEUED_PER_PROJECT: '3', MAX_QUEUED_PER_WORKSPACE: '5', MAX_BODY_BYTES: '2048' } });
  dev = await createTenant(stack, stack.config.DEV_WORKSPACE_ID);
  other = await createTenant(stack, 'other');
  const repo = createAppRepo(path.join(stack.dir, 'src'));
  repoUrl = repo.url;
  repoDir = repo.dir;
}, 120_000);
afterAll(async () => stack?.close());

const createProject = async (tenant: Tenant, name: string, userId: string) => {
  const created = await tenant.call<{ id: string; webhookSecret: string }>('admin', 'POST', '/v1/projects', { name, userId, repoUrl, appPort: 8080 });
  expect(created.status).toBe(201);
  return created.body;
};
const deploy = (tenant: Tenant, projectId: string) => tenant.call('deployer', 'POST', `/v1/projects/${projectId}/deployments`, {});
const queued = (where: { projectId?: string; workspaceId?: string }) => stack.db.deployment.count({ where: { ...where, status: 'queued' } });

describe('queue caps', () => {
  it('a project takes 3 waiting deployments, a workspace 5; the next gets 429 queue_full with Retry-After', async () => {
    const p1 = await createProject(dev, 'cap1', 'ann');
    const p2 = await createProject(dev, 'cap2', 'ann');
    const first = [];
    for (let i = 0; i < 4; i += 1) first.push(await deploy(dev, p1.id));
    expect(first.map((r) => r.status)).toEqual([202, 202, 202, 429]);
    expect(first[3]!.body.error.code).toBe('queue_full');
    expect(first[3]!.body.error.message).toContain('project already has 3');
    expect(first[3]!.headers.get('retry-after')).toBe('30');
    const second = [];
    for (let i = 0; i < 3; i += 1) second.push(await deploy(dev, p2.id));
    expect(second.map((r) => r.status)).toEqual([202, 202, 429]);
    expect(second[2]!.body.error.message).toContain('workspace already has 5');
    expect(await queued({ workspaceId: stack.config.DEV_WORKSPACE_ID })).toBe(5);
    // Another workspace has its own allowance.
    const theirs = await createProject(other, 'cap3', 'bea');
    expect((await deploy(other, theirs.id)).status).toBe(202);
  });

  it('parallel requests cannot overshoot the cap', async () => {
    const p = await createProject(other, 'cap4', 'cid');
    const answers = await Promise.all(Array.from({ length: 10 }, () => deploy(other, p.id)));
    expect(answers.filter((r) => r.status === 202)).toHaveLength(3);
    expect(answers.filter((r) => r.status === 429)).toHaveLength(7);
    expect(await queued({ projectId: p.id })).toBe(3);
  });

  it('a push refused by a full queue is recorded as failed, and its redelivery deploys once there is room', async () => {
    const tenant = await createTenant(stack, 'hooks');
    const p = await createProject(tenant, 'cap5', 'dot');
    for (let i = 0; i < 3; i += 1) expect((await deploy(tenant, p.id)).status).toBe(202);
    const after = 'a'.repeat(40);
    const body = JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after,
      deleted: false,
      repository: { full_name: 'acme/app', clone_url: `file://${repoDir}` },
      pusher: { name: 'dot' },
    });
    const deliveryId = randomUUID();
    const send = () => postWebhook(stack.app, body, { project: p.id, secret: p.webhookSecret, deliveryId });
    expect((await send()).status).toBe(429);
    const deliveries = await tenant.call('viewer', 'GET', `/v1/projects/${p.id}/webhook-deliveries`);
    expect(deliveries.body.items[0]).toMatchObject({ deliveryId, outcome: 'failed' });
    expect(deliveries.body.items[0].reason).toContain('waiting to start');
    // The queue drains (as the lane would start them), and GitHub's "Redeliver" sends the same id.
    await stack.db.deployment.updateMany({ where: { projectId: p.id, status: 'queued' }, data: { status: 'cancelled' } });
    const again = await send();
    expect(again.status).toBe(200);
    expect((await again.json()).results[0].outcome).toBe('deployed');
    expect(await queued({ projectId: p.id })).toBe(1);
    expect((await send()).status).toBe(200); // a third copy is a duplicate
    expect(await queued({ projectId: p.id })).toBe(1);
  });
});

describe('body limit', () => {
  it('refuses JSON bodies over MAX_BODY_BYTES with 413 and creates nothing', async () => {
    const before = await stack.db.project.count();
    const big = await dev.call('admin', 'POST', '/v1/projects', { name: 'big', userId: 'eve', repoUrl, appPort: 8080, pad: 'x'.repeat(4096) });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('payload_too_large');
    expect(await stack.db.project.count()).toBe(before);
    // Just under the limit, the body is read and judged by the schema.
    const small = await dev.call('admin', 'POST', '/v1/projects', { name: 'small', userId: 'eve', repoUrl, appPort: 8080, pad: 'x'.repeat(100) });
    expect(small.status).toBe(400);
    expect(small.body.error.details[0].rule).toContain('unknown field');
  });
});
