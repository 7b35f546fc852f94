// Conformance of the Harbor v2.0 API of the simulator, over real HTTP with plain fetch:
// every Harbor fact of docs/outside-systems.md, checked the way a client would meet it.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ADMIN,
  OTHER_ROBOT,
  ROBOT,
  RegistrySession,
  basic,
  eventually,
  pushImage,
  startHarbor,
  type RunningHarbor,
  anyNumber,
  anyString,
  containing,
  matching,
} from './test-helpers.js';

const REPORT = 'application/vnd.security.vulnerability.report; version=1.1';
const auth = { authorization: basic(ROBOT.username, ROBOT.password) };

let harbor: RunningHarbor;
let session: RegistrySession;

beforeAll(async () => {
  harbor = await startHarbor();
  session = new RegistrySession(harbor.url, ROBOT);
});
afterAll(async () => harbor.close());
beforeEach(() => {
  harbor.scenarios.reset();
  harbor.scenarios.setDefault({ scan: { onPush: false } });
});

const api = (path: string, init: RequestInit = {}) =>
  fetch(`${harbor.url}/api/v2.0${path}`, { ...init, headers: { ...auth, ...(init.headers as Record<string, string>) } });
const artifactPath = (repo: string, reference: string, query = '') =>
  `/projects/apps/repositories/${encodeURIComponent(encodeURIComponent(repo))}/artifacts/${reference}${query}`;

async function expectHarborError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await response.json()) as { errors: Array<{ code: string; message: string }> };
  expect(body).toEqual({ errors: [{ code, message: anyString }] });
  return body.errors[0]?.message ?? '';
}

describe('unauthenticated endpoints', () => {
  it('GET /api/v2.0/ping answers Pong as text/plain without auth', async () => {
    const response = await fetch(`${harbor.url}/api/v2.0/ping`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/plain/);
    expect(await response.text()).toBe('Pong');
  });

  it('GET /api/v2.0/systeminfo gives harbor_version to authenticated callers only', async () => {
    const anonymous = (await (await fetch(`${harbor.url}/api/v2.0/systeminfo`)).json()) as Record<string, unknown>;
    expect(anonymous.auth_mode).toBe('db_auth');
    expect(anonymous.harbor_version).toBeUndefined();
    const authed = (await (await api('/systeminfo')).json()) as Record<string, unknown>;
    expect(authed.harbor_version).toMatch(/^v2\./);
  });
});

describe('authentication', () => {
  beforeAll(async () => {
    await pushImage(session, 'apps/ws1/auth-check', 'v1');
  });

  it('answers 401 in the errors shape without credentials, and with a wrong password', async () => {
    const path = `${harbor.url}/api/v2.0${artifactPath('ws1/auth-check', 'v1')}`;
    await expectHarborError(await fetch(path), 401, 'UNAUTHORIZED');
    await expectHarborError(await fetch(path, { headers: { authorization: basic(ROBOT.username, 'wrong') } }), 401, 'UNAUTHORIZED');
  });

  it('accepts a user and a robot account with Basic, and sets no cookie', async () => {
    for (const who of [ROBOT, ADMIN]) {
      const response = await fetch(`${harbor.url}/api/v2.0${artifactPath('ws1/auth-check', 'v1')}`, {
        headers: { authorization: basic(who.username, who.password) },
      });
      expect(response.status).toBe(200);
      expect(response.headers.get('set-cookie')).toBeNull();
    }
  });

  it('keeps a robot account inside its project (403) and reports unknown projects (404)', async () => {
    const other = await fetch(`${harbor.url}/api/v2.0${artifactPath('ws1/auth-check', 'v1')}`, {
      headers: { authorization: basic(OTHER_ROBOT.username, OTHER_ROBOT.password) },
    });
    await expectHarborError(other, 403, 'FORBIDDEN');
    await expectHarborError(await api('/projects/nope/repositories/x/artifacts/v1'), 404, 'NOT_FOUND');
  });

  it('echoes X-Request-Id', async () => {
    const response = await api(artifactPath('ws1/auth-check', 'missing'), { headers: { 'x-request-id': 'req-42' } });
    expect(response.headers.get('x-request-id')).toBe('req-42');
  });

  it('turns on the CSRF check only for requests carrying a session cookie', async () => {
    const withCookie = await api(`${artifactPath('ws1/auth-check', 'v1')}/scan`, { method: 'POST', headers: { cookie: 'sid=abc123' } });
    await expectHarborError(withCookie, 403, 'FORBIDDEN');
    const withoutCookie = await api(`${artifactPath('ws1/auth-check', 'v1')}/scan`, { method: 'POST' });
    expect(withoutCookie.status).toBe(202);
  });
});

