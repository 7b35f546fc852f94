// Conformance of the GitHub simulator with GitHub's REST API, over HTTP with plain fetch:
// paths, status codes, shapes, error bodies, headers, and the rules clients trip over.
import { createHash } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpWebhookDelivery } from './delivery.js';
import { signGitHubPayload } from './signature.js';
import { OTHER_TOKEN, SHA_DEV, SHA_MAIN, startGitHubFixture, TOKEN, type GitHubFixture } from './test-helpers.js';
import type { StoredHook } from './types.js';

const REQUEST_ID = /^[0-9A-F]{1,4}:[0-9A-F]{1,6}:[0-9A-F]{1,8}:[0-9A-F]{1,8}:[0-9A-F]{8}$/;
const DOC_URL = /^https:\/\/docs\.github\.com\/rest/;
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/;

interface Delivered {
  hook: StoredHook;
  event: string;
  payload: any;
  guid: string;
}

describe('GitHub simulator conformance', () => {
  let fx: GitHubFixture;
  const delivered: Delivered[] = [];
  let base: string;

  beforeAll(async () => {
    fx = await startGitHubFixture({
      webhookDelivery: async (hook, event, payload, delivery) => {
        delivered.push({ hook: structuredClone(hook), event, payload, guid: delivery.guid });
        if (hook.config.url.includes('fail')) throw new Error('receiver down');
      },
    });
    base = `${fx.url}/repos/acme/shop`;
  });
  afterAll(async () => {
    await fx?.close();
  });
  beforeEach(async () => {
    expect((await fx.control('/_sim/reset', { method: 'POST' })).status).toBe(204);
    delivered.length = 0;
  });

  const createHook = (config: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
    fx.api('/repos/acme/shop/hooks', { method: 'POST', json: { name: 'web', active: true, events: ['push'], config, ...extra } });
  const createDeployment = (body: Record<string, unknown>) => fx.api('/repos/acme/shop/deployments', { method: 'POST', json: body });

  describe('authentication and headers', () => {
    it('answers 401 Bad credentials for an unknown token and Requires authentication without one', async () => {
      const bad = await fetch(base, { headers: { authorization: 'token ghp_nope' } });
      expect(bad.status).toBe(401);
      expect(await bad.json()).toEqual({ message: 'Bad credentials', documentation_url: 'https://docs.github.com/rest', status: '401' });
      expect(bad.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(bad.headers.get('x-ratelimit-limit')).toBe('60');
      const none = await fetch(base);
      expect(none.status).toBe(401);
      expect(await none.json()).toMatchObject({ message: 'Requires authentication', status: '401' });
      const basic = await fetch(base, { headers: { authorization: `Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}` } });
      expect(basic.status).toBe(401);
    });

    it('accepts `token <t>` and `Bearer <t>`, and sends request id, rate limit and API version headers', async () => {
      const a = await fetch(base, { headers: { authorization: `token ${TOKEN}` } });
      const b = await fetch(base, { headers: { authorization: `Bearer ${TOKEN}`, 'x-github-api-version': '2022-11-28' } });
      const other = await fetch(base, { headers: { authorization: `bearer ${OTHER_TOKEN}` } });
      for (const res of [a, b, other]) {
        expect(res.status).toBe(200);
        expect(res.headers.get('x-github-request-id')).toMatch(REQUEST_ID);
        expect(res.headers.get('x-github-api-version-selected')).toBe('2022-11-28');
        expect(res.headers.get('x-ratelimit-limit')).toBe('5000');
        expect(res.headers.get('x-ratelimit-resource')).toBe('core');
        expect(Number(res.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      }
      expect(a.headers.get('x-github-request-id')).not.toBe(b.headers.get('x-github-request-id'));
      // The limit is counted per token.
      expect(Number(b.headers.get('x-ratelimit-remaining'))).toBe(Number(a.headers.get('x-ratelimit-remaining')) - 1);
      expect(Number(b.headers.get('x-ratelimit-used'))).toBe(Number(a.headers.get('x-ratelimit-used')) + 1);
      expect(other.headers.get('x-ratelimit-remaining')).toBe('4999');
    });

    it('refuses an unsupported X-GitHub-Api-Version with 400', async () => {
      const res = await fx.api('/repos/acme/shop', { headers: { 'x-github-api-version': '2019-01-01' } });
      expect(res.status).toBe(400);
      expect((await res.json()).message).toMatch(/X-GitHub-Api-Version/);
    });

    it('answers unknown paths with a GitHub 404 body', async () => {
      const res = await fx.api('/repos/acme/shop/no-such-thing');
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not Found', documentation_url: 'https://docs.github.com/rest', status: '404' });
    });
  });

  describe('repositories, branches, commits', () => {
    it('GET /repos/{owner}/{repo}', async () => {
      const res = await fx.api('/repos/acme/shop');
      expect(res.status).toBe(200);
      const repo = await res.json();
      expect(repo).toMatchObject({
        name: 'shop',
        full_name: 'acme/shop',
        private: false,
        default_branch: 'main',
        html_url: 'https://github.com/acme/shop',
        clone_url: 'https://github.com/acme/shop.git',
        ssh_url: 'git@github.com:acme/shop.git',
        url: `${fx.url}/repos/acme/shop`,
        owner: { login: 'acme', type: 'User' },
        visibility: 'public',
      });
      expect(typeof repo.id).toBe('number');
      expect((await (await fx.api('/repos/acme/secret-sauce')).json()).private).toBe(true);
    });

    it('finds repositories case-insensitively and answers 404 Not Found for unknown ones', async () => {
      expect((await (await fx.api('/repos/ACME/Shop')).json()).full_name).toBe('acme/shop');
      const res = await fx.api('/repos/acme/nope');
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ message: 'Not Found', documentation_url: expect.stringMatching(DOC_URL), status: '404' });
      expect((await fx.api('/repos/acme/nope/branches/main')).status).toBe(404);
      expect((await fx.api('/repos/acme/nope/hooks')).status).toBe(404);
      expect((await fx.api('/repos/acme/nope/deployments', { method: 'POST', json: { ref: 'main' } })).status).toBe(404);
    });

    it('GET .../branches/{branch}, with slashes encoded or not; 404 Branch not found', async () => {
      const res = await fx.api('/repos/acme/shop/branches/main');
      expect(res.status).toBe(200);
      const branch = await res.json();
      expect(branch).toMatchObject({
        name: 'main',
        protected: false,
        commit: { sha: SHA_MAIN, url: `${fx.url}/repos/acme/shop/commits/${SHA_MAIN}`, commit: { message: expect.any(String) } },
      });
      expect(branch._links.html).toBe('https://github.com/acme/shop/tree/main');
      for (const path of ['feature%2Flogin', 'feature/login']) {
        const b = await (await fx.api(`/repos/acme/shop/branches/${path}`)).json();
        expect(b).toMatchObject({ name: 'feature/login', commit: { sha: SHA_DEV } });
      }
      const missing = await fx.api('/repos/acme/shop/branches/nope');
      expect(missing.status).toBe(404);
      expect(await missing.json()).toEqual({
        message: 'Branch not found',
        documentation_url: 'https://docs.github.com/rest/branches/branches#get-a-branch',
        status: '404',
      });
      const generated = await (await fx.api('/repos/acme/secret-sauce/branches/trunk')).json();
      expect(generated.commit.sha).toMatch(/^[0-9a-f]{40}$/);
    });

    it('GET .../commits/{ref} by branch, full or short SHA; 422 No commit found for SHA', async () => {
      for (const ref of ['dev', SHA_DEV, SHA_DEV.slice(0, 7)]) {
        const res = await fx.api(`/repos/acme/shop/commits/${ref}`);
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({ sha: SHA_DEV, html_url: `https://github.com/acme/shop/commit/${SHA_DEV}`, parents: [] });
      }
      const missing = 'f'.repeat(40);
      const res = await fx.api(`/repos/acme/shop/commits/${missing}`);
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({
        message: `No commit found for SHA: ${missing}`,
        documentation_url: 'https://docs.github.com/rest/commits/commits#get-a-commit',
        status: '422',
      });
    });
  });

  describe('webhooks', () => {
    it('creates a hook: 201, GitHub shape, the secret never returned, then pings it', async () => {
      const res = await createHook({ url: 'https://engine.example.com/webhooks/github', content_type: 'json', secret: 'hook-secret-1', insecure_ssl: '0' });
      expect(res.status).toBe(201);
      const hook = await res.json();
      expect(hook).toEqual({
        type: 'Repository',
        id: expect.any(Number),
        name: 'web',
        active: true,
        events: ['push'],
        config: { url: 'https://engine.example.com/webhooks/github', content_type: 'json', insecure_ssl: '0', secret: '********' },
        updated_at: expect.stringMatching(ISO),
        created_at: expect.stringMatching(ISO),
        url: `${fx.url}/repos/acme/shop/hooks/${hook.id}`,
        test_url: `${fx.url}/repos/acme/shop/hooks/${hook.id}/test`,
        ping_url: `${fx.url}/repos/acme/shop/hooks/${hook.id}/pings`,
        deliveries_url: `${fx.url}/repos/acme/shop/hooks/${hook.id}/deliveries`,
        last_response: { code: null, status: 'unused', message: null },
      });
      expect(res.headers.get('location')).toBe(hook.url);
      expect(JSON.stringify(hook)).not.toContain('hook-secret-1');
      for (const path of [`/repos/acme/shop/hooks/${hook.id}`, '/repos/acme/shop/hooks']) {
        const text = await (await fx.api(path)).text();
        expect(text).toContain('"secret":"********"');
        expect(text).not.toContain('hook-secret-1');
      }
      await fx.sim.settled();
      expect(delivered).toHaveLength(1);
      expect(delivered[0]).toMatchObject({
        event: 'ping',
        hook: { id: hook.id, config: { secret: 'hook-secret-1' } },
        payload: { hook_id: hook.id, zen: expect.any(String), repository: { full_name: 'acme/shop' } },
      });
      expect(delivered[0]?.payload.hook.config.secret).toBe('********');
      expect(fx.sim.deliveries).toEqual([expect.objectContaining({ guid: delivered[0]?.guid, hookId: hook.id, event: 'ping', ok: true })]);
      expect((await (await fx.api(`/repos/acme/shop/hooks/${hook.id}`)).json()).last_response).toEqual({ code: 200, status: 'active', message: 'OK' });
    });

    it('defaults to content_type form, events [push], active; no secret means none shown', async () => {
      const hook = await (await fx.api('/repos/acme/shop/hooks', { method: 'POST', json: { config: { url: 'https://x.example.com/h' } } })).json();
      expect(hook).toMatchObject({
        name: 'web',
        active: true,
        events: ['push'],
        config: { url: 'https://x.example.com/h', content_type: 'form', insecure_ssl: '0' },
      });
      expect(hook.config).not.toHaveProperty('secret');
    });

    it('refuses a second hook for the same URL with 422 Hook already exists on this repository', async () => {
      expect((await createHook({ url: 'https://engine.example.com/h', content_type: 'json', secret: 'a' })).status).toBe(201);
      const res = await createHook({ url: 'https://engine.example.com/h', content_type: 'form', secret: 'b' });
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({
        message: 'Validation Failed',
        errors: [{ resource: 'Hook', code: 'custom', message: 'Hook already exists on this repository' }],
        documentation_url: 'https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook',
        status: '422',
      });
      expect(await (await fx.api('/repos/acme/shop/hooks')).json()).toHaveLength(1);
    });

    it('validates the config: URL required, content_type json|form, known events', async () => {
      const noUrl = await createHook({ content_type: 'json' });
      expect(noUrl.status).toBe(422);
      expect(await noUrl.json()).toMatchObject({
        message: 'Validation Failed',
        errors: [{ resource: 'Hook', code: 'custom', message: 'Config must contain URL for webhooks' }],
      });
      expect((await createHook({ url: 'https://x.example.com', content_type: 'xml' })).status).toBe(422);
      expect((await createHook({ url: 'https://x.example.com' }, { events: ['pushh'] })).status).toBe(422);
      const badType = await createHook({ url: 'https://x.example.com' }, { active: 'yes' });
      expect(badType.status).toBe(422);
      expect((await badType.json()).message).toMatch(/^Invalid request\.\n\nFor 'properties\/active'/);
      const badJson = await fx.api('/repos/acme/shop/hooks', { method: 'POST', body: '{"config":', headers: { 'content-type': 'application/json' } });
      expect(badJson.status).toBe(400);
      expect(await badJson.json()).toMatchObject({ message: 'Problems parsing JSON', status: '400' });
    });

    it('deletes a hook (204), then 404; GET of a missing or non-numeric id is 404', async () => {
      const hook = await (await createHook({ url: 'https://x.example.com/d', content_type: 'json' })).json();
      const del = await fx.api(`/repos/acme/shop/hooks/${hook.id}`, { method: 'DELETE' });
      expect(del.status).toBe(204);
      expect(await del.text()).toBe('');
      const again = await fx.api(`/repos/acme/shop/hooks/${hook.id}`, { method: 'DELETE' });
      expect(again.status).toBe(404);
      expect(await again.json()).toMatchObject({ message: 'Not Found', status: '404' });
      expect((await fx.api(`/repos/acme/shop/hooks/${hook.id}`)).status).toBe(404);
      expect((await fx.api('/repos/acme/shop/hooks/abc')).status).toBe(404);
    });

    it('pings a hook: 204 and a ping delivery; a failing receiver is recorded', async () => {
      const ok = await (await createHook({ url: 'https://x.example.com/p', content_type: 'json', secret: 's' })).json();
      const failing = await (await createHook({ url: 'https://x.example.com/fail', content_type: 'json' })).json();
      await fx.sim.settled();
      delivered.length = 0;
      const res = await fx.api(`/repos/acme/shop/hooks/${ok.id}/pings`, { method: 'POST' });
      expect(res.status).toBe(204);
      await fx.sim.settled();
      expect(delivered.map((d) => [d.hook.id, d.event])).toEqual([[ok.id, 'ping']]);
      expect((await fx.api('/repos/acme/shop/hooks/999/pings', { method: 'POST' })).status).toBe(404);
      const recorded = await (await fx.control('/_sim/github/deliveries?wait=true')).json();
      expect(recorded.find((d: any) => d.hookId === failing.id)).toMatchObject({ ok: false, error: 'receiver down' });
      expect((await (await fx.api(`/repos/acme/shop/hooks/${failing.id}`)).json()).last_response).toMatchObject({ status: 'failed' });
    });

    it('PATCH replaces the config (a missing secret removes it)', async () => {
      const hook = await (await createHook({ url: 'https://x.example.com/u', content_type: 'json', secret: 'old' })).json();
      const res = await fx.api(`/repos/acme/shop/hooks/${hook.id}`, {
        method: 'PATCH',
        json: { config: { url: 'https://x.example.com/u', content_type: 'form', secret: 'new' }, active: true },
      });
      expect(res.status).toBe(200);
      expect((await res.json()).config).toEqual({ url: 'https://x.example.com/u', content_type: 'form', insecure_ssl: '0', secret: '********' });
      const stored = await (await fx.control('/_sim/github/repos/acme/shop/hooks')).json();
      expect(stored[0].secret_sha256).toBe(createHash('sha256').update('new').digest('hex'));
      const cleared = await (
        await fx.api(`/repos/acme/shop/hooks/${hook.id}`, { method: 'PATCH', json: { config: { url: 'https://x.example.com/u' } } })
      ).json();
      expect(cleared.config).not.toHaveProperty('secret');
    });
  });

  describe('deployments', () => {
    const deploymentBody = {
      ref: 'main',
      environment: 'staging',
      description: 'Deploy shop',
      auto_merge: false,
      required_contexts: [],
      payload: { deployId: 'd-1' },
      transient_environment: false,
      production_environment: false,
    };

    it('creates a deployment: 201 with the GitHub shape, the ref resolved to its SHA', async () => {
      const res = await createDeployment(deploymentBody);
      expect(res.status).toBe(201);
      const d = await res.json();
      expect(d).toMatchObject({
        id: expect.any(Number),
        node_id: expect.any(String),
        sha: SHA_MAIN,
        ref: 'main',
        task: 'deploy',
        payload: { deployId: 'd-1' },
        environment: 'staging',
        original_environment: 'staging',
        description: 'Deploy shop',
        creator: { login: 'sim-user', type: 'User' },
        created_at: expect.stringMatching(ISO),
        updated_at: expect.stringMatching(ISO),
        statuses_url: `${fx.url}/repos/acme/shop/deployments/${d.id}/statuses`,
        repository_url: `${fx.url}/repos/acme/shop`,
        url: `${fx.url}/repos/acme/shop/deployments/${d.id}`,
        transient_environment: false,
        production_environment: false,
      });
      const bySha = await (await createDeployment({ ...deploymentBody, ref: SHA_DEV })).json();
      expect(bySha).toMatchObject({ sha: SHA_DEV, ref: SHA_DEV });
      const prod = await (await createDeployment({ ref: 'dev' })).json();
      expect(prod).toMatchObject({ environment: 'production', production_environment: true, task: 'deploy' });
    });

    it('ignores a `sha` field (GitHub has none): the ref decides', async () => {
      const d = await (await createDeployment({ ...deploymentBody, ref: 'main', sha: SHA_DEV })).json();
      expect(d.sha).toBe(SHA_MAIN);
    });

    it('refuses a missing or unknown ref (422) and unmet required contexts (409)', async () => {
      const missing = await createDeployment({ environment: 'staging' });
      expect(missing.status).toBe(422);
      expect((await missing.json()).message).toBe('Invalid request.\n\n"ref" wasn\'t supplied.');
      const unknown = await createDeployment({ ref: 'no-such-branch' });
      expect(unknown.status).toBe(422);
      expect(await unknown.json()).toMatchObject({ message: 'No ref found for: no-such-branch', status: '422' });
      const checks = await createDeployment({ ref: 'main', required_contexts: ['ci/build'] });
      expect(checks.status).toBe(409);
      expect((await checks.json()).message).toMatch(/^Conflict: Commit status checks failed/);
    });

    it('lists deployments newest first, filtered and paginated with a Link header', async () => {
      const ids: number[] = [];
      for (const environment of ['a', 'b', 'a']) ids.push((await (await createDeployment({ ref: 'main', environment })).json()).id);
      const all = await (await fx.api('/repos/acme/shop/deployments')).json();
      expect(all.map((d: any) => d.id)).toEqual([...ids].reverse());
      const a = await (await fx.api('/repos/acme/shop/deployments?environment=a')).json();
      expect(a.map((d: any) => d.id)).toEqual([ids[2], ids[0]]);
      const page = await fx.api('/repos/acme/shop/deployments?per_page=1&page=2');
      expect((await page.json()).map((d: any) => d.id)).toEqual([ids[1]]);
      expect(page.headers.get('link')).toMatch(/page=3>; rel="next"/);
      expect(page.headers.get('link')).toMatch(/page=1>; rel="prev"/);
      expect((await fx.api(`/repos/acme/shop/deployments/${ids[0]}`)).status).toBe(200);
      expect((await fx.api('/repos/acme/shop/deployments/1')).status).toBe(404);
    });

    it('adds statuses: 201 with the GitHub shape, listed newest first', async () => {
      const d = await (await createDeployment(deploymentBody)).json();
      const statusesUrl = `/repos/acme/shop/deployments/${d.id}/statuses`;
      const progress = await fx.api(statusesUrl, {
        method: 'POST',
        json: { state: 'in_progress', log_url: 'https://engine.example.com/d/1', description: 'Building' },
      });
      expect(progress.status).toBe(201);
      const s1 = await progress.json();
      expect(s1).toMatchObject({
        id: expect.any(Number),
        state: 'in_progress',
        description: 'Building',
        environment: 'staging',
        log_url: 'https://engine.example.com/d/1',
        target_url: 'https://engine.example.com/d/1',
        environment_url: '',
        creator: { login: 'sim-user' },
        deployment_url: `${fx.url}/repos/acme/shop/deployments/${d.id}`,
        repository_url: `${fx.url}/repos/acme/shop`,
        url: `${fx.url}${statusesUrl}/${s1.id}`,
      });
      const s2 = await (
        await fx.api(statusesUrl, { method: 'POST', json: { state: 'success', environment_url: 'https://shop.apps.example.com', description: 'Live' } })
      ).json();
      expect(s2).toMatchObject({ state: 'success', environment_url: 'https://shop.apps.example.com' });
      const list = await (await fx.api(statusesUrl)).json();
      expect(list.map((s: any) => s.state)).toEqual(['success', 'in_progress']);
      expect((await fx.api(`${statusesUrl}/${s1.id}`)).status).toBe(200);
      expect((await fx.api('/repos/acme/shop/deployments/123/statuses', { method: 'POST', json: { state: 'success' } })).status).toBe(404);
    });

    it('refuses a description longer than 140 characters with 422; 140 is fine', async () => {
      const d = await (await createDeployment(deploymentBody)).json();
      const url = `/repos/acme/shop/deployments/${d.id}/statuses`;
      expect((await fx.api(url, { method: 'POST', json: { state: 'failure', description: 'x'.repeat(140) } })).status).toBe(201);
      expect((await fx.api(url, { method: 'POST', json: { state: 'failure', description: 'é'.repeat(140) } })).status).toBe(201);
      const res = await fx.api(url, { method: 'POST', json: { state: 'failure', description: 'x'.repeat(141) } });
      expect(res.status).toBe(422);
      expect(await res.json()).toEqual({
        message: 'Validation Failed',
        errors: [{ resource: 'DeploymentStatus', code: 'custom', field: 'description', message: 'description is too long (maximum is 140 characters)' }],
        documentation_url: 'https://docs.github.com/rest/deployments/statuses#create-a-deployment-status',
        status: '422',
      });
      const badState = await fx.api(url, { method: 'POST', json: { state: 'done' } });
      expect(badState.status).toBe(422);
      expect((await badState.json()).message).toMatch(/^Invalid request\.\n\nFor 'properties\/state'/);
    });

    it('auto_inactive: a success marks the previous successful deployment to the environment inactive', async () => {
      const first = await (await createDeployment(deploymentBody)).json();
      const second = await (await createDeployment(deploymentBody)).json();
      await fx.api(`/repos/acme/shop/deployments/${first.id}/statuses`, { method: 'POST', json: { state: 'success' } });
      await fx.api(`/repos/acme/shop/deployments/${second.id}/statuses`, { method: 'POST', json: { state: 'success' } });
      const firstStatuses = await (await fx.api(`/repos/acme/shop/deployments/${first.id}/statuses`)).json();
      expect(firstStatuses.map((s: any) => s.state)).toEqual(['inactive', 'success']);
      const third = await (await createDeployment(deploymentBody)).json();
      await fx.api(`/repos/acme/shop/deployments/${third.id}/statuses`, { method: 'POST', json: { state: 'success', auto_inactive: false } });
      const secondStatuses = await (await fx.api(`/repos/acme/shop/deployments/${second.id}/statuses`)).json();
      expect(secondStatuses.map((s: any) => s.state)).toEqual(['success']);
    });
  });

  describe('record of calls and control API', () => {
    it('records every API call with the secret masked, and lists them at /_sim/github/calls', async () => {
      await createHook({ url: 'https://x.example.com/c', content_type: 'json', secret: 'very-secret' });
      await fx.api('/repos/acme/shop/branches/main');
      await fetch(`${fx.url}/repos/acme/shop`, { headers: { authorization: 'token wrong' } });
      expect(fx.sim.calls.map((c) => [c.method, c.path, c.status])).toEqual([
        ['POST', '/repos/acme/shop/hooks', 201],
        ['GET', '/repos/acme/shop/branches/main', 200],
        ['GET', '/repos/acme/shop', 401],
      ]);
      expect(fx.sim.calls[0]).toMatchObject({
        body: { config: { secret: '********', url: 'https://x.example.com/c' } },
        user: 'sim-user',
        requestId: expect.stringMatching(REQUEST_ID),
      });
      expect(fx.sim.calls[2]?.user).toBeUndefined();
      const listed = await (await fx.control('/_sim/github/calls')).json();
      expect(listed).toHaveLength(3);
      expect(listed[0]).toMatchObject({ method: 'POST', path: '/repos/acme/shop/hooks', status: 201, time: expect.any(String) });
      expect(JSON.stringify(listed)).not.toContain('very-secret');
      expect(await (await fx.control('/_sim/github/calls?method=get&path=/repos/acme/shop/branches')).json()).toHaveLength(1);
      expect((await fx.control('/_sim/github/calls', { method: 'DELETE' })).status).toBe(204);
      expect(fx.sim.calls).toHaveLength(0);
    });

    it('moves a branch through the control API and delivers a push to the push hooks', async () => {
      const hook = await (await createHook({ url: 'https://x.example.com/push', content_type: 'json', secret: 'k' })).json();
      await createHook({ url: 'https://x.example.com/other' }, { events: ['pull_request'] });
      await fx.sim.settled();
      delivered.length = 0;
      const after = '3'.repeat(40);
      const res = await fx.control('/_sim/github/repos/acme/shop/branches/main', { method: 'PUT', json: { sha: after, message: 'Add checkout' } });
      expect(res.status).toBe(200);
      const body = await res.json();
      expect(body).toMatchObject({
        ref: 'refs/heads/main',
        before: SHA_MAIN,
        after,
        created: false,
        deliveries: [{ hookId: hook.id, event: 'push', ok: true }],
      });
      expect(delivered).toHaveLength(1);
      expect(delivered[0]?.payload).toMatchObject({
        ref: 'refs/heads/main',
        before: SHA_MAIN,
        after,
        deleted: false,
        head_commit: { id: after, message: 'Add checkout' },
        repository: { full_name: 'acme/shop', default_branch: 'main' },
      });
      const branch = await (await fx.api('/repos/acme/shop/branches/main')).json();
      expect(branch.commit).toMatchObject({ sha: after, parents: [{ sha: SHA_MAIN }] });
      expect((await fx.api(`/repos/acme/shop/commits/${SHA_MAIN}`)).status).toBe(200);

      const created = await (await fx.control('/_sim/github/repos/acme/shop/branches/release%2F1', { method: 'PUT', json: { sha: after } })).json();
      expect(created).toMatchObject({ ref: 'refs/heads/release/1', before: '0'.repeat(40), created: true });
      expect(delivered.at(-1)?.payload).toMatchObject({ created: true, ref: 'refs/heads/release/1' });
      const deleted = await (await fx.control('/_sim/github/repos/acme/shop/branches/release%2F1', { method: 'DELETE' })).json();
      expect(deleted).toMatchObject({ deleted: true, after: '0'.repeat(40) });
      expect(delivered.at(-1)?.payload).toMatchObject({ deleted: true, head_commit: null });
      expect((await fx.api('/repos/acme/shop/branches/release%2F1')).status).toBe(404);
      expect((await fx.control('/_sim/github/repos/acme/shop/branches/main', { method: 'PUT', json: { sha: 'short' } })).status).toBe(400);
    });

    it('lists stored hooks (masked) and deployments with their statuses', async () => {
      await createHook({ url: 'https://x.example.com/s', content_type: 'json', secret: 'stored-secret' });
      const d = await (await createDeployment({ ref: 'main', environment: 'qa' })).json();
      await fx.api(`/repos/acme/shop/deployments/${d.id}/statuses`, { method: 'POST', json: { state: 'queued' } });
      const hooks = await (await fx.control('/_sim/github/repos/acme/shop/hooks')).json();
      expect(hooks[0]).toMatchObject({
        config: { url: 'https://x.example.com/s', secret: '********' },
        secret_sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(JSON.stringify(hooks)).not.toContain('stored-secret');
      const deployments = await (await fx.control('/_sim/github/repos/acme/shop/deployments')).json();
      expect(deployments).toEqual([expect.objectContaining({ id: d.id, environment: 'qa', statuses: [expect.objectContaining({ state: 'queued' })] })]);
    });

    it('forces primary and secondary rate limits', async () => {
      await fx.control('/_sim/github/rate-limit', { method: 'PUT', json: { remaining: 0 } });
      const primary = await fx.api('/repos/acme/shop');
      expect(primary.status).toBe(403);
      expect(primary.headers.get('x-ratelimit-remaining')).toBe('0');
      expect((await primary.json()).message).toMatch(/^API rate limit exceeded for user ID \d+\./);
      await fx.control('/_sim/github/rate-limit', { method: 'PUT', json: { remaining: 100, secondary: 1, retryAfterSeconds: 30, status: 429 } });
      const secondary = await fx.api('/repos/acme/shop');
      expect(secondary.status).toBe(429);
      expect(secondary.headers.get('retry-after')).toBe('30');
      expect((await secondary.json()).message).toMatch(/secondary rate limit/);
      const ok = await fx.api('/repos/acme/shop');
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-ratelimit-remaining')).toBe('99');
    });

    it('injects faults on the API but never on the control API, and resets everything', async () => {
      await fx.control('/_sim/faults', { method: 'PUT', json: { errorRate: 1 } });
      const res = await fx.api('/repos/acme/shop');
      expect(res.status).toBe(503);
      expect((await fx.control('/_sim/github/calls')).status).toBe(200);
      expect(fx.sim.counters.snapshot().faults.error).toBe(1);
      await fx.control('/_sim/reset', { method: 'POST' });
      expect((await fx.api('/repos/acme/shop')).status).toBe(200);
      await createHook({ url: 'https://x.example.com/r' });
      await fx.control('/_sim/github/repos/acme/shop/branches/main', { method: 'PUT', json: { sha: '4'.repeat(40), deliver: false } });
      await fx.control('/_sim/reset', { method: 'POST' });
      expect(await (await fx.api('/repos/acme/shop/hooks')).json()).toEqual([]);
      expect((await (await fx.api('/repos/acme/shop/branches/main')).json()).commit.sha).toBe(SHA_MAIN);
    });
  });
});

describe('GitHub simulator webhook deliveries over HTTP (httpWebhookDelivery)', () => {
  let fx: GitHubFixture;
  let receiver: { url: string; close(): Promise<void> };
  const received: Array<{ headers: Record<string, string>; raw: string }> = [];

  beforeAll(async () => {
    const app = new Hono();
    app.post('/hooks/:name', async (c) => {
      received.push({ headers: c.req.header(), raw: await c.req.text() });
      return c.req.param('name') === 'broken' ? c.text('nope', 500) : c.body(null, 204);
    });
    receiver = await new Promise((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((done) => server.close(() => done())) }),
      );
    });
    fx = await startGitHubFixture({ webhookDelivery: httpWebhookDelivery() });
  });
  afterAll(async () => {
    await fx?.close();
    await receiver?.close();
  });

  it('delivers the creation ping and pushes signed with the hook secret, as JSON or form', async () => {
    const json = await (
      await fx.api('/repos/acme/shop/hooks', {
        method: 'POST',
        json: { config: { url: `${receiver.url}/hooks/json`, content_type: 'json', secret: 'json-secret' } },
      })
    ).json();
    await (
      await fx.api('/repos/acme/shop/hooks', {
        method: 'POST',
        json: { config: { url: `${receiver.url}/hooks/form`, content_type: 'form', secret: 'form-secret' } },
      })
    ).json();
    await fx.sim.settled();
    expect(received.map((r) => r.headers['x-github-event'])).toEqual(['ping', 'ping']);
    const ping = received[0]!;
    expect(ping.headers['x-hub-signature-256']).toBe(signGitHubPayload('json-secret', ping.raw));
    expect(ping.headers['x-github-hook-id']).toBe(String(json.id));
    expect(ping.headers['x-github-delivery']).toBe(fx.sim.deliveries[0]?.guid);
    expect(JSON.parse(ping.raw)).toMatchObject({ hook_id: json.id, hook: { config: { secret: '********' } } });

    received.length = 0;
    const after = '5'.repeat(40);
    const res = await (await fx.control('/_sim/github/repos/acme/shop/branches/main', { method: 'PUT', json: { sha: after } })).json();
    expect(res.deliveries.map((d: any) => d.ok)).toEqual([true, true]);
    const byType = Object.fromEntries(received.map((r) => [r.headers['content-type'], r]));
    const asJson = byType['application/json']!;
    const asForm = byType['application/x-www-form-urlencoded']!;
    expect(asJson.headers['x-hub-signature-256']).toBe(signGitHubPayload('json-secret', asJson.raw));
    expect(asForm.headers['x-hub-signature-256']).toBe(signGitHubPayload('form-secret', asForm.raw));
    const pushed = JSON.parse(new URLSearchParams(asForm.raw).get('payload') ?? '{}');
    expect(pushed).toMatchObject({ ref: 'refs/heads/main', before: SHA_MAIN, after });
    expect(JSON.parse(asJson.raw)).toEqual(pushed);
  });

  it('records a non-2xx answer as a failed delivery', async () => {
    await fx.api('/repos/acme/shop/hooks', { method: 'POST', json: { config: { url: `${receiver.url}/hooks/broken`, content_type: 'json' } } });
    await fx.sim.settled();
    expect(fx.sim.deliveries.at(-1)).toMatchObject({ event: 'ping', ok: false, error: 'receiver answered 500' });
  });
});
