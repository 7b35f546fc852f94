// The ingress simulator over HTTP: routes by Host to the apps Argo CD reports, 404 for an
// unknown host, 503 for a known one that is not Healthy, a page and header naming the image,
// `*.localhost` aliases for browsers; it reads Argo CD on its interval, not per request.
import { afterEach, describe, expect, it } from 'vitest';
import http from 'node:http';
import { serveOnLoopback, type Served } from '../common/serve.js';
import { IMAGE_HEADER as PROBE_IMAGE_HEADER } from '../../activities/url-probe.js';
import { createIngressSimulator, IMAGE_HEADER, type IngressSimulator } from './index.js';
import { buildRouteTable, requestHost } from './routes.js';
import { createApplicationReader } from './argocd-source.js';

const image = `127.0.0.1:8082/apps/dev/alice-shop@sha256:${'a'.repeat(64)}`;
const revision = '0123456789abcdef0123456789abcdef01234567';

/** An Application as Argo CD v2.14 serves it, reduced to the fields the ingress reads. */
function application(name: string, o: { urls?: string[]; health?: string; message?: string; images?: string[] } = {}) {
  return {
    metadata: { name, namespace: 'argocd' },
    spec: { project: 'default' },
    status: {
      sync: { status: 'Synced', revision },
      health: { status: o.health ?? 'Healthy', ...(o.message ? { message: o.message } : {}) },
      summary: { ...(o.urls ? { externalURLs: o.urls } : {}), images: o.images ?? [image] },
    },
  };
}

const opened: Array<{ sim: IngressSimulator; served: Served }> = [];
afterEach(async () => {
  for (const { sim, served } of opened.splice(0)) {
    await sim.close();
    await served.close();
  }
});

async function start(items: () => unknown[], appsDomain = 'apps.localhost', refreshMs = 60_000) {
  let reads = 0;
  const sim = createIngressSimulator({
    read: async () => {
      reads += 1;
      return { metadata: {}, items: items() };
    },
    appsDomain,
    refreshMs,
  });
  await sim.start();
  const served = await serveOnLoopback(sim.app.fetch);
  opened.push({ sim, served });
  return { sim, url: served.url, reads: () => reads };
}

