// pushOciImage against a real registry (Debian's docker-registry), directly and behind a
// small auth proxy that demands Basic credentials or the Bearer token flow.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../../test/support/registry.js';
import { buildOciImage, createTar, OciPushError, parseChallenge, pushOciImage, sha256Digest } from './oci-push.js';

const ACCEPT =
  'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.list.v2+json, application/vnd.docker.distribution.manifest.v2+json';
const image = (commitSha: string) => ({ repoUrl: 'https://git.example.com/alice/shop.git', commitSha, files: { 'app/package.json': '{"name":"shop"}\n' } });

async function listen(app: Hono): Promise<{ url: string; close(): Promise<void> }> {
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
      resolve({ url: `http://127.0.0.1:${info.port}`, close: () => new Promise<void>((done) => server.close(() => done())) }),
    );
  });
}

/** A reverse proxy to the registry that enforces `check` on /v2/ requests. */
function authProxy(registryUrl: string, check: (authorization: string | undefined) => boolean, challenge: (proxyUrl: string, path: string) => string) {
  const app = new Hono();
  let self = '';
  const tokenRequests: URLSearchParams[] = [];
  app.get('/token', (c) => {
    tokenRequests.push(new URL(c.req.url).searchParams);
    if (c.req.header('authorization') !== `Basic ${Buffer.from('robot:s3cret').toString('base64')}`) return c.json({ errors: [{ code: 'UNAUTHORIZED' }] }, 401);
    return c.json({ token: 'tok-123', expires_in: 300 });
  });
  app.all('/v2/*', async (c) => {
    if (!check(c.req.header('authorization'))) {
      return c.json({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, 401, { 'WWW-Authenticate': challenge(self, c.req.path) });
    }
    const url = new URL(c.req.url);
    const headers = new Headers(c.req.raw.headers);
    headers.delete('authorization');
    headers.delete('host');
    const body = c.req.method === 'GET' || c.req.method === 'HEAD' ? undefined : new Uint8Array(await c.req.arrayBuffer());
    const res = await fetch(`${registryUrl}${url.pathname}${url.search}`, { method: c.req.method, headers, body, redirect: 'manual' });
    const out = new Headers(res.headers);
    const location = out.get('location');
    if (location?.startsWith(registryUrl)) out.set('location', self + location.slice(registryUrl.length));
    return new Response(c.req.method === 'HEAD' ? null : await res.arrayBuffer(), { status: res.status, headers: out });
  });
  return {
    app,
    tokenRequests,
    setSelf: (url: string) => {
      self = url;
    },
  };
}

describe('OCI image building', () => {
  it('is deterministic and depends on repo and commit', () => {
    const a = buildOciImage(image('a'.repeat(40)));
    expect(buildOciImage(image('a'.repeat(40))).manifest.digest).toBe(a.manifest.digest);
    expect(buildOciImage(image('b'.repeat(40))).manifest.digest).not.toBe(a.manifest.digest);
    expect(buildOciImage({ ...image('a'.repeat(40)), repoUrl: 'https://other/repo.git' }).layer.digest).not.toBe(a.layer.digest);
    const manifest = JSON.parse(a.manifest.bytes.toString()) as {
      mediaType: string;
      config: { digest: string; size: number };
      layers: Array<{ mediaType: string; digest: string }>;
    };
    expect(manifest.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
    expect(manifest.config).toMatchObject({ digest: a.config.digest, size: a.config.size });
    expect(manifest.layers[0]).toMatchObject({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: a.layer.digest });
    expect(a.manifest.digest).toBe(sha256Digest(a.manifest.bytes));
  });

  it('writes a tar that the system tar reads', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'oci-tar-'));
    try {
      const layer = buildOciImage(image('c'.repeat(40))).layer;
      writeFileSync(path.join(dir, 'layer.tgz'), layer.bytes);
      const listing = execFileSync('tar', ['-tzf', path.join(dir, 'layer.tgz')], { encoding: 'utf8' })
        .trim()
        .split('\n');
      expect(listing).toEqual(['app/.build-info.json', 'app/package.json']);
      const info = execFileSync('tar', ['-xzOf', path.join(dir, 'layer.tgz'), 'app/.build-info.json'], { encoding: 'utf8' });
      expect(JSON.parse(info)).toEqual({ repoUrl: 'https://git.example.com/alice/shop.git', commitSha: 'c'.repeat(40) });
      const long = `${'d'.repeat(80)}/${'e'.repeat(60)}.txt`;
      writeFileSync(path.join(dir, 'long.tar'), createTar({ [long]: 'x' }));
      expect(execFileSync('tar', ['-tf', path.join(dir, 'long.tar')], { encoding: 'utf8' }).trim()).toBe(long);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('parses WWW-Authenticate challenges', () => {
    expect(parseChallenge('Bearer realm="https://auth.example.com/token",service="harbor-registry",scope="repository:apps/shop:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://auth.example.com/token', service: 'harbor-registry', scope: 'repository:apps/shop:pull,push' },
    });
    expect(parseChallenge('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseChallenge(null)).toBeUndefined();
    expect(parseChallenge('Negotiate abc')).toBeUndefined();
  });
});

describe.runIf(dockerRegistryAvailable())('pushOciImage against docker-registry', () => {
  let tmp: string;
  let registry: RunningRegistry;

  const head = (base: string, repo: string, ref: string, authorization?: string) =>
    fetch(`${base}/v2/${repo}/manifests/${ref}`, { method: 'HEAD', headers: { accept: ACCEPT, ...(authorization ? { authorization } : {}) } });

  beforeAll(async () => {
    tmp = mkdtempSync(path.join(os.tmpdir(), 'oci-push-test-'));
    // startDockerRegistry probes then binds a port: parallel test files can collide, so retry.
    for (let attempt = 1; ; attempt += 1) {
      try {
        registry = await startDockerRegistry(path.join(tmp, `attempt-${attempt}`));
        break;
      } catch (error) {
        if (attempt >= 5) throw error;
        await new Promise((r) => setTimeout(r, 100 + Math.floor(Math.random() * 400)));
      }
    }
  });
  afterAll(async () => {
    await registry?.stop();
    rmSync(tmp, { recursive: true, force: true });
  });

  it('pushes without auth and returns the digest the registry serves', async () => {
    const result = await pushOciImage({ registryUrl: registry.url, repository: 'apps/ws1/shop', tag: 'v1', image: image('1'.repeat(40)) });
    expect(result.digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    const res = await head(registry.url, 'apps/ws1/shop', 'v1');
    expect(res.status).toBe(200);
    expect(res.headers.get('docker-content-digest')).toBe(result.digest);
    expect(res.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
    expect((await fetch(`${registry.url}/v2/apps/ws1/shop/blobs/${result.layerDigest}`, { method: 'HEAD' })).status).toBe(200);
    expect((await fetch(`${registry.url}/v2/apps/ws1/shop/blobs/${result.configDigest}`, { method: 'HEAD' })).status).toBe(200);

    // same image again (blobs already there): same digest; another commit: another digest
    expect((await pushOciImage({ registryUrl: registry.url, repository: 'apps/ws1/shop', tag: 'v1-again', image: image('1'.repeat(40)) })).digest).toBe(
      result.digest,
    );
    const other = await pushOciImage({ registryUrl: registry.url, repository: 'apps/ws1/shop', tag: 'v2', image: image('2'.repeat(40)) });
    expect(other.digest).not.toBe(result.digest);
    expect((await head(registry.url, 'apps/ws1/shop', result.digest)).status).toBe(200);
  });

  it('rejects invalid tags and repository names before any request', async () => {
    await expect(pushOciImage({ registryUrl: 'http://127.0.0.1:9', repository: 'apps/shop', tag: '-bad', image: image('3'.repeat(40)) })).rejects.toThrow(
      OciPushError,
    );
    await expect(pushOciImage({ registryUrl: 'http://127.0.0.1:9', repository: 'Apps/Shop', tag: 'ok', image: image('3'.repeat(40)) })).rejects.toThrow(
      /invalid repository/,
    );
  });

  it('answers a Basic challenge with the given credentials', async () => {
    const expected = `Basic ${Buffer.from('robot:s3cret').toString('base64')}`;
    const proxy = authProxy(
      registry.url,
      (a) => a === expected,
      () => 'Basic realm="Registry Realm"',
    );
    const server = await listen(proxy.app);
    proxy.setSelf(server.url);
    try {
      const result = await pushOciImage({
        registryUrl: server.url,
        repository: 'apps/basic',
        tag: 't1',
        username: 'robot',
        password: 's3cret',
        image: image('4'.repeat(40)),
      });
      expect((await head(server.url, 'apps/basic', 't1', expected)).headers.get('docker-content-digest')).toBe(result.digest);
      const denied = pushOciImage({ registryUrl: server.url, repository: 'apps/basic', tag: 't2', image: image('4'.repeat(40)) });
      await expect(denied).rejects.toMatchObject({ name: 'OciPushError', status: 401 });
    } finally {
      await server.close();
    }
  });

  it('follows the Bearer token flow (realm, service, scope) with Basic credentials at the realm', async () => {
    const proxy = authProxy(
      registry.url,
      (a) => a === 'Bearer tok-123',
      (self, p) => {
        const repo = /^\/v2\/(.+?)\/(?:blobs|manifests)\//.exec(p)?.[1] ?? '';
        return `Bearer realm="${self}/token",service="test-registry",scope="repository:${repo}:pull,push"`;
      },
    );
    const server = await listen(proxy.app);
    proxy.setSelf(server.url);
    try {
      const result = await pushOciImage({
        registryUrl: server.url,
        repository: 'apps/ws1/bearer',
        tag: 'b1',
        username: 'robot',
        password: 's3cret',
        image: image('5'.repeat(40)),
      });
      expect((await head(server.url, 'apps/ws1/bearer', 'b1', 'Bearer tok-123')).headers.get('docker-content-digest')).toBe(result.digest);
      expect(proxy.tokenRequests[0]?.get('service')).toBe('test-registry');
      expect(proxy.tokenRequests[0]?.getAll('scope')).toEqual(['repository:apps/ws1/bearer:pull,push']);
      // the token is reused for the rest of the push: one token request
      expect(proxy.tokenRequests).toHaveLength(1);
      await expect(
        pushOciImage({ registryUrl: server.url, repository: 'apps/ws1/bearer', tag: 'b2', username: 'robot', password: 'wrong', image: image('5'.repeat(40)) }),
      ).rejects.toMatchObject({
        status: 401,
      });
    } finally {
      await server.close();
    }
  });
});
