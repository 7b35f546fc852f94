// The OCI client against the Harbor simulator (token flow), a real docker-registry (no auth),
// a Basic-auth registry, and injected faults.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../test/support/registry.js';
import { OTHER_ROBOT, ROBOT, RegistrySession, pushImage, serveApp, startHarbor, type RunningHarbor } from '../simulators/harbor/test-helpers.js';
import { ClientError } from './errors.js';
import { MANIFEST_ACCEPT, OciRegistryClient, isValidTag, parseWwwAuthenticate } from './oci.js';

async function failure(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ system: 'oci' });
    return error as ClientError;
  }
  throw new Error('expected a failure');
}

describe('tag rules and challenge parsing', () => {
  it('accepts exactly [A-Za-z0-9_][A-Za-z0-9._-]{0,127}', () => {
    for (const good of ['v1', '_x', 'A.b-c_9', 'x'.repeat(128), '0']) expect(isValidTag(good)).toBe(true);
    for (const bad of ['', '-x', '.x', 'x'.repeat(129), 'a/b', 'a:b', 'a+b', 'a b']) expect(isValidTag(bad)).toBe(false);
  });

  it('parses Bearer and Basic challenges', () => {
    expect(parseWwwAuthenticate('Bearer realm="https://h/service/token",service="harbor-registry",scope="repository:a/b:pull,push"')).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://h/service/token', service: 'harbor-registry', scope: 'repository:a/b:pull,push' },
    });
    expect(parseWwwAuthenticate('Basic realm="Registry Realm"')).toEqual({ scheme: 'basic', params: { realm: 'Registry Realm' } });
    expect(parseWwwAuthenticate(null)).toBeNull();
  });
});

describe('against the Harbor simulator (token flow)', () => {
  let harbor: RunningHarbor;
  let images: Record<'shop' | 'legacy' | 'multi', { digest: string }>;
  const client = () => new OciRegistryClient({ baseUrl: harbor.url, username: ROBOT.username, password: ROBOT.password });

  beforeAll(async () => {
    harbor = await startHarbor();
    const session = new RegistrySession(harbor.url, ROBOT);
    images = {
      shop: await pushImage(session, 'apps/ws1/shop', 'v1'),
      legacy: await pushImage(session, 'apps/ws1/legacy', 'v1', { format: 'docker' }),
      multi: await pushImage(session, 'apps/ws1/multi', 'v1', { kind: 'index' }),
    };
  });
  afterAll(async () => harbor.close());
  beforeEach(() => harbor.sim.faults.configure({}));

  it('gives the digest of a tag (OCI, Docker, index) and of a digest; null when missing', async () => {
    const oci = client();
    expect(await oci.manifestDigest('apps/ws1/shop', 'v1')).toBe(images.shop.digest);
    expect(await oci.manifestDigest('apps/ws1/legacy', 'v1')).toBe(images.legacy.digest);
    expect(await oci.manifestDigest('apps/ws1/multi', 'v1')).toBe(images.multi.digest);
    expect(await oci.manifestDigest('apps/ws1/shop', images.shop.digest)).toBe(images.shop.digest);
    expect(await oci.manifestDigest('apps/ws1/shop', 'v2')).toBeNull();
    expect(await oci.manifestDigest('apps/ws1/never-pushed', 'v1')).toBeNull();
    expect(await oci.manifestExists('apps/ws1/shop', 'v1')).toBe(true);
    expect(await oci.manifestExists('apps/ws1/shop', 'nope')).toBe(false);
    await oci.ping();
  });

  it('sends the full Accept list', () => {
    expect(MANIFEST_ACCEPT.split(', ').sort()).toEqual([
      'application/vnd.docker.distribution.manifest.list.v2+json',
      'application/vnd.docker.distribution.manifest.v2+json',
      'application/vnd.oci.image.index.v1+json',
      'application/vnd.oci.image.manifest.v1+json',
    ]);
  });

  it('fetches one token per scope and reuses it', async () => {
    const oci = client();
    harbor.sim.counters.reset();
    for (let i = 0; i < 3; i += 1) await oci.manifestDigest('apps/ws1/shop', 'v1');
    let routes = harbor.sim.counters.snapshot().routes;
    expect(routes['GET /service/token']).toBe(1);
    expect(routes['HEAD /v2/:name/manifests/:reference']).toBe(4); // one 401, then three with the token
    await oci.manifestDigest('apps/ws1/legacy', 'v1');
    routes = harbor.sim.counters.snapshot().routes;
    expect(routes['GET /service/token']).toBe(2);
  });

  it('refuses an invalid tag or repository name before sending anything', async () => {
    harbor.sim.counters.reset();
    for (const [repo, ref] of [
      ['apps/ws1/shop', '-bad'],
      ['apps/ws1/shop', 'x'.repeat(129)],
      ['Apps/Upper', 'v1'],
      ['apps/ws1/shop', 'sha256:short'],
    ] as const) {
      const error = await failure(client().manifestDigest(repo, ref));
      expect(error).toMatchObject({ kind: 'invalid', transient: false });
    }
    expect(harbor.sim.counters.snapshot().total).toBe(0);
  });

  it('fails terminally on bad credentials, a robot of another project, or no credentials', async () => {
    for (const options of [{ username: ROBOT.username, password: 'wrong-password' }, { username: OTHER_ROBOT.username, password: OTHER_ROBOT.password }, {}]) {
      const error = await failure(new OciRegistryClient({ baseUrl: harbor.url, ...options }).manifestDigest('apps/ws1/shop', 'v1'));
      expect(error).toMatchObject({ kind: 'auth', transient: false });
      expect(error.message).not.toContain('wrong-password');
    }
  });

  it('classifies 5xx, timeouts and refused connections as transient', async () => {
    harbor.sim.faults.configure({ errorRate: 1 });
    const unavailable = await failure(client().manifestDigest('apps/ws1/shop', 'v1'));
    expect(unavailable).toMatchObject({ kind: 'unavailable', transient: true, status: 503 });

    harbor.sim.faults.configure({ latencyMs: 400 });
    const slow = await failure(
      new OciRegistryClient({ baseUrl: harbor.url, username: ROBOT.username, password: ROBOT.password, timeoutMs: 100 }).manifestDigest('apps/ws1/shop', 'v1'),
    );
    expect(slow).toMatchObject({ kind: 'unavailable', transient: true });
    expect(slow.message).toMatch(/timed out/);
    harbor.sim.faults.configure({});

    const closed = await serveApp(new Hono());
    await closed.close();
    const refused = await failure(new OciRegistryClient({ baseUrl: closed.url }).manifestDigest('apps/ws1/shop', 'v1'));
    expect(refused).toMatchObject({ kind: 'unavailable', transient: true });
  });

  it('under 30% seeded faults: every failure is transient, counted, and the run replays from the seed', async () => {
    async function run(): Promise<string[]> {
      const oci = new OciRegistryClient({ baseUrl: harbor.url, username: ROBOT.username, password: ROBOT.password, timeoutMs: 300 });
      const outcomes: string[] = [];
      for (let i = 0; i < 30; i += 1) {
        try {
          const digest = await oci.manifestDigest('apps/ws1/shop', 'v1');
          expect(digest).toBe(images.shop.digest);
          outcomes.push('ok');
        } catch (error) {
          expect(error).toMatchObject({ system: 'oci', kind: 'unavailable', transient: true });
          outcomes.push((error as ClientError).status === 503 ? '503' : 'dropped');
        }
      }
      return outcomes;
    }
    harbor.sim.faults.configure({ errorRate: 0.3, dropRate: 0.3, seed: 11 });
    harbor.sim.counters.reset();
    const first = await run();
    const { faults } = harbor.sim.counters.snapshot();
    expect(faults.error).toBeGreaterThan(3);
    expect(first.filter((o) => o === '503').length).toBeGreaterThan(0);
    expect(first.filter((o) => o === 'ok').length).toBeGreaterThan(5);

    harbor.sim.faults.configure({ errorRate: 0.3, dropRate: 0.3, seed: 11 });
    harbor.sim.counters.reset();
    expect(await run()).toEqual(first);
    expect(harbor.sim.counters.snapshot().faults).toEqual(faults);
  });
});