describe('GET artifact', () => {
  let pushed: { digest: string };
  beforeAll(async () => {
    pushed = await pushImage(session, 'apps/ws1/alice-shop', 'v1');
  });

  it('finds a repository with a slash only when the name is double-encoded', async () => {
    const double = await fetch(`${harbor.url}/api/v2.0/projects/apps/repositories/ws1%252Falice-shop/artifacts/v1`, { headers: auth });
    expect(double.status).toBe(200);
    const single = await fetch(`${harbor.url}/api/v2.0/projects/apps/repositories/ws1%2Falice-shop/artifacts/v1`, { headers: auth });
    const singleMessage = await expectHarborError(single, 404, 'NOT_FOUND');
    const missing = await fetch(`${harbor.url}/api/v2.0/projects/apps/repositories/ws1%252Falice-shop/artifacts/v1-missing`, { headers: auth });
    const missingMessage = await expectHarborError(missing, 404, 'NOT_FOUND');
    // The single-encoded 404 reads exactly like "no such artifact".
    expect(singleMessage).toBe('artifact apps/ws1/alice-shop:v1 not found');
    expect(missingMessage).toBe('artifact apps/ws1/alice-shop:v1-missing not found');
    const raw = await fetch(`${harbor.url}/api/v2.0/projects/apps/repositories/ws1/alice-shop/artifacts/v1`, { headers: auth });
    await expectHarborError(raw, 404, 'NOT_FOUND');
  });

  it('has the fields of the Harbor swagger Artifact definition', async () => {
    const artifact = (await (await api(artifactPath('ws1/alice-shop', 'v1'))).json()) as Record<string, unknown>;
    expect(artifact).toMatchObject({
      id: anyNumber,
      type: 'IMAGE',
      media_type: 'application/vnd.oci.image.config.v1+json',
      manifest_media_type: 'application/vnd.oci.image.manifest.v1+json',
      project_id: 1,
      repository_id: anyNumber,
      digest: pushed.digest,
      size: anyNumber,
      push_time: matching(/^\d{4}-\d\d-\d\dT/),
      pull_time: anyString,
      references: null,
      labels: null,
      extra_attrs: containing({ architecture: 'amd64', os: 'linux' }),
    });
    expect(artifact.tags).toEqual([
      {
        id: anyNumber,
        repository_id: artifact.repository_id,
        artifact_id: artifact.id,
        name: 'v1',
        push_time: anyString,
        pull_time: anyString,
        immutable: false,
        signed: false,
      },
    ]);
    expect(artifact).not.toHaveProperty('scan_overview');
  });

  it('finds the same artifact by digest', async () => {
    const byDigest = (await (await api(artifactPath('ws1/alice-shop', pushed.digest))).json()) as { digest: string; tags: Array<{ name: string }> };
    expect(byDigest.digest).toBe(pushed.digest);
    expect(byDigest.tags.map((t) => t.name)).toEqual(['v1']);
  });

  it('describes an index with references to its image', async () => {
    const index = await pushImage(session, 'apps/ws1/multi', 'v1', { kind: 'index' });
    const artifact = (await (await api(artifactPath('ws1/multi', 'v1'))).json()) as Record<string, unknown>;
    expect(artifact).toMatchObject({ type: 'IMAGE', manifest_media_type: 'application/vnd.oci.image.index.v1+json', digest: index.digest });
    expect(artifact.references).toEqual([containing({ child_digest: index.childDigest, platform: { architecture: 'amd64', os: 'linux' } })]);
  });
});

