// The simulator in `upstream` mode over a real docker-registry: a push through the simulator
// lands in the real registry, and the Harbor API reads what the real registry holds (also
// images pushed straight into it).
import { mkdtempSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { dockerRegistryAvailable, startDockerRegistry, type RunningRegistry } from '../../test/support/registry.js';
import { ACCEPT_ALL, ROBOT, RegistrySession, basic, pushImage, startHarbor, type RunningHarbor } from './test-helpers.js';

const REPORT = 'application/vnd.security.vulnerability.report; version=1.1';
const available = dockerRegistryAvailable();
if (!available) console.warn('docker-registry is not installed: upstream-mode tests are skipped');

describe.skipIf(!available)('Harbor simulator over a real docker-registry', () => {
  let registry: RunningRegistry;
  let harbor: RunningHarbor;
  let viaHarbor: RegistrySession;
  let direct: RegistrySession;
  const api = (p: string, init: RequestInit = {}) =>
    fetch(`${harbor.url}/api/v2.0${p}`, { ...init, headers: { authorization: basic(ROBOT.username, ROBOT.password) } });

  beforeAll(async () => {
    registry = await startDockerRegistry(mkdtempSync(path.join(inject('scratchDir'), 'upstream-registry-')));
    harbor = await startHarbor({ upstream: { url: registry.url } });
    harbor.scenarios.setDefault({ scan: { onPush: false } });
    viaHarbor = new RegistrySession(harbor.url, ROBOT);
    direct = new RegistrySession(registry.url);
  });
  afterAll(async () => {
    await harbor?.close();
    await registry?.stop();
  });

  it('stores an image pushed through the simulator in the real registry', async () => {
    harbor.scenarios.set('ws1-upstream-shop', { scan: { findings: { High: 1 }, durationMs: 0, onPush: true } });
    const pushed = await pushImage(viaHarbor, 'apps/ws1/upstream-shop', 'v1', { chunkSize: 10, layerBytes: 40 });
    const real = await fetch(`${registry.url}/v2/apps/ws1/upstream-shop/manifests/v1`, { method: 'HEAD', headers: { accept: ACCEPT_ALL } });
    expect(real.status).toBe(200);
    expect(real.headers.get('docker-content-digest')).toBe(pushed.digest);
    const tags = (await (await fetch(`${registry.url}/v2/apps/ws1/upstream-shop/tags/list`)).json()) as { tags: string[] };
    expect(tags.tags).toEqual(['v1']);

    const artifact = (await (await api('/projects/apps/repositories/ws1%252Fupstream-shop/artifacts/v1?with_scan_overview=true')).json()) as {
      digest: string;
      tags: Array<{ name: string }>;
      scan_overview: Record<string, { scan_status: string; severity: string }>;
    };
    expect(artifact.digest).toBe(pushed.digest);
    expect(artifact.tags.map((t) => t.name)).toEqual(['v1']);
    expect(artifact.scan_overview[REPORT]).toMatchObject({ scan_status: 'Success', severity: 'High' });
  });

  it('pushes an index through the simulator and reads it back through /v2/', async () => {
    const pushed = await pushImage(viaHarbor, 'apps/ws1/upstream-multi', 'v1', { kind: 'index' });
    const head = await viaHarbor.fetch('/v2/apps/ws1/upstream-multi/manifests/v1', {
      method: 'HEAD',
      headers: { accept: ACCEPT_ALL },
      scope: 'repository:apps/ws1/upstream-multi:pull',
    });
    expect(head.headers.get('docker-content-digest')).toBe(pushed.digest);
    const artifact = (await (await api('/projects/apps/repositories/ws1%252Fupstream-multi/artifacts/v1')).json()) as {
      references: Array<{ child_digest: string }>;
    };
    expect(artifact.references.map((r) => r.child_digest)).toEqual([pushed.childDigest]);
  });

  it('shows in the Harbor API an image pushed straight into the real registry', async () => {
    const pushed = await pushImage(direct, 'apps/ws2/direct', '1.0.0');
    await pushImage(direct, 'apps/ws2/direct', '1.1.0');
    const artifact = (await (await api('/projects/apps/repositories/ws2%252Fdirect/artifacts/1.0.0?with_scan_overview=true')).json()) as Record<
      string,
      unknown
    >;
    expect(artifact).toMatchObject({ digest: pushed.digest, type: 'IMAGE', tags: [{ name: '1.0.0' }] });
    expect(artifact.scan_overview ?? {}).toEqual({});
    const list = await api('/projects/apps/repositories/ws2%252Fdirect/artifacts');
    expect(list.headers.get('x-total-count')).toBe('2');
    // and it can be scanned on demand
    expect((await api('/projects/apps/repositories/ws2%252Fdirect/artifacts/1.0.0/scan', { method: 'POST' })).status).toBe(202);
    const pulled = await viaHarbor.fetch('/v2/apps/ws2/direct/manifests/1.1.0', { headers: { accept: ACCEPT_ALL }, scope: 'repository:apps/ws2/direct:pull' });
    expect(pulled.status).toBe(200);
  });

  it('deletes through the Harbor API from the real registry', async () => {
    const pushed = await pushImage(viaHarbor, 'apps/ws3/upstream-doomed', 'v1');
    expect((await api(`/projects/apps/repositories/ws3%252Fupstream-doomed/artifacts/${pushed.digest}`, { method: 'DELETE' })).status).toBe(200);
    const real = await fetch(`${registry.url}/v2/apps/ws3/upstream-doomed/manifests/v1`, { method: 'HEAD', headers: { accept: ACCEPT_ALL } });
    expect(real.status).toBe(404);
    expect((await api('/projects/apps/repositories/ws3%252Fupstream-doomed/artifacts/v1')).status).toBe(404);
  });
});