/** GET with a Host header of our choosing (fetch cannot set one). */
function get(base: string, host: string, path = '/'): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    http
      .get({ host: hostname, port, path, headers: { host }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

describe('ingress simulator', () => {
  it('serves a Healthy app on its host: a page naming the app, image and revision, and the image header', async () => {
    const { url } = await start(() => [application('dev-alice-shop', { urls: ['http://shop-alice.apps.localhost/'] })]);
    const res = await get(url, 'shop-alice.apps.localhost:18480', '/any/path');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/text\/html/);
    expect(res.headers[IMAGE_HEADER]).toBe(image);
    expect(res.headers['x-deploy-engine-app']).toBe('dev-alice-shop');
    expect(res.headers['x-deploy-engine-revision']).toBe(revision);
    expect(res.body).toContain('<h1 id="app">dev-alice-shop</h1>');
    expect(res.body).toContain(image);
    expect(res.body).toContain(revision);
    // The header the probe checks is the one the ingress sets.
    expect(PROBE_IMAGE_HEADER).toBe(IMAGE_HEADER);
  });

  it('answers 404 with a clear body for a host no app has', async () => {
    const { url } = await start(() => [application('dev-alice-shop', { urls: ['http://shop-alice.apps.localhost/'] })]);
    const res = await get(url, 'shop-bob.apps.localhost');
    expect(res.status).toBe(404);
    expect(res.headers[IMAGE_HEADER]).toBeUndefined();
    expect(res.body).toContain('no Ingress rule for host "shop-bob.apps.localhost"');
    // Other tenants' hosts are not listed.
    expect(res.body).not.toContain('shop-alice');
  });

  it('answers 503 for a known host whose app is not Healthy, naming its health', async () => {
    const { url } = await start(() => [
      application('dev-alice-shop', { urls: ['http://shop-alice.apps.localhost/'], health: 'Progressing', message: 'Waiting for rollout to finish' }),
    ]);
    const res = await get(url, 'shop-alice.apps.localhost');
    expect(res.status).toBe(503);
    expect(res.headers[IMAGE_HEADER]).toBeUndefined();
    expect(res.body).toContain('Argo CD app dev-alice-shop, which is Progressing (Waiting for rollout to finish): no ready backend');
  });

  it('matches hosts case-insensitively, without port or trailing dot, and through *.localhost aliases', async () => {
    const { url } = await start(
      () => [
        application('dev-alice-shop', { urls: ['https://shop-alice.apps.example.com/'] }),
        application('dev-bob-www', { urls: ['http://www.bob-shop.com/'] }),
      ],
      'apps.example.com',
    );
    for (const host of [
      'SHOP-ALICE.apps.example.com.',
      'shop-alice.apps.example.com:443',
      'shop-alice.apps.example.com.localhost:18480',
      'shop-alice.localhost:18480',
    ]) {
      expect((await get(url, host)).headers['x-deploy-engine-app'], host).toBe('dev-alice-shop');
    }
    expect((await get(url, 'www.bob-shop.com.localhost')).headers['x-deploy-engine-app']).toBe('dev-bob-www');
    expect((await get(url, 'www.localhost')).status).toBe(404);
  });

  it('keeps the real host over an alias, and drops an alias two hosts would share', () => {
    const table = buildRouteTable(
      {
        items: [
          application('a', { urls: ['http://x.one.example/', 'http://x.localhost/'] }),
          application('b', { urls: ['http://x.two.example/'] }),
          application('c', { urls: ['http://y.apps.example.com/', 'not a url'] }),
          { metadata: {} },
        ],
      },
      'apps.example.com',
    );
    expect(table.routes.get('x.localhost')).toMatchObject({ app: 'a' });
    expect(table.routes.get('x.localhost')?.alias).toBeUndefined();
    expect(table.routes.get('x.one.example.localhost')).toMatchObject({ app: 'a', alias: true });
    expect(table.routes.get('y.localhost')).toMatchObject({ app: 'c', alias: true });
    expect(table.skipped).toBe(1);
    expect(requestHost('[::1]:8080')).toBe('[::1]');
  });

  it('reads Argo CD on its interval, never per request, and keeps routing when a read fails', async () => {
    let items = [application('dev-alice-shop', { urls: ['http://shop-alice.apps.localhost/'], health: 'Progressing' })];
    let failing = false;
    let reads = 0;
    const errors: string[] = [];
    const sim = createIngressSimulator({
      read: async () => {
        reads += 1;
        if (failing) throw new Error('connection refused');
        return { items };
      },
      refreshMs: 100,
      onError: (e) => errors.push(String(e)),
    });
    await sim.start();
    const served = await serveOnLoopback(sim.app.fetch);
    opened.push({ sim, served });
    const before = reads;
    for (let i = 0; i < 20; i += 1) await get(served.url, 'shop-alice.apps.localhost');
    expect(reads - before).toBeLessThan(5);
    expect((await get(served.url, 'shop-alice.apps.localhost')).status).toBe(503);
    items = [application('dev-alice-shop', { urls: ['http://shop-alice.apps.localhost/'] })];
    await new Promise((r) => setTimeout(r, 300));
    expect((await get(served.url, 'shop-alice.apps.localhost')).status).toBe(200);
    failing = true;
    await new Promise((r) => setTimeout(r, 300));
    expect((await get(served.url, 'shop-alice.apps.localhost')).status).toBe(200);
    expect(errors).toEqual(['Error: ingress: connection refused']);
    const routes = (await get(served.url, '127.0.0.1', '/_sim/routes')).body;
    expect(JSON.parse(routes)).toMatchObject({ lastError: 'connection refused', routes: [{ host: 'shop-alice.apps.localhost', app: 'dev-alice-shop' }] });
  });

  it('answers 503 until it has read Argo CD once', async () => {
    const sim = createIngressSimulator({
      read: async () => {
        throw new Error('Argo CD is starting');
      },
    });
    await sim.start();
    const served = await serveOnLoopback(sim.app.fetch);
    opened.push({ sim, served });
    const res = await get(served.url, 'shop-alice.apps.localhost');
    expect(res.status).toBe(503);
    expect(res.body).toContain('the route table is not loaded yet (Argo CD: Argo CD is starting)');
  });

  it('logs in to Argo CD with a username and password, again after a 401, and never shows them', async () => {
    const seen: string[] = [];
    let session = 0;
    const argo = await serveOnLoopback(async (req) => {
      const path = new URL(req.url).pathname;
      seen.push(`${req.method} ${path} ${req.headers.get('authorization') ?? ''}`);
      if (path === '/api/v1/session') {
        const body = (await req.json()) as { password: string };
        return body.password === 'pw'
          ? Response.json({ token: `t${++session}` })
          : Response.json({ error: 'Invalid username or password', code: 16 }, { status: 401 });
      }
      return req.headers.get('authorization') === `Bearer t${session}` && session > 1
        ? Response.json({ items: [] })
        : Response.json({ code: 16 }, { status: 401 });
    });
    try {
      await expect(createApplicationReader({ url: argo.url, username: 'admin', password: 'pw' })()).resolves.toEqual({ items: [] });
      expect(seen).toEqual(['POST /api/v1/session ', 'GET /api/v1/applications Bearer t1', 'POST /api/v1/session ', 'GET /api/v1/applications Bearer t2']);
      const refused = await createApplicationReader({ url: argo.url, username: 'admin', password: 'wrong-secret' })().catch((e: unknown) => String(e));
      expect(refused).toContain('refused the ingress simulator');
      expect(refused).not.toContain('wrong-secret');
    } finally {
      await argo.close();
    }
  });
});
