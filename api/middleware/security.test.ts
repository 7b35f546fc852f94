// Security headers and the CORS allow-list over Hono's app.request.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { ApiError, handleError } from '../errors.js';
import { createLogger } from '../../lib/logger.js';
import { corsAllowList, normalizeOrigins, PERMISSIONS_POLICY, securityHeaders } from './security.js';

const ALLOWED = 'https://console.example.com';
const OTHER = 'https://evil.example.net';

function app(options: Parameters<typeof securityHeaders>[0] = {}) {
  const a = new Hono();
  a.onError(handleError(createLogger({ level: 'error' })));
  a.use('*', securityHeaders(options));
  a.use('*', corsAllowList([ALLOWED, 'http://localhost:5173']));
  a.get('/v1/things', (c) => c.json({ items: [] }));
  a.get('/page', (c) =>
    c.body('<p>hi</p>', 200, { 'content-type': 'text/html', 'content-security-policy': "default-src 'self'", 'x-frame-options': 'SAMEORIGIN' }),
  );
  a.get('/v1/boom', () => {
    throw new ApiError(401, 'unauthorized', 'no');
  });
  a.post('/v1/things', (c) => c.json({ ok: true }, 201));
  return a;
}

const corsHeaders = (res: Response) =>
  [
    'access-control-allow-origin',
    'access-control-allow-methods',
    'access-control-allow-headers',
    'access-control-allow-credentials',
    'access-control-expose-headers',
    'access-control-max-age',
  ].filter((h) => res.headers.has(h));

