// Abuse limits and headers on the real API: per-token rate limit on deploy-starting routes,
// security headers, the CORS allow-list, and the admin-only token API.
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from './support/stack.js';
import { createAppRepo } from './support/git.js';

let stack: TestStack;
beforeAll(async () => {
  stack = await startStack({ env: { DEPLOY_RATE_BURST: '3', DEPLOY_RATE_PER_MINUTE: '1', CORS_ORIGINS: 'https://console.example.com' } });
}, 120_000);
afterAll(async () => stack?.close());

describe('API limits and headers', () => {
  it('limits deploy-starting requests per token with 429 and Retry-After; other tokens are unaffected', async () => {
    const repo = createAppRepo(path.join(stack.dir, 'src-limit'));
    const project = await stack.api<{ id: string }>('POST', '/v1/projects', {
      name: 'limited',
      userId: 'lee',
      repoUrl: repo.url,
      branch: 'main',
      appPort: 8080,
    });
    const statuses = [];
    for (let i = 0; i < 4; i += 1) statuses.push((await stack.api('POST', `/v1/projects/${project.body.id}/deployments`, {})).status);
    expect(statuses).toEqual([202, 202, 202, 429]);
    const limited = await stack.app.request(`/v1/projects/${project.body.id}/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${stack.token}` },
    });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect((await limited.json()).error.code).toBe('rate_limited');
    // Reads are not limited; a second admin token has its own allowance.
    expect((await stack.api('GET', `/v1/projects/${project.body.id}/deployments`)).status).toBe(200);
    const created = await stack.api<{ token: string }>('POST', '/v1/tokens', { name: 'second', role: 'deployer' });
    expect(created.status).toBe(201);
    const other = await stack.app.request(`/v1/projects/${project.body.id}/deployments`, {
      method: 'POST',
      headers: { authorization: `Bearer ${created.body.token}` },
    });
    expect(other.status).toBe(202);
  });

  it('answers 405 with Allow for a method a path does not take, and 404 for a path it does not have', async () => {
    const put = await stack.app.request('/v1/projects', { method: 'PUT', headers: { authorization: `Bearer ${stack.token}` } });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
    expect((await put.json()).error.code).toBe('method_not_allowed');
    const trace = await stack.app.request('/healthz', { method: 'DELETE' });
    expect(trace.status).toBe(405);
    expect(trace.headers.get('allow')).toBe('GET, HEAD');
    const missing = await stack.app.request('/v1/nothing-here', { headers: { authorization: `Bearer ${stack.token}` } });
    expect(missing.status).toBe(404);
    // Without a token, /v1 answers 401 before telling anything about its routes.
    expect((await stack.app.request('/v1/projects', { method: 'PUT' })).status).toBe(401);
  });

  it('sends security headers, and CORS headers only to allowed origins', async () => {
    const allowed = await stack.app.request('/v1/projects', {
      method: 'OPTIONS',
      headers: { origin: 'https://console.example.com', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' },
    });
    expect(allowed.status).toBe(204);
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://console.example.com');
    const denied = await stack.app.request('/healthz', { headers: { origin: 'https://evil.example.com' } });
    expect(denied.headers.get('access-control-allow-origin')).toBeNull();
    expect(denied.headers.get('x-content-type-options')).toBe('nosniff');
    expect(denied.headers.get('x-frame-options')).toBe('DENY');
  });
});