describe('scans', () => {
  it('has no scan_overview for an artifact never scanned, which is not the same as clean', async () => {
    await pushImage(session, 'apps/ws1/unscanned', 'v1');
    const unscanned = (await (await api(artifactPath('ws1/unscanned', 'v1', '?with_scan_overview=true'))).json()) as Record<string, unknown>;
    expect(unscanned.scan_overview ?? {}).toEqual({});

    harbor.scenarios.set('ws1-clean', { scan: { findings: {}, durationMs: 0, onPush: true } });
    await pushImage(session, 'apps/ws1/clean', 'v1');
    const clean = (await (await api(artifactPath('ws1/clean', 'v1', '?with_scan_overview=true'))).json()) as {
      scan_overview: Record<string, Record<string, unknown>>;
    };
    expect(clean.scan_overview[REPORT]).toMatchObject({ scan_status: 'Success', severity: 'None', summary: { total: 0, fixable: 0, summary: {} } });
  });

  it('goes Pending -> Running -> Success with the scenario findings; 409 while scanning', async () => {
    harbor.scenarios.set('ws1-scanned', { scan: { findings: { High: 2, Low: 3 }, durationMs: 1500, onPush: false } });
    await pushImage(session, 'apps/ws1/scanned', 'v1');
    const scanPath = `${artifactPath('ws1/scanned', 'v1')}/scan`;
    const overview = async () => {
      const body = (await (await api(artifactPath('ws1/scanned', 'v1', '?with_scan_overview=true'))).json()) as {
        scan_overview?: Record<string, Record<string, unknown>>;
      };
      return body.scan_overview?.[REPORT];
    };

    const started = await api(scanPath, { method: 'POST' });
    expect(started.status).toBe(202);
    expect(started.headers.get('x-request-id')).toBeTruthy();
    const pending = await overview();
    expect(pending).toMatchObject({
      scan_status: 'Pending',
      complete_percent: 0,
      report_id: anyString,
      scanner: { name: 'Trivy', vendor: anyString, version: anyString },
    });
    const conflict = await expectHarborError(await api(scanPath, { method: 'POST' }), 409, 'CONFLICT');
    expect(conflict).toBe('a previous scan process is Pending');

    const running = await eventually(async () => {
      const o = await overview();
      return o?.scan_status === 'Running' ? o : undefined;
    });
    expect(running.complete_percent).toBeGreaterThanOrEqual(0);
    expect(running.complete_percent).toBeLessThan(100);
    await expectHarborError(await api(scanPath, { method: 'POST' }), 409, 'CONFLICT');

    const done = await eventually(async () => {
      const o = await overview();
      return o?.scan_status === 'Success' ? o : undefined;
    });
    expect(done).toMatchObject({
      severity: 'High',
      complete_percent: 100,
      duration: anyNumber,
      start_time: anyString,
      end_time: anyString,
      summary: { total: 5, fixable: anyNumber, summary: { High: 2, Low: 3 } },
    });
    // A finished scan may be rerun.
    expect((await api(scanPath, { method: 'POST' })).status).toBe(202);
  });

  it('ends with Error when the scenario says so', async () => {
    harbor.scenarios.set('ws1-broken-scan', { scan: { durationMs: 0, error: true, onPush: true } });
    await pushImage(session, 'apps/ws1/broken-scan', 'v1');
    const body = (await (await api(artifactPath('ws1/broken-scan', 'v1', '?with_scan_overview=true'))).json()) as {
      scan_overview: Record<string, Record<string, unknown>>;
    };
    expect(body.scan_overview[REPORT]?.scan_status).toBe('Error');
  });

  it('scans on push when the scenario asks for it', async () => {
    harbor.scenarios.set('ws1-on-push', { scan: { findings: { Critical: 1 }, durationMs: 0, onPush: true } });
    await pushImage(session, 'apps/ws1/on-push', 'v1');
    const body = (await (await api(artifactPath('ws1/on-push', 'v1', '?with_scan_overview=true'))).json()) as {
      scan_overview: Record<string, Record<string, unknown>>;
    };
    expect(body.scan_overview[REPORT]).toMatchObject({ scan_status: 'Success', severity: 'Critical', summary: { total: 1, summary: { Critical: 1 } } });
  });

  it('answers 422 for an artifact that is not an image and 404 for a missing one', async () => {
    await pushImage(session, 'apps/ws1/chart', '0.1.0', { kind: 'chart' });
    const chart = (await (await api(artifactPath('ws1/chart', '0.1.0'))).json()) as { type: string };
    expect(chart.type).toBe('CHART');
    await expectHarborError(await api(`${artifactPath('ws1/chart', '0.1.0')}/scan`, { method: 'POST' }), 422, 'UNPROCESSABLE_ENTITY');
    await pushImage(session, 'apps/ws1/thing', 'v1', { kind: 'unknown' });
    await expectHarborError(await api(`${artifactPath('ws1/thing', 'v1')}/scan`, { method: 'POST' }), 422, 'UNPROCESSABLE_ENTITY');
    await expectHarborError(await api(`${artifactPath('ws1/chart', 'nope')}/scan`, { method: 'POST' }), 404, 'NOT_FOUND');
  });

  it('stops a running scan', async () => {
    harbor.scenarios.set('ws1-stoppable', { scan: { durationMs: 60_000, onPush: true } });
    await pushImage(session, 'apps/ws1/stoppable', 'v1');
    expect((await api(`${artifactPath('ws1/stoppable', 'v1')}/scan/stop`, { method: 'POST' })).status).toBe(202);
    const body = (await (await api(artifactPath('ws1/stoppable', 'v1', '?with_scan_overview=true'))).json()) as {
      scan_overview: Record<string, Record<string, unknown>>;
    };
    expect(body.scan_overview[REPORT]?.scan_status).toBe('Stopped');
  });
});

