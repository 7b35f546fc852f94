// Names in the shared cluster cannot be claimed twice: the joins `<ws>-<user>-<project>`,
// `user-<user>/<user>-<project>` and `<project>-<user>.<apps domain>` meet for different ids,
// so project creation compares every cluster name with all projects of all workspaces.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from './support/stack.js';
import { createTenant, type Tenant } from './support/tenants.js';
import { createAppRepo } from './support/git.js';

let stack: TestStack;
let ab: Tenant;
let a: Tenant;
let repoUrl: string;
beforeAll(async () => {
  stack = await startStack({ noWorker: true });
  ab = await createTenant(stack, 'a-b');
  a = await createTenant(stack, 'a');
  repoUrl = createAppRepo(path.join(stack.dir, 'src')).url;
}, 120_000);
afterAll(async () => stack?.close());

const project = (name: string, userId: string, extra: Record<string, unknown> = {}) => ({ name, userId, repoUrl, appPort: 8080, ...extra });
const projectCount = () => stack.db.project.count();

describe('cluster names belong to one project', () => {
  it('refuses an application name that another workspace already has (ws a-b + user c = ws a + user b-c)', async () => {
    expect((await ab.call('admin', 'POST', '/v1/projects', project('shop', 'c'))).status).toBe(201);
    const before = await projectCount();
    const clash = await a.call('admin', 'POST', '/v1/projects', project('shop', 'b-c'));
    expect(clash.status).toBe(409);
    expect(clash.body.error.code).toBe('name_taken');
    expect(clash.body.error.message).toContain('application name a-b-c-shop');
    expect(await projectCount()).toBe(before);
  });

  it('refuses the same user and project in a second workspace (same namespace, release and host)', async () => {
    expect((await a.call('admin', 'POST', '/v1/projects', project('blog', 'dana'))).status).toBe(201);
    const clash = await ab.call('admin', 'POST', '/v1/projects', project('blog', 'dana'));
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toContain('Helm release user-dana/dana-blog');
    // The answer says nothing of the workspace that holds the name.
    expect(clash.text).not.toMatch(/"a"|workspace a\b/);
  });

  it('refuses a generated host that another project already has (project a-b + user c = project a + user b-c)', async () => {
    expect((await a.call('admin', 'POST', '/v1/projects', project('x-y', 'zed'))).status).toBe(201);
    const clash = await a.call('admin', 'POST', '/v1/projects', project('x', 'y-zed'));
    expect(clash.status).toBe(409);
    expect(clash.body.error.message).toContain('host x-y-zed.apps.localhost');
  });

  it('refuses a custom domain another workspace uses, and custom domains under the apps domain', async () => {
    expect((await a.call('admin', 'POST', '/v1/projects', project('site', 'erin', { customDomain: 'www.example.org' }))).status).toBe(201);
    const taken = await ab.call('admin', 'POST', '/v1/projects', project('site2', 'finn', { customDomain: 'www.example.org' }));
    expect(taken.status).toBe(409);
    expect(taken.body.error.message).toContain('host www.example.org');
    const reserved = await ab.call('admin', 'POST', '/v1/projects', project('site3', 'finn', { customDomain: 'shop-c.apps.localhost' }));
    expect(reserved.status).toBe(400);
    expect(reserved.body.error.details).toEqual([{ field: 'customDomain', rule: 'must not be apps.localhost or a subdomain of it' }]);
  });

  it('keeps the names of a deleted project until its undeploy has finished (no worker here: it never does)', async () => {
    const created = await ab.call('admin', 'POST', '/v1/projects', project('old', 'gus'));
    expect((await ab.call('admin', 'DELETE', `/v1/projects/${created.body.id}`)).status).toBe(202);
    const clash = await a.call('admin', 'POST', '/v1/projects', project('old', 'gus'));
    expect(clash.status).toBe(409);
    // Another workspace learns only that the name is taken, not whose undeploy holds it.
    expect(clash.body.error.code).toBe('name_taken');
    const own = await ab.call('admin', 'POST', '/v1/projects', project('old', 'gus'));
    expect(own.status).toBe(409);
    expect(own.body.error.code).toBe('undeploy_pending');
  });

  it('lets exactly one of many simultaneous clashing creations win', async () => {
    const before = await projectCount();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => (i % 2 ? a : ab).call('admin', 'POST', '/v1/projects', project('race', 'hal'))));
    expect(answers.map((r) => r.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(await projectCount()).toBe(before + 1);
  });

  it('still allows names that only look alike', async () => {
    expect((await a.call('admin', 'POST', '/v1/projects', project('shop', 'c2'))).status).toBe(201); // a-c2-shop
    expect((await ab.call('admin', 'POST', '/v1/projects', project('shop-2', 'c'))).status).toBe(201);
  });
});