describe('securityHeaders', () => {
  it('sets the hardening headers on JSON answers, without a Content-Security-Policy and without HSTS over http', async () => {
    const res = await app().request('http://api.local/v1/things');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(res.headers.get('x-frame-options')).toBe('DENY');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cross-origin-opener-policy')).toBe('same-origin');
    expect(res.headers.get('permissions-policy')).toBe(PERMISSIONS_POLICY);
    expect(res.headers.has('content-security-policy')).toBe(false);
    expect(res.headers.has('strict-transport-security')).toBe(false);
  });

  it('sets them on errors and 404s too', async () => {
    const a = app();
    for (const path of ['/v1/boom', '/nowhere']) {
      const res = await a.request(`http://api.local${path}`);
      expect(res.status).toBeGreaterThanOrEqual(400);
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('sends Strict-Transport-Security only on https requests', async () => {
    const res = await app().request('https://api.example.com/v1/things');
    expect(res.headers.get('strict-transport-security')).toBe('max-age=31536000; includeSubDomains');
  });

  it('trusts X-Forwarded-Proto only when told to', async () => {
    const headers = { 'x-forwarded-proto': 'https' };
    expect((await app().request('http://api.local/v1/things', { headers })).headers.has('strict-transport-security')).toBe(false);
    expect((await app({ trustForwardedProto: true }).request('http://api.local/v1/things', { headers })).headers.has('strict-transport-security')).toBe(true);
    expect(
      (await app({ trustForwardedProto: true }).request('http://api.local/v1/things', { headers: { 'x-forwarded-proto': 'http' } })).headers.has(
        'strict-transport-security',
      ),
    ).toBe(false);
  });

  it("leaves a route's own headers alone (the page keeps its CSP)", async () => {
    const res = await app().request('http://api.local/page');
    expect(res.headers.get('content-security-policy')).toBe("default-src 'self'");
    expect(res.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });
});

describe('corsAllowList', () => {
  it('an allowed origin gets its own origin back (never *), Vary: Origin and no credentials', async () => {
    const res = await app().request('http://api.local/v1/things', { headers: { origin: ALLOWED } });
    expect(res.status).toBe(200);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(res.headers.get('access-control-expose-headers')).toBe('retry-after');
    expect(res.headers.has('access-control-allow-credentials')).toBe(false);
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('a disallowed origin gets no CORS header at all, but still Vary: Origin', async () => {
    for (const origin of [OTHER, 'https://console.example.com.evil.net', 'http://console.example.com', `${ALLOWED}/`, 'null']) {
      const res = await app().request('http://api.local/v1/things', { headers: { origin } });
      expect(res.status).toBe(200);
      expect(corsHeaders(res)).toEqual([]);
      expect(res.headers.get('vary')).toBe('Origin');
    }
    const noOrigin = await app().request('http://api.local/v1/things');
    expect(corsHeaders(noOrigin)).toEqual([]);
    expect(noOrigin.headers.get('vary')).toBe('Origin');
  });

  it('answers an allowed preflight 204 with the methods, the two headers and a max age', async () => {
    const res = await app().request('http://api.local/v1/things', {
      method: 'OPTIONS',
      headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    expect(res.headers.get('access-control-allow-methods')).toBe('GET, HEAD, POST, PUT, PATCH, DELETE');
    expect(res.headers.get('access-control-allow-headers')).toBe('authorization, content-type');
    expect(res.headers.get('access-control-max-age')).toBe('600');
    expect(res.headers.get('vary')).toBe('Origin');
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
    expect(await res.text()).toBe('');
  });

  it('answers a disallowed preflight 204 without any CORS header (the browser refuses)', async () => {
    const res = await app().request('http://api.local/v1/things', { method: 'OPTIONS', headers: { origin: OTHER, 'access-control-request-method': 'DELETE' } });
    expect(res.status).toBe(204);
    expect(corsHeaders(res)).toEqual([]);
    expect(res.headers.get('vary')).toBe('Origin');
  });

  it('answers preflights before any authentication middleware', async () => {
    const a = new Hono();
    a.use('*', corsAllowList([ALLOWED]));
    a.use('/v1/*', async (c) => c.json({ error: { code: 'unauthorized', message: 'no token' } }, 401));
    const res = await a.request('http://api.local/v1/projects', { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    // An actual request still meets authentication, with CORS headers so the page can read the 401.
    const actual = await a.request('http://api.local/v1/projects', { method: 'POST', headers: { origin: ALLOWED } });
    expect(actual.status).toBe(401);
    expect(actual.headers.get('access-control-allow-origin')).toBe(ALLOWED);
  });

  it('removes a CORS header a route set for an origin that is not on the list', async () => {
    const a = new Hono();
    a.use('*', corsAllowList([ALLOWED]));
    a.get('/x', (c) => c.text('x', 200, { 'access-control-allow-origin': '*' }));
    const res = await a.request('http://api.local/x', { headers: { origin: OTHER } });
    expect(res.headers.has('access-control-allow-origin')).toBe(false);
  });

  it('keeps an existing Vary header and adds Origin once', async () => {
    const a = new Hono();
    a.use('*', corsAllowList([ALLOWED]));
    a.get('/x', (c) => c.text('x', 200, { vary: 'Accept-Encoding' }));
    a.get('/y', (c) => c.text('y', 200, { vary: 'origin' }));
    expect((await a.request('http://api.local/x', { headers: { origin: ALLOWED } })).headers.get('vary')).toBe('Accept-Encoding, Origin');
    expect((await a.request('http://api.local/y', { headers: { origin: ALLOWED } })).headers.get('vary')).toBe('origin');
  });

  it('with an empty list, no origin is allowed', async () => {
    const a = new Hono();
    a.use('*', corsAllowList([]));
    a.get('/x', (c) => c.text('x'));
    expect(corsHeaders(await a.request('http://api.local/x', { headers: { origin: ALLOWED } }))).toEqual([]);
  });

  it('accepts only exact origins in the list', () => {
    expect(normalizeOrigins(['https://a.example.com', 'http://localhost:5173', 'http://127.0.0.1:3000'])).toHaveLength(3);
    for (const bad of [
      '*',
      'https://a.example.com/',
      'https://a.example.com/app',
      'a.example.com',
      'ftp://a.example.com',
      'https://A.example.com',
      'https://*.example.com',
      'https://a.example.com:443',
    ]) {
      expect(() => corsAllowList([bad]), bad).toThrow(/exact origin/);
    }
  });
});