describe('list and delete artifacts', () => {
  beforeAll(async () => {
    for (const tag of ['1.0.0', '1.1.0', '2.0.0-rc1']) await pushImage(session, 'apps/ws2/listing', tag);
  });

  it('pages with X-Total-Count and Link, filters with q', async () => {
    const first = await api('/projects/apps/repositories/ws2%252Flisting/artifacts?page=1&page_size=2');
    expect(first.status).toBe(200);
    expect(first.headers.get('x-total-count')).toBe('3');
    expect(first.headers.get('link')).toMatch(/<[^>]*page=2&page_size=2>; rel="next"/);
    expect(((await first.json()) as unknown[]).length).toBe(2);
    const second = await api('/projects/apps/repositories/ws2%252Flisting/artifacts?page=2&page_size=2');
    expect(second.headers.get('link')).toMatch(/rel="prev"/);
    expect(((await second.json()) as unknown[]).length).toBe(1);

    const exact = (await (await api(`/projects/apps/repositories/ws2%252Flisting/artifacts?q=${encodeURIComponent('tags=1.1.0')}`)).json()) as Array<{
      tags: Array<{ name: string }>;
    }>;
    expect(exact.map((a) => a.tags[0]?.name)).toEqual(['1.1.0']);
    const fuzzy = (await (await api(`/projects/apps/repositories/ws2%252Flisting/artifacts?q=${encodeURIComponent('tags=~rc')}`)).json()) as Array<{
      tags: Array<{ name: string }>;
    }>;
    expect(fuzzy.map((a) => a.tags[0]?.name)).toEqual(['2.0.0-rc1']);
    await expectHarborError(await api('/projects/apps/repositories/ws2%252Flisting/artifacts?page_size=101'), 422, 'UNPROCESSABLE_ENTITY');
    await expectHarborError(await api('/projects/apps/repositories/ws2%252Fnothing/artifacts'), 404, 'NOT_FOUND');
  });

  it('deletes an artifact: gone from the API and from /v2/', async () => {
    const pushed = await pushImage(session, 'apps/ws2/doomed', 'v1');
    const deleted = await api(artifactPath('ws2/doomed', 'v1'), { method: 'DELETE' });
    expect(deleted.status).toBe(200);
    await expectHarborError(await api(artifactPath('ws2/doomed', pushed.digest)), 404, 'NOT_FOUND');
    const head = await fetch(`${harbor.url}/v2/apps/ws2/doomed/manifests/v1`, { method: 'HEAD', headers: auth });
    expect(head.status).toBe(404);
    await expectHarborError(await api(artifactPath('ws2/doomed', 'v1'), { method: 'DELETE' }), 404, 'NOT_FOUND');
  });
});

describe('control routes under /_sim/harbor', () => {
  it('seeds an image, lists it, scans it, deletes it', async () => {
    harbor.scenarios.set('ws3-seeded', { scan: { findings: { Medium: 4 }, durationMs: 0, onPush: false } });
    const seeded = await fetch(`${harbor.url}/_sim/harbor/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repository: 'apps/ws3/seeded', tag: 'v7' }),
    });
    expect(seeded.status).toBe(201);
    const { digest } = (await seeded.json()) as { digest: string };
    const head = await fetch(`${harbor.url}/v2/apps/ws3/seeded/manifests/v7`, {
      method: 'HEAD',
      headers: { ...auth, accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(head.headers.get('docker-content-digest')).toBe(digest);

    const scan = await fetch(`${harbor.url}/_sim/harbor/scans`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repository: 'apps/ws3/seeded', reference: 'v7' }),
    });
    expect(scan.status).toBe(202);
    const listed = (await (await fetch(`${harbor.url}/_sim/harbor/artifacts`)).json()) as Array<{
      repository: string;
      tags: string[];
      scan: { scan_status: string; severity: string } | null;
    }>;
    expect(listed.find((a) => a.repository === 'apps/ws3/seeded')).toMatchObject({ tags: ['v7'], scan: { scan_status: 'Success', severity: 'Medium' } });

    const removed = await fetch(`${harbor.url}/_sim/harbor/images?repository=apps/ws3/seeded&reference=v7`, { method: 'DELETE' });
    expect(removed.status).toBe(200);
    expect((await api(artifactPath('ws3/seeded', 'v7'))).status).toBe(404);
    const bad = await fetch(`${harbor.url}/_sim/harbor/images`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ repository: 'apps/x', tag: '-bad' }),
    });
    expect(bad.status).toBe(400);
  });

  it('counts requests per route pattern', async () => {
    harbor.sim.counters.reset();
    await api(artifactPath('ws1/alice-shop', 'v1'));
    await api(artifactPath('ws1/alice-shop', 'v2'));
    const counters = (await (await fetch(`${harbor.url}/_sim/counters`)).json()) as { routes: Record<string, number> };
    expect(counters.routes['GET /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference']).toBe(2);
  });
});