describe.skipIf(!dockerRegistryAvailable())('against a real docker-registry', () => {
  let registry: RunningRegistry;
  beforeAll(async () => {
    registry = await startDockerRegistry(mkdtempSync(path.join(inject('scratchDir'), 'oci-client-registry-')));
  });
  afterAll(async () => registry?.stop());

  it('reads digests of OCI, Docker and index manifests; null when missing', async () => {
    const session = new RegistrySession(registry.url);
    const oci = await pushImage(session, 'apps/ws1/real', 'v1');
    const docker = await pushImage(session, 'apps/ws1/real-docker', 'v1', { format: 'docker' });
    const index = await pushImage(session, 'apps/ws1/real-index', '2024.01.01', { kind: 'index' });
    const client = new OciRegistryClient({ baseUrl: registry.url });
    expect(await client.manifestDigest('apps/ws1/real', 'v1')).toBe(oci.digest);
    expect(await client.manifestDigest('apps/ws1/real-docker', 'v1')).toBe(docker.digest);
    expect(await client.manifestDigest('apps/ws1/real-index', '2024.01.01')).toBe(index.digest);
    expect(await client.manifestDigest('apps/ws1/real', oci.digest)).toBe(oci.digest);
    expect(await client.manifestDigest('apps/ws1/real', 'missing')).toBeNull();
    expect(await client.manifestDigest('apps/ws1/never', 'v1')).toBeNull();
    await client.ping();
  });
});

describe('against a registry with Basic auth', () => {
  const digest = `sha256:${'d'.repeat(64)}`;
  let served: { url: string; close(): Promise<void> };
  let unauthenticated = 0;
  beforeAll(async () => {
    const app = new Hono();
    app.on(['GET', 'HEAD'], '/v2/*', (c) => {
      if (c.req.header('authorization') !== `Basic ${Buffer.from('ci:pa55').toString('base64')}`) {
        unauthenticated += 1;
        return c.json({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, 401, { 'www-authenticate': 'Basic realm="Registry Realm"' });
      }
      if (c.req.path.endsWith('/manifests/v1'))
        return c.body(null, 200, { 'docker-content-digest': digest, 'content-type': 'application/vnd.oci.image.manifest.v1+json' });
      return c.json({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }, 404);
    });
    served = await serveApp(app);
  });
  afterAll(async () => served.close());

  it('answers the Basic challenge, then sends Basic up front', async () => {
    const client = new OciRegistryClient({ baseUrl: served.url, username: 'ci', password: 'pa55' });
    expect(await client.manifestDigest('apps/x', 'v1')).toBe(digest);
    expect(await client.manifestDigest('apps/x', 'v2')).toBeNull();
    expect(unauthenticated).toBe(1);
    const anonymous = await failure(new OciRegistryClient({ baseUrl: served.url }).manifestDigest('apps/x', 'v1'));
    expect(anonymous).toMatchObject({ kind: 'auth' });
  });
});
