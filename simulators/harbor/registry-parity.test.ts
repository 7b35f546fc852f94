// The same distribution facts, checked against the simulator and against a real registry
// (Debian's docker-registry, distribution 2.8) on loopback: if the simulator drifts from the
// real thing, one side of this file fails.
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../../test/support/registry.js';
import {
  ACCEPT_ALL,
  DOCKER_LIST,
  DOCKER_MANIFEST,
  OCI_MANIFEST,
  ROBOT,
  RegistrySession,
  digestOf,
  pushImage,
  putManifest,
  startHarbor,
  type RunningHarbor,
} from './test-helpers.js';

interface Target {
  session: RegistrySession;
  stop(): Promise<void>;
}

const targets: Array<[string, () => Promise<Target>]> = [
  [
    'Harbor simulator',
    async () => {
      const harbor: RunningHarbor = await startHarbor();
      return { session: new RegistrySession(harbor.url, ROBOT), stop: () => harbor.close() };
    },
  ],
  [
    'docker-registry',
    async () => {
      const registry: RunningRegistry = await startDockerRegistry(mkdtempSync(path.join(inject('scratchDir'), 'parity-registry-')));
      return { session: new RegistrySession(registry.url), stop: () => registry.stop() };
    },
  ],
];

if (!dockerRegistryAvailable()) console.warn('docker-registry is not installed: the real-registry half of the parity tests is skipped');

describe.each(targets)('distribution facts on %s', (name, start) => {
  const skip = name === 'docker-registry' && !dockerRegistryAvailable();
  let target: Target;
  const send = (p: string, init: RequestInit = {}) => target.session.fetch(p, { ...init, scope: `repository:${p.split('/').slice(2, 5).join('/')}:pull,push` });

  beforeAll(async () => {
    if (!skip) target = await start();
  });
  afterAll(async () => {
    if (!skip) await target.stop();
  });

  async function errorCodes(response: Response, status: number): Promise<string[]> {
    expect(response.status).toBe(status);
    return ((await response.json()) as { errors: Array<{ code: string }> }).errors.map((e) => e.code);
  }

  it.skipIf(skip)('HEAD with the full Accept list gives Docker-Content-Digest and Content-Length', async () => {
    const pushed = await pushImage(target.session, 'apps/par/image', 'v1', { chunkSize: 16 });
    const head = await send('/v2/apps/par/image/manifests/v1', { method: 'HEAD', headers: { accept: ACCEPT_ALL } });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(pushed.digest);
    expect(head.headers.get('content-type')).toBe(OCI_MANIFEST);
    expect(head.headers.get('content-length')).toBe(String(pushed.manifest.length));
    expect(head.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it.skipIf(skip)('hides an OCI manifest from a client that does not accept it, by tag and by digest', async () => {
    const pushed = await pushImage(target.session, 'apps/par/oci', 'v1');
    expect(await errorCodes(await send('/v2/apps/par/oci/manifests/v1'), 404)).toEqual(['MANIFEST_UNKNOWN']);
    expect(await errorCodes(await send(`/v2/apps/par/oci/manifests/${pushed.digest}`, { headers: { accept: DOCKER_MANIFEST } }), 404)).toEqual([
      'MANIFEST_UNKNOWN',
    ]);
  });

  it.skipIf(skip)('fails a Docker manifest by tag without Accept (schema 1 conversion), serves it by digest', async () => {
    const pushed = await pushImage(target.session, 'apps/par/docker', 'v1', { format: 'docker' });
    expect(await errorCodes(await send('/v2/apps/par/docker/manifests/v1'), 400)).toEqual(['MANIFEST_INVALID']);
    const byDigest = await send(`/v2/apps/par/docker/manifests/${pushed.digest}`);
    expect(byDigest.status).toBe(200);
    expect(digestOf(new Uint8Array(await byDigest.arrayBuffer()))).toBe(pushed.digest);
  });

  it.skipIf(skip)('replaces a Docker manifest list by its linux/amd64 manifest for a client that does not accept lists', async () => {
    const pushed = await pushImage(target.session, 'apps/par/list', 'v1', { format: 'docker', kind: 'index' });
    const asList = await send('/v2/apps/par/list/manifests/v1', { method: 'HEAD', headers: { accept: ACCEPT_ALL } });
    expect(asList.headers.get('content-type')).toBe(DOCKER_LIST);
    const asManifest = await send('/v2/apps/par/list/manifests/v1', { method: 'HEAD', headers: { accept: DOCKER_MANIFEST } });
    expect(asManifest.status).toBe(200);
    expect(asManifest.headers.get('docker-content-digest')).toBe(pushed.childDigest);
  });

  it.skipIf(skip)('answers a reference that is no valid tag with a plain 404, and a missing one with MANIFEST_UNKNOWN', async () => {
    const pushed = await pushImage(target.session, 'apps/par/tags', 'ok');
    const bad = await send('/v2/apps/par/tags/manifests/-bad', {
      method: 'PUT',
      headers: { 'content-type': OCI_MANIFEST },
      body: new Uint8Array(pushed.manifest),
    });
    expect(bad.status).toBe(404);
    expect(await bad.text()).toBe('404 page not found\n');
    expect(await putManifest({ session: target.session, repository: 'apps/par/tags' }, 'x'.repeat(128), OCI_MANIFEST, pushed.manifest)).toBe(pushed.digest);
    expect(await errorCodes(await send('/v2/apps/par/tags/manifests/missing', { headers: { accept: ACCEPT_ALL } }), 404)).toEqual(['MANIFEST_UNKNOWN']);
    expect(await errorCodes(await send('/v2/apps/par/never-pushed/tags/list'), 404)).toEqual(['NAME_UNKNOWN']);
  });

  it.skipIf(skip)('deletes by digest (202); the tag goes with it and tags/list says null; a tag cannot be deleted', async () => {
    const pushed = await pushImage(target.session, 'apps/par/gone', 'v1');
    const byTag = await send('/v2/apps/par/gone/manifests/v1', { method: 'DELETE' });
    expect([400, 405]).toContain(byTag.status);
    expect((await send(`/v2/apps/par/gone/manifests/${pushed.digest}`, { method: 'DELETE' })).status).toBe(202);
    expect((await send('/v2/apps/par/gone/manifests/v1', { method: 'HEAD', headers: { accept: ACCEPT_ALL } })).status).toBe(404);
    const tags = (await (await send('/v2/apps/par/gone/tags/list')).json()) as { name: string; tags: string[] | null };
    expect(tags).toEqual({ name: 'apps/par/gone', tags: null });
  });

  it.skipIf(skip)('reports upload progress in Range (0-0 at start, inclusive end after a chunk)', async () => {
    const startUpload = await send('/v2/apps/par/upload/blobs/uploads/', { method: 'POST' });
    expect(startUpload.status).toBe(202);
    expect(startUpload.headers.get('range')).toBe('0-0');
    expect(startUpload.headers.get('docker-upload-uuid')).toBeTruthy();
    const location = startUpload.headers.get('location') ?? '';
    const patch = await send(location, { method: 'PATCH', headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array([1, 2, 3, 4, 5]) });
    expect(patch.status).toBe(202);
    expect(patch.headers.get('range')).toBe('0-4');
    const url = new URL(patch.headers.get('location') ?? '', target.session.baseUrl);
    url.searchParams.set('digest', digestOf(new Uint8Array([1, 2, 3, 4, 5])));
    const done = await send(url.toString(), { method: 'PUT' });
    expect(done.status).toBe(201);
    expect(done.headers.get('docker-content-digest')).toBe(digestOf(new Uint8Array([1, 2, 3, 4, 5])));
  });
});
