// The Harbor client: scan summary rules, then against the Harbor simulator over HTTP (double
// encoding, scans, deletion, errors, robot accounts), and under injected faults. The gate that
// reads the summaries is tested in activities/severity-gate.test.ts.
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, OTHER_ROBOT, ROBOT, RegistrySession, eventually, pushImage, startHarbor, type RunningHarbor } from '../simulators/harbor/test-helpers.js';
import { meetsSeverityGate } from '../activities/severity-gate.js';
import { ClientError } from './errors.js';
import { HarborClient, VULNERABILITY_REPORT_MIME, scanSummary, type ScanSummary } from './harbor.js';

async function failure(promise: Promise<unknown>): Promise<ClientError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ system: 'harbor' });
    return error as ClientError;
  }
  throw new Error('expected a failure');
}

const report = (fields: Record<string, unknown>) => ({ scan_overview: { [VULNERABILITY_REPORT_MIME]: { scan_status: 'Success', ...fields } } });

describe('scanSummary', () => {
  it('treats a missing, null or empty scan_overview as not scanned, never clean', () => {
    for (const artifact of [{}, { scan_overview: null }, { scan_overview: {} }]) {
      const summary = scanSummary(artifact);
      expect(summary).toMatchObject({ status: 'not-scanned', severity: null, total: 0 });
      expect(meetsSeverityGate(summary, 'Critical')).toBe(false);
    }
  });

  it('maps Harbor statuses', () => {
    const statuses: Array<[string, ScanSummary['status']]> = [
      ['Pending', 'pending'],
      ['Scheduled', 'pending'],
      ['Running', 'running'],
      ['Success', 'success'],
      ['Error', 'error'],
      ['Stopped', 'stopped'],
      ['SomethingNew', 'error'],
    ];
    for (const [raw, status] of statuses) expect(scanSummary(report({ scan_status: raw })).status).toBe(status);
  });

  it('reads counts and severity of a successful scan, taking the worse of reported and counted', () => {
    const summary = scanSummary(report({ severity: 'High', summary: { total: 5, fixable: 1, summary: { High: 2, Low: 3 } } }));
    expect(summary).toMatchObject({
      status: 'success',
      severity: 'High',
      total: 5,
      counts: { Critical: 0, High: 2, Medium: 0, Low: 3, Negligible: 0, Unknown: 0 },
    });
    expect(scanSummary(report({ severity: 'Low', summary: { total: 1, summary: { Critical: 1 } } })).severity).toBe('Critical');
    expect(scanSummary(report({ severity: 'Critical', summary: { total: 0, summary: {} } })).severity).toBe('Critical');
    expect(scanSummary(report({ severity: 'None', summary: { total: 0, fixable: 0, summary: {} } }))).toMatchObject({ severity: 'None', total: 0 });
  });

  it('finds the report under another vulnerability MIME key', () => {
    const summary = scanSummary({
      scan_overview: { 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0': { scan_status: 'Running', complete_percent: 40 } },
    });
    expect(summary).toMatchObject({ status: 'running', completePercent: 40 });
  });
});

describe('against the Harbor simulator', () => {
  let harbor: RunningHarbor;
  let session: RegistrySession;
  let shop: { digest: string };
  const client = (overrides: Partial<ConstructorParameters<typeof HarborClient>[0]> = {}) =>
    new HarborClient({ baseUrl: harbor.url, username: ROBOT.username, password: ROBOT.password, project: 'apps', ...overrides });

  beforeAll(async () => {
    harbor = await startHarbor();
    harbor.scenarios.setDefault({ scan: { onPush: false } });
    session = new RegistrySession(harbor.url, ROBOT);
    shop = await pushImage(session, 'apps/ws1/alice-shop', 'v1');
  });
  afterAll(async () => harbor.close());
  beforeEach(() => harbor.sim.faults.configure({}));

  it('pings and reads the version', async () => {
    await client().ping();
    expect((await client().systemInfo()).harbor_version).toMatch(/^v2\./);
  });

  it('gets an artifact by tag and by digest, double-encoding the repository; null on 404', async () => {
    harbor.sim.counters.reset();
    const artifact = await client().getArtifact('ws1/alice-shop', 'v1');
    expect(artifact).toMatchObject({ digest: shop.digest, tags: [{ name: 'v1' }] });
    expect((await client().getArtifact('ws1/alice-shop', shop.digest))?.digest).toBe(shop.digest);
    expect(await client().getArtifact('ws1/alice-shop', 'v404')).toBeNull();
    expect(await client().getArtifact('ws9/nothing', 'v1')).toBeNull();
    expect(harbor.sim.counters.snapshot().routes['GET /api/v2.0/projects/:project/repositories/:repository/artifacts/:reference']).toBe(4);
  });

  it('sends Basic auth, no cookie, and never echoes the password', async () => {
    const seen: Headers[] = [];
    const spy: typeof fetch = (input, init) => {
      seen.push(new Headers(init?.headers));
      return fetch(input, init);
    };
    await client({ fetch: spy }).getArtifact('ws1/alice-shop', 'v1');
    await client({ fetch: spy }).triggerScan('ws1/alice-shop', 'v1');
    for (const headers of seen) {
      expect(headers.get('authorization')).toMatch(/^Basic /);
      expect(headers.get('cookie')).toBeNull();
    }
    const bad = await failure(client({ password: 'hunter2-secret' }).getArtifact('ws1/alice-shop', 'v1'));
    expect(bad).toMatchObject({ kind: 'auth', status: 401, transient: false });
    expect(bad.message).not.toContain('hunter2-secret');
    expect(JSON.stringify(bad)).not.toContain('hunter2-secret');
  });

  it('fails terminally for a robot of another project', async () => {
    const error = await failure(client({ username: OTHER_ROBOT.username, password: OTHER_ROBOT.password }).getArtifact('ws1/alice-shop', 'v1'));
    expect(error).toMatchObject({ kind: 'auth', status: 403, transient: false });
  });

  it('refuses invalid repositories and references before sending anything', async () => {
    harbor.sim.counters.reset();
    for (const [repo, ref] of [
      ['ws1/alice-shop', '-v1'],
      ['WS1/Upper', 'v1'],
      ['ws1/alice-shop', 'x'.repeat(129)],
    ] as const) {
      const error = await failure(client().getArtifact(repo, ref));
      expect(error).toMatchObject({ kind: 'invalid', transient: false });
    }
    expect(harbor.sim.counters.snapshot().total).toBe(0);
  });

  it('scans: not scanned, started, already running, then a summary that the gate reads', async () => {
    harbor.scenarios.set('ws1-gated', { scan: { findings: { Critical: 1, Medium: 2 }, durationMs: 300, onPush: false } });
    await pushImage(session, 'apps/ws1/gated', 'v1');
    const harborClient = client();
    const before = await harborClient.getArtifact('ws1/gated', 'v1', { withScanOverview: true });
    expect(harborClient.scanSummary(before ?? {}).status).toBe('not-scanned');

    expect(await harborClient.triggerScan('ws1/gated', 'v1')).toBe('started');
    expect(await harborClient.triggerScan('ws1/gated', 'v1')).toBe('already-running');
    const early = harborClient.scanSummary((await harborClient.getArtifact('ws1/gated', 'v1', { withScanOverview: true })) ?? {});
    expect(['pending', 'running']).toContain(early.status);
    expect(meetsSeverityGate(early, 'Critical')).toBe(false);

    const done = await eventually(async () => {
      const summary = harborClient.scanSummary((await harborClient.getArtifact('ws1/gated', 'v1', { withScanOverview: true })) ?? {});
      return summary.status === 'success' ? summary : undefined;
    });
    expect(done).toMatchObject({ severity: 'Critical', total: 3, counts: { Critical: 1, Medium: 2 } });
    expect(meetsSeverityGate(done, 'Critical')).toBe(false);

    harbor.scenarios.set('ws1-clean', { scan: { findings: { Low: 1 }, durationMs: 0, onPush: true } });
    await pushImage(session, 'apps/ws1/clean', 'v1');
    const clean = harborClient.scanSummary((await harborClient.getArtifact('ws1/clean', 'v1', { withScanOverview: true })) ?? {});
    expect(clean).toMatchObject({ status: 'success', severity: 'Low' });
    expect(meetsSeverityGate(clean, 'Critical')).toBe(true);
  });

  it('reports a scan that ends in Error', async () => {
    harbor.scenarios.set('ws1-scan-error', { scan: { durationMs: 0, error: true, onPush: true } });
    await pushImage(session, 'apps/ws1/scan-error', 'v1');
    const summary = client().scanSummary((await client().getArtifact('ws1/scan-error', 'v1', { withScanOverview: true })) ?? {});
    expect(summary.status).toBe('error');
  });

  it('throws unsupported (422: not scannable) and not_found (404) from triggerScan', async () => {
    await pushImage(session, 'apps/ws1/chart', '1.0.0', { kind: 'chart' });
    const notScannable = await failure(client().triggerScan('ws1/chart', '1.0.0'));
    expect(notScannable).toMatchObject({ kind: 'unsupported', status: 422, transient: false });
    const missing = await failure(client().triggerScan('ws1/chart', '9.9.9'));
    expect(missing).toMatchObject({ kind: 'not_found', status: 404, transient: false });
  });

  it('also reads Harbor 2.x\'s 400 "does not support scanning" as not scannable', async () => {
    const stub: typeof fetch = async () =>
      new Response(
        JSON.stringify({
          errors: [
            {
              code: 'BAD_REQUEST',
              message: 'the configured scanner Trivy does not support scanning artifact with mime type application/vnd.oci.image.manifest.v1+json',
            },
          ],
        }),
        {
          status: 400,
          headers: { 'content-type': 'application/json', 'x-request-id': 'r1' },
        },
      );
    const error = await failure(client({ fetch: stub }).triggerScan('ws1/x', 'v1'));
    expect(error).toMatchObject({ kind: 'unsupported', status: 400, code: 'BAD_REQUEST', requestId: 'r1' });
  });

  it('lists artifacts with q and pages', async () => {
    for (const tag of ['1.0.0', '1.1.0', '2.0.0']) await pushImage(session, 'apps/ws2/listed', tag);
    const all = await client().listArtifacts('ws2/listed', { pageSize: 2 });
    expect(all.total).toBe(3);
    expect(all.artifacts).toHaveLength(2);
    const one = await client().listArtifacts('ws2/listed', { q: 'tags=1.1.0' });
    expect(one.artifacts.map((a) => a.tags[0]?.name)).toEqual(['1.1.0']);
    expect(await client().listArtifacts('ws2/none')).toEqual({ artifacts: [], total: 0 });
  });

  it('deletes an artifact: true, then false', async () => {
    await pushImage(session, 'apps/ws2/doomed', 'v1');
    const admin = client({ username: ADMIN.username, password: ADMIN.password });
    expect(await admin.deleteArtifact('ws2/doomed', 'v1')).toBe(true);
    expect(await admin.deleteArtifact('ws2/doomed', 'v1')).toBe(false);
    expect(await admin.getArtifact('ws2/doomed', 'v1')).toBeNull();
  });

  it('classifies 5xx, dropped connections and timeouts as transient', async () => {
    harbor.sim.faults.configure({ errorRate: 1 });
    const unavailable = await failure(client().getArtifact('ws1/alice-shop', 'v1'));
    expect(unavailable).toMatchObject({ kind: 'unavailable', status: 503, transient: true });

    harbor.sim.faults.configure({ dropRate: 1 });
    const dropped = await failure(client({ timeoutMs: 500 }).getArtifact('ws1/alice-shop', 'v1'));
    expect(dropped).toMatchObject({ kind: 'unavailable', transient: true });

    harbor.sim.faults.configure({ latencyMs: 300 });
    const slow = await failure(client({ timeoutMs: 100 }).getArtifact('ws1/alice-shop', 'v1'));
    expect(slow).toMatchObject({ kind: 'unavailable', transient: true });
    expect(slow.message).toMatch(/timed out/);
  });

  it('under 30% seeded faults: every failure is transient, counted, and the run replays from the seed', async () => {
    async function run(): Promise<string[]> {
      const harborClient = client({ timeoutMs: 600 });
      const outcomes: string[] = [];
      for (let i = 0; i < 20; i += 1) {
        try {
          expect((await harborClient.getArtifact('ws1/alice-shop', 'v1'))?.digest).toBe(shop.digest);
          outcomes.push('ok');
        } catch (error) {
          expect(error).toMatchObject({ system: 'harbor', kind: 'unavailable', transient: true });
          outcomes.push((error as ClientError).status === 503 ? '503' : 'dropped');
        }
      }
      return outcomes;
    }
    harbor.sim.faults.configure({ errorRate: 0.3, dropRate: 0.3, seed: 5 });
    harbor.sim.counters.reset();
    const first = await run();
    const { faults } = harbor.sim.counters.snapshot();
    expect(faults.error).toBe(first.filter((o) => o === '503').length);
    expect(faults.drop).toBe(first.filter((o) => o === 'dropped').length);
    expect(faults.error + faults.drop).toBeGreaterThan(4);

    harbor.sim.faults.configure({ errorRate: 0.3, dropRate: 0.3, seed: 5 });
    harbor.sim.counters.reset();
    expect(await run()).toEqual(first);
  });
});

describe('robot accounts against the Harbor simulator', () => {
  let harbor: RunningHarbor;
  const admin = (overrides: Partial<ConstructorParameters<typeof HarborClient>[0]> = {}) =>
    new HarborClient({ baseUrl: harbor.url, username: ADMIN.username, password: ADMIN.password, project: 'apps', ...overrides });

  beforeAll(async () => {
    harbor = await startHarbor();
  });
  afterAll(async () => harbor.close());

  it('creates a pull-only project robot, finds it by name, and refreshes its secret', async () => {
    const created = await admin().createProjectRobot({ name: 'pull-ws1', repositoryActions: ['pull'], description: 'pulls ws1' });
    expect(created).toMatchObject({ name: 'robot$apps+pull-ws1', expires_at: -1 });
    expect(created.secret.length).toBeGreaterThanOrEqual(8);
    const found = await admin().findProjectRobot('pull-ws1');
    expect(found).toMatchObject({
      id: created.id,
      name: 'robot$apps+pull-ws1',
      permissions: [{ kind: 'project', namespace: 'apps', access: [{ resource: 'repository', action: 'pull' }] }],
    });
    expect(await admin().findProjectRobot('pull-nobody')).toBeNull();
    const secret = await admin().refreshRobotSecret(created.id);
    expect(secret).not.toBe(created.secret);
    expect(await admin().deleteRobot(created.id)).toBe(true);
    expect(await admin().deleteRobot(created.id)).toBe(false);
  });

  it('names the failures: 409 conflict, 403 for a project robot, 404 for a missing robot, 400 as protocol error', async () => {
    await admin().createProjectRobot({ name: 'dup', repositoryActions: ['pull'] });
    const conflict = await failure(admin().createProjectRobot({ name: 'dup', repositoryActions: ['pull'] }));
    expect(conflict).toMatchObject({ kind: 'conflict', status: 409, code: 'CONFLICT', transient: false });
    const refused = await failure(
      new HarborClient({ baseUrl: harbor.url, username: ROBOT.username, password: ROBOT.password, project: 'apps' }).createProjectRobot({
        name: 'x',
        repositoryActions: ['pull'],
      }),
    );
    expect(refused).toMatchObject({ kind: 'auth', status: 403, transient: false });
    expect(await failure(admin({ password: 'wrong' }).findProjectRobot('dup'))).toMatchObject({ status: 401 });
    expect(await failure(admin().refreshRobotSecret(424242))).toMatchObject({ kind: 'not_found' });
    const bad = await failure(admin().createProjectRobot({ name: 'Not_Valid', repositoryActions: ['pull'] }));
    expect(bad).toMatchObject({ kind: 'protocol', status: 400, code: 'BAD_REQUEST', transient: false });
    expect(bad.message).toContain('robot name is not in lower case');
  });

  it('retries nothing itself: a 503 is unavailable (transient)', async () => {
    harbor.sim.faults.configure({ errorRate: 1, seed: 1 });
    try {
      expect(await failure(admin().createProjectRobot({ name: 'down', repositoryActions: ['pull'] }))).toMatchObject({ kind: 'unavailable', transient: true });
    } finally {
      harbor.sim.faults.configure({});
    }
  });
});
