// Conformance of the Jenkins simulator with the Jenkins facts of docs/outside-systems.md, over real
// HTTP with plain fetch (not the engine client), against a real git repository and a real
// OCI registry (Debian's docker-registry).
import { readdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dockerRegistryAvailable } from '../../test/support/registry.js';
import { DEFAULT_PARAMETERS } from './index.js';
import { basic, deployParams, eventually, startJenkinsFixture, USERS, type JenkinsFixture } from './test-helpers.js';

const JOB = '/job/platform/job/app-build';
const ALICE = basic(USERS.alice.name, USERS.alice.apiToken);
const LEFT_TTL_MS = 1_500;
const OCI_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Jenkins JSON as the tests read it (untyped on purpose: the tests check the shapes). */
type Json = Record<string, any>;

if (!dockerRegistryAvailable()) console.warn('docker-registry is not installed: the image push checks are SKIPPED');

describe('Jenkins simulator conformance', () => {
  let fx: JenkinsFixture;

  const api = (path: string, init: RequestInit = {}) =>
    fetch(`${fx.url}${path}`, { redirect: 'manual', ...init, headers: { authorization: ALICE, ...(init.headers as Record<string, string> | undefined) } });
  const getJson = async (path: string, init: RequestInit = {}): Promise<Json> => {
    const res = await api(path, init);
    expect(res.status, path).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    return (await res.json()) as Json;
  };
  const trigger = (params: Record<string, string>, query = 'delay=0sec', headers: Record<string, string> = {}) =>
    api(`${JOB}/buildWithParameters${query ? `?${query}` : ''}`, { method: 'POST', body: new URLSearchParams(params), headers });
  const queueIdOf = (res: Response) => Number(/\/queue\/item\/(\d+)\/$/.exec(res.headers.get('location') ?? '')?.[1]);
  const buildNumberOf = (queueId: number) =>
    eventually(async () => {
      const item = await getJson(`/queue/item/${queueId}/api/json`);
      return (item.executable as Json | null | undefined)?.number as number | undefined;
    });
  const finished = (n: number, timeoutMs = 30_000) =>
    eventually(async () => {
      const b = await getJson(`${JOB}/${n}/api/json`);
      return b.inProgress === false && b.result !== null ? b : undefined;
    }, timeoutMs);
  const setScenario = (build: Json) => fx.scenarios.set('ws1-u1-shop', { build });

  beforeAll(async () => {
    fx = await startJenkinsFixture({ leftItemTtlMs: LEFT_TTL_MS });
  });
  afterAll(async () => {
    await fx?.close();
  });
  beforeEach(() => {
    fx.scenarios.reset();
  });

  describe('root, folders, jobs', () => {
    it('answers every response with X-Jenkins; the root object is hudson.model.Hudson with jobs[]', async () => {
      const res = await api('/api/json');
      expect(res.status).toBe(200);
      expect(res.headers.get('x-jenkins')).toBe('2.462.3');
      const root = (await res.json()) as Json;
      expect(root._class).toBe('hudson.model.Hudson');
      expect(root.jobs).toEqual([{ _class: 'com.cloudbees.hudson.plugins.folder.Folder', name: 'platform', url: `${fx.url}/job/platform/` }]);
      for (const [path, status, auth] of [
        ['/nope', 404, ALICE],
        ['/api/json', 401, basic('alice', 'wrong')],
        ['/api/json', 403, ''],
      ] as const) {
        const r = await fetch(`${fx.url}${path}`, { headers: auth ? { authorization: auth } : {} });
        expect(r.status).toBe(status);
        expect(r.headers.get('x-jenkins'), `${path} ${status}`).toBe('2.462.3');
      }
    });

    it('describes the folder and the parameterized WorkflowJob', async () => {
      const folder = await getJson('/job/platform/api/json');
      expect(folder._class).toBe('com.cloudbees.hudson.plugins.folder.Folder');
      expect((folder.jobs as Json[]).map((j) => j.name as string).sort()).toEqual(['app-build', 'cleanup']);

      const job = await getJson(`${JOB}/api/json`);
      expect(job._class).toBe('org.jenkinsci.plugins.workflow.job.WorkflowJob');
      expect(job.fullName).toBe('platform/app-build');
      expect(job.url).toBe(`${fx.url}${JOB}/`);
      expect(job.buildable).toBe(true);
      expect(Array.isArray(job.builds)).toBe(true);
      expect(typeof job.nextBuildNumber).toBe('number');
      const prop = (job.property as Json[]).find((p) => p._class === 'hudson.model.ParametersDefinitionProperty');
      expect((prop?.parameterDefinitions as Json[]).map((d) => d.name as string)).toEqual([...DEFAULT_PARAMETERS]);
      expect((prop?.parameterDefinitions as Json[])[0]).toMatchObject({
        _class: 'hudson.model.StringParameterDefinition',
        defaultParameterValue: { name: 'DEPLOY_ID', value: '' },
      });
      expect((await api('/job/platform/job/nope/api/json')).status).toBe(404);
    });
  });

  describe('authentication', () => {
    it('accepts Basic user:apiToken; 401 for bad credentials; 403 for anonymous', async () => {
      expect((await api('/api/json')).status).toBe(200);
      const bad = await fetch(`${fx.url}/api/json`, { headers: { authorization: basic('alice', 'nope') } });
      expect(bad.status).toBe(401);
      const unknown = await fetch(`${fx.url}/api/json`, { headers: { authorization: basic('mallory', 'x') } });
      expect(unknown.status).toBe(401);
      const anonymous = await fetch(`${fx.url}/api/json`);
      expect(anonymous.status).toBe(403);
      expect(anonymous.headers.get('x-you-are-authenticated-as')).toBe('anonymous');
    });

    it('needs no crumb with an API token; with a password only crumb + its session cookie pass a POST', async () => {
      const viaToken = await trigger(deployParams(fx.repo), 'delay=60sec');
      expect(viaToken.status).toBe(201);
      await api(`/queue/cancelItem?id=${queueIdOf(viaToken)}`, { method: 'POST' });

      const bob = basic(USERS.bob.name, USERS.bob.password);
      expect((await fetch(`${fx.url}/api/json`, { headers: { authorization: bob } })).status).toBe(200);
      const noCrumb = await trigger(deployParams(fx.repo), 'delay=60sec', { authorization: bob });
      expect(noCrumb.status).toBe(403);

      const crumbRes = await fetch(`${fx.url}/crumbIssuer/api/json`, { headers: { authorization: bob } });
      expect(crumbRes.status).toBe(200);
      const crumb = (await crumbRes.json()) as Json;
      expect(crumb).toMatchObject({ _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumbRequestField: 'Jenkins-Crumb' });
      expect(typeof crumb.crumb).toBe('string');
      const cookie = (crumbRes.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
      expect(cookie).toMatch(/^JSESSIONID\.[0-9a-f]+=/);

      const crumbOnly = await trigger(deployParams(fx.repo), 'delay=60sec', { authorization: bob, 'Jenkins-Crumb': String(crumb.crumb) });
      expect(crumbOnly.status).toBe(403);
      const wrongCrumb = await trigger(deployParams(fx.repo), 'delay=60sec', { authorization: bob, 'Jenkins-Crumb': 'f'.repeat(64), cookie });
      expect(wrongCrumb.status).toBe(403);
      const ok = await trigger(deployParams(fx.repo), 'delay=60sec', { authorization: bob, 'Jenkins-Crumb': String(crumb.crumb), cookie });
      expect(ok.status).toBe(201);
      await api(`/queue/cancelItem?id=${queueIdOf(ok)}`, { method: 'POST' });
    });

    it('answers 403 to a user without the Job/Build permission', async () => {
      const res = await trigger(deployParams(fx.repo), 'delay=0sec', { authorization: basic(USERS.carol.name, USERS.carol.apiToken) });
      expect(res.status).toBe(403);
    });
  });

  describe('trigger', () => {
    it('answers 201 + Location .../queue/item/<id>/ and walks Waiting -> Buildable -> Left on time', async () => {
      setScenario({ queueMs: 600, durationMs: 100, logLines: 2, pushImage: false });
      const t0 = Date.now();
      const res = await trigger(deployParams(fx.repo), 'delay=1sec');
      expect(res.status).toBe(201);
      const location = res.headers.get('location') ?? '';
      expect(location).toMatch(new RegExp(`^${fx.url}/queue/item/\\d+/$`));
      const id = queueIdOf(res);

      const waiting = await getJson(`/queue/item/${id}/api/json`);
      expect(waiting._class).toBe('hudson.model.Queue$WaitingItem');
      expect(waiting).toMatchObject({ id, blocked: false, buildable: false, stuck: false, url: `queue/item/${id}/` });
      expect(waiting.why).toMatch(/^In the quiet period\. Expires in /);
      expect(typeof waiting.inQueueSince).toBe('number');
      expect(waiting.timestamp).toBeGreaterThanOrEqual(t0 + 1_000);
      expect(waiting.task).toMatchObject({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowJob', name: 'app-build' });
      expect(waiting.params).toMatch(/^\nDEPLOY_ID=dep-/);

      const buildable = await eventually(async () => {
        const item = await getJson(`/queue/item/${id}/api/json`);
        return item._class === 'hudson.model.Queue$BuildableItem' ? item : undefined;
      });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000 + 300 - 50);
      expect(buildable).toMatchObject({ buildable: true, why: 'Waiting for next available executor' });
      expect(buildable.executable).toBeUndefined();

      // A LeftItem may show `executable: null` for a moment (the executor is starting the build).
      const left = await eventually(async () => {
        const item = await getJson(`/queue/item/${id}/api/json`);
        return item._class === 'hudson.model.Queue$LeftItem' && item.executable ? item : undefined;
      });
      expect(Date.now() - t0).toBeGreaterThanOrEqual(1_000 + 600 - 50);
      expect(left.cancelled).toBe(false);
      expect(left.why).toBeNull();
      const executable = left.executable as Json;
      expect(executable).toMatchObject({ _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun', number: expect.any(Number) as unknown });
      expect(executable.url).toBe(`${fx.url}${JOB}/${executable.number as number}/`);
      await finished(executable.number as number);
    });

    it('answers 303 with the same Location when an identical request is still queued', async () => {
      const params = deployParams(fx.repo);
      const first = await trigger(params, 'delay=60sec');
      const second = await trigger(params, 'delay=60sec');
      expect(first.status).toBe(201);
      expect(second.status).toBe(303);
      expect(second.headers.get('location')).toBe(first.headers.get('location'));
      const other = await trigger({ ...params, DEPLOY_ID: `${params.DEPLOY_ID}-b` }, 'delay=60sec');
      expect(other.status).toBe(201);
      expect(queueIdOf(other)).not.toBe(queueIdOf(first));
      for (const r of [first, other]) expect((await api(`/queue/cancelItem?id=${queueIdOf(r)}`, { method: 'POST' })).status).toBe(204);
    });

    it('answers 404 for no such job, 400 for a job without parameters, 409 for a disabled job', async () => {
      expect((await api('/job/platform/job/nope/buildWithParameters', { method: 'POST', body: new URLSearchParams({ A: 'b' }) })).status).toBe(404);
      expect((await api('/job/nope/buildWithParameters', { method: 'POST' })).status).toBe(404);
      expect((await api('/job/platform/job/cleanup/buildWithParameters', { method: 'POST', body: new URLSearchParams({ A: 'b' }) })).status).toBe(400);

      const queued = await trigger(deployParams(fx.repo), 'delay=60sec');
      expect((await fetch(`${fx.url}/_sim/jenkins/jobs/disable`, { method: 'POST' })).status).toBe(200);
      try {
        const disabled = await trigger(deployParams(fx.repo));
        expect(disabled.status).toBe(409);
        const job = await getJson(`${JOB}/api/json`);
        expect(job).toMatchObject({ buildable: false, color: 'disabled' });
        // disabling a job cancels what it had queued
        expect(await getJson(`/queue/item/${queueIdOf(queued)}/api/json`)).toMatchObject({
          _class: 'hudson.model.Queue$LeftItem',
          cancelled: true,
          executable: null,
        });
      } finally {
        await fetch(`${fx.url}/_sim/jenkins/jobs/enable`, { method: 'POST' });
      }
      const again = await trigger(deployParams(fx.repo), 'delay=60sec');
      expect(again.status).toBe(201);
      await api(`/queue/cancelItem?id=${queueIdOf(again)}`, { method: 'POST' });
    });

    it('drops undeclared parameters and gives missing ones their default', async () => {
      setScenario({ queueMs: 0, durationMs: 0, logLines: 1, pushImage: false });
      const params = deployParams(fx.repo);
      delete params.FRAMEWORK;
      const res = await trigger({ ...params, NOT_DECLARED: 'x' });
      const n = await buildNumberOf(queueIdOf(res));
      const build = await finished(n);
      const action = (build.actions as Json[]).find((a) => a._class === 'hudson.model.ParametersAction');
      expect((action?.parameters as Json[]).map((p) => p.name as string)).toEqual([...DEFAULT_PARAMETERS]);
      expect(action?.parameters).toContainEqual({ _class: 'hudson.model.StringParameterValue', name: 'FRAMEWORK', value: '' });
      expect(JSON.stringify(build)).not.toContain('NOT_DECLARED');
    });

    it('cancels a queued item: 204, then LeftItem cancelled; unknown 404; an item that already left cannot be cancelled', async () => {
      const res = await trigger(deployParams(fx.repo), 'delay=60sec');
      const id = queueIdOf(res);
      expect((await api(`/queue/cancelItem?id=${id}`, { method: 'POST' })).status).toBe(204);
      expect(await getJson(`/queue/item/${id}/api/json`)).toMatchObject({ _class: 'hudson.model.Queue$LeftItem', cancelled: true, executable: null });
      expect((await api('/queue/cancelItem?id=999999', { method: 'POST' })).status).toBe(404);

      setScenario({ queueMs: 0, durationMs: 0, logLines: 1, pushImage: false });
      const started = await trigger(deployParams(fx.repo));
      await buildNumberOf(queueIdOf(started));
      expect((await api(`/queue/cancelItem?id=${queueIdOf(started)}`, { method: 'POST' })).status).toBe(500);
    });
  });

  describe('builds', () => {
    it.runIf(dockerRegistryAvailable())('runs a successful build: real checkout, real push, deploy-result.json artifact', async () => {
      setScenario({ queueMs: 20, durationMs: 600, logLines: 10 });
      const params = deployParams(fx.repo);
      const res = await trigger(params);
      const queueId = queueIdOf(res);
      const n = await buildNumberOf(queueId);

      const running = await getJson(`${JOB}/${n}/api/json`);
      expect(running).toMatchObject({
        _class: 'org.jenkinsci.plugins.workflow.job.WorkflowRun',
        number: n,
        queueId,
        building: true,
        inProgress: true,
        result: null,
        duration: 0,
      });
      expect(typeof running.timestamp).toBe('number');
      expect(typeof running.estimatedDuration).toBe('number');

      const done = await finished(n);
      expect(done).toMatchObject({ result: 'SUCCESS', building: false, inProgress: false, queueId, url: `${fx.url}${JOB}/${n}/` });
      expect(done.duration).toBeGreaterThan(0);
      expect(done.artifacts).toEqual([{ displayPath: 'deploy-result.json', fileName: 'deploy-result.json', relativePath: 'deploy-result.json' }]);
      const classes = (done.actions as Json[]).map((a) => a._class as string);
      expect(classes).toContain('hudson.model.ParametersAction');
      expect(classes).toContain('hudson.model.CauseAction');
      expect(((done.actions as Json[]).find((a) => a._class === 'hudson.model.CauseAction')?.causes as Json[] | undefined)?.[0]).toMatchObject({
        _class: 'hudson.model.Cause$UserIdCause',
        userId: 'alice',
        shortDescription: 'Started by user Alice Admin',
      });

      const artifactRes = await api(`${JOB}/${n}/artifact/deploy-result.json`);
      expect(artifactRes.status).toBe(200);
      const artifact = (await artifactRes.json()) as Json;
      expect(artifact).toEqual({
        imageRepository: 'apps/ws1/u1-shop',
        imageTag: params.IMAGE_TAG,
        imageDigest: expect.stringMatching(/^sha256:[0-9a-f]{64}$/) as unknown,
        commitSha: fx.repo.initialSha,
      });

      const head = await fetch(`${fx.registry?.url}/v2/apps/ws1/u1-shop/manifests/${params.IMAGE_TAG}`, { method: 'HEAD', headers: { accept: OCI_ACCEPT } });
      expect(head.status).toBe(200);
      expect(head.headers.get('docker-content-digest')).toBe(artifact.imageDigest);
      expect(head.headers.get('content-type')).toBe('application/vnd.oci.image.manifest.v1+json');
      expect((await api(`${JOB}/${n}/artifact/nope.json`)).status).toBe(404);
      // the checkout is cleaned up
      expect(readdirSync(path.join(fx.tmp, 'work')).filter((d) => d.startsWith(`app-build-${n}-`))).toEqual([]);
    });

    it.runIf(dockerRegistryAvailable())('gives different commits different image digests', async () => {
      setScenario({ queueMs: 0, durationMs: 0, logLines: 1 });
      const sha2 = fx.repo.commit({ 'pages/about.js': "export default () => 'about';\n" }, 'Add about page');
      const digests: string[] = [];
      for (const sha of [fx.repo.initialSha, sha2]) {
        const n = await buildNumberOf(queueIdOf(await trigger(deployParams(fx.repo, { COMMIT_SHA: sha }))));
        expect((await finished(n)).result).toBe('SUCCESS');
        digests.push(((await (await api(`${JOB}/${n}/artifact/deploy-result.json`)).json()) as Json).imageDigest as string);
      }
      expect(digests[0]).not.toBe(digests[1]);
    });

    it('streams the log by UTF-8 byte offsets with X-Text-Size and X-More-Data, console notes and ANSI included', async () => {
      setScenario({ queueMs: 0, durationMs: 1_500, logLines: 60, pushImage: false });
      const n = await buildNumberOf(queueIdOf(await trigger(deployParams(fx.repo))));
      let offset = 0;
      let raw = '';
      let sawMore = false;
      let sawCrlfGrowth = false;
      for (;;) {
        const res = await api(`${JOB}/${n}/logText/progressiveText?start=${offset}`);
        expect(res.status).toBe(200);
        expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
        const size = Number(res.headers.get('x-text-size'));
        const body = Buffer.from(await res.arrayBuffer());
        const more = res.headers.get('x-more-data');
        if (more === 'true') {
          sawMore = true;
          // while running, only complete lines: a chunk never ends mid-line (nor mid-character)
          if (body.length > 0) expect(body.toString('utf8')).toMatch(/\r\n$/);
        } else {
          expect(more).toBeNull();
        }
        // The body is CR+LF normalized: its length is not the offset delta, X-Text-Size is.
        if (body.length !== size - offset) sawCrlfGrowth = true;
        const text = body.toString('utf8').replace(/\r\n/g, '\n');
        expect(Buffer.byteLength(text)).toBe(size - offset);
        raw += text;
        offset = size;
        if (more === null) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(sawMore).toBe(true);
      expect(sawCrlfGrowth).toBe(true);
      expect(raw).toContain('\u001b[8mha:');
      expect(raw).toContain('\u001b[32m');
      expect(raw).toContain('🚀');
      expect(raw).toMatch(/Finished: SUCCESS\n$/);

      // an offset just after a 4-byte character returns exactly the rest
      const cut = Buffer.byteLength(raw.slice(0, raw.indexOf('🚀') + '🚀'.length));
      const tail = await api(`${JOB}/${n}/logText/progressiveText?start=${cut}`);
      expect((await tail.text()).replace(/\r\n/g, '\n')).toBe(raw.slice(raw.indexOf('🚀') + '🚀'.length));
      // past the end: Jenkins starts over ("text rolled over")
      const over = await api(`${JOB}/${n}/logText/progressiveText?start=${offset + 1000}`);
      expect(over.headers.get('x-text-size')).toBe(String(offset));
      expect((await over.text()).replace(/\r\n/g, '\n')).toBe(raw);
      // consoleText: the same log without console notes
      const plain = await (await api(`${JOB}/${n}/consoleText`)).text();
      expect(plain).not.toContain('\u001b[8m');
      expect(plain).toContain('[Pipeline] Start of Pipeline');
    });

    it('stops a running build: 302, then ABORTED; 302 again once finished; 404 for no such build', async () => {
      setScenario({ queueMs: 0, durationMs: 20_000, logLines: 400, pushImage: false });
      const n = await buildNumberOf(queueIdOf(await trigger(deployParams(fx.repo))));
      await eventually(async () => ((await getJson(`${JOB}/${n}/api/json`)).building ? true : undefined));
      const stop = await api(`${JOB}/${n}/stop`, { method: 'POST' });
      expect(stop.status).toBe(302);
      const done = await finished(n, 5_000);
      expect(done.result).toBe('ABORTED');
      const log = await (await api(`${JOB}/${n}/consoleText`)).text();
      expect(log).toContain('Aborted by Alice Admin');
      expect(log).toMatch(/Finished: ABORTED\n$/);
      expect((await api(`${JOB}/${n}/stop`, { method: 'POST' })).status).toBe(302);
      expect((await api(`${JOB}/999999/stop`, { method: 'POST' })).status).toBe(404);
      expect((await api(`${JOB}/999999/api/json`)).status).toBe(404);
    });

    it('fails the build with a checkout error for a missing commit or repository', async () => {
      setScenario({ queueMs: 0, durationMs: 0, logLines: 1 });
      const missingCommit = await buildNumberOf(queueIdOf(await trigger(deployParams(fx.repo, { COMMIT_SHA: 'deadbeef'.repeat(5) }))));
      const missingRepo = await buildNumberOf(queueIdOf(await trigger(deployParams(fx.repo, { REPO_URL: `file://${fx.tmp}/no-such-repo` }))));
      const a = await finished(missingCommit);
      expect(a.result).toBe('FAILURE');
      expect(a.artifacts).toEqual([]);
      expect(await (await api(`${JOB}/${missingCommit}/consoleText`)).text()).toContain("ERROR: Couldn't find any revision to build.");
      const b = await finished(missingRepo);
      expect(b.result).toBe('FAILURE');
      const log = await (await api(`${JOB}/${missingRepo}/consoleText`)).text();
      expect(log).toContain("ERROR: Error cloning remote repo 'origin'");
      expect(log).toMatch(/Finished: FAILURE\n$/);
    });

    it('ends with the scenario result and pushes nothing when it is not SUCCESS', async () => {
      setScenario({ queueMs: 0, durationMs: 50, logLines: 3, result: 'FAILURE' });
      const params = deployParams(fx.repo);
      const n = await buildNumberOf(queueIdOf(await trigger(params)));
      const done = await finished(n);
      expect(done.result).toBe('FAILURE');
      expect(done.artifacts).toEqual([]);
      if (fx.registry) {
        const head = await fetch(`${fx.registry.url}/v2/apps/ws1/u1-shop/manifests/${params.IMAGE_TAG}`, { method: 'HEAD', headers: { accept: OCI_ACCEPT } });
        expect(head.status).toBe(404);
      }
      setScenario({ queueMs: 0, durationMs: 0, logLines: 1, result: 'UNSTABLE' });
      expect((await finished(await buildNumberOf(queueIdOf(await trigger(deployParams(fx.repo)))))).result).toBe('UNSTABLE');
    });
  });

  describe('lookups', () => {
    it('honours ?tree= (only the named fields, _class kept) and rejects a malformed tree with 400', async () => {
      setScenario({ queueMs: 0, durationMs: 0, logLines: 1, pushImage: false });
      const n = await buildNumberOf(queueIdOf(await trigger(deployParams(fx.repo))));
      await finished(n);
      const job = await getJson(`${JOB}/api/json?tree=${encodeURIComponent('builds[number,queueId]')}`);
      expect(Object.keys(job).sort()).toEqual(['_class', 'builds']);
      for (const b of job.builds as Json[]) expect(Object.keys(b).sort()).toEqual(['_class', 'number', 'queueId']);
      const firstOnly = await getJson(`${JOB}/api/json?tree=${encodeURIComponent('builds[number]{0,1}')}`);
      expect(firstOnly.builds).toHaveLength(1);
      expect((firstOnly.builds as Json[])[0]?.number).toBe(n); // newest first
      expect((await api(`${JOB}/api/json?tree=${encodeURIComponent('builds[number')}`)).status).toBe(400);
      expect((await getJson(`${JOB}/lastBuild/api/json?tree=number`)).number).toBe(n);
    });

    it('forgets a left item after its time (404) and the build is then found via tree=builds[...]', async () => {
      setScenario({ queueMs: 0, durationMs: 0, logLines: 1, pushImage: false });
      const params = deployParams(fx.repo);
      const queueId = queueIdOf(await trigger(params));
      const n = await buildNumberOf(queueId);
      expect((await api(`/queue/item/${queueId}/api/json`)).status).toBe(200);
      await new Promise((r) => setTimeout(r, LEFT_TTL_MS + 100));
      expect((await api(`/queue/item/${queueId}/api/json`)).status).toBe(404);

      const tree = encodeURIComponent('builds[number,queueId,actions[parameters[name,value]]]');
      const builds = (await getJson(`${JOB}/api/json?tree=${tree}`)).builds as Json[];
      expect(builds.find((b) => b.queueId === queueId)?.number).toBe(n);
      const byDeployId = builds.find((b) =>
        (b.actions as Json[]).some((a) => (a.parameters as Json[] | undefined)?.some((p) => p.name === 'DEPLOY_ID' && p.value === params.DEPLOY_ID)),
      );
      expect(byDeployId?.number).toBe(n);
    });
  });

  it('lists builds and queue items on the control API; /_sim/reset clears them and re-enables the job', async () => {
    setScenario({ queueMs: 0, durationMs: 0, logLines: 1, pushImage: false });
    const params = deployParams(fx.repo);
    const queueId = queueIdOf(await trigger(params));
    const n = await buildNumberOf(queueId);
    await finished(n);
    const builds = (await (await fetch(`${fx.url}/_sim/jenkins/builds`)).json()) as Json[];
    expect(builds.find((b) => b.number === n)).toMatchObject({
      job: 'platform/app-build',
      queueId,
      result: 'SUCCESS',
      building: false,
      parameters: { DEPLOY_ID: params.DEPLOY_ID },
    });
    const queue = (await (await fetch(`${fx.url}/_sim/jenkins/queue`)).json()) as Json[];
    expect(queue.find((i) => i.id === queueId)).toMatchObject({ stage: 'left', buildNumber: n, cancelled: false });

    await fetch(`${fx.url}/_sim/jenkins/jobs/disable`, { method: 'POST' });
    expect((await fetch(`${fx.url}/_sim/reset`, { method: 'POST' })).status).toBe(204);
    expect(await (await fetch(`${fx.url}/_sim/jenkins/builds`)).json()).toEqual([]);
    const job = await getJson(`${JOB}/api/json`);
    expect(job).toMatchObject({ buildable: true, builds: [] });
    expect(job.nextBuildNumber).toBe(n + 1); // build numbers are never reused
    expect((await api(`${JOB}/${n}/api/json`)).status).toBe(404);
  });

  it('counts requests per route', async () => {
    await fetch(`${fx.url}/_sim/counters/reset`, { method: 'POST' });
    for (let i = 0; i < 3; i += 1) await api('/api/json');
    const q = queueIdOf(await trigger(deployParams(fx.repo), 'delay=60sec'));
    await api(`/queue/item/${q}/api/json`);
    await api(`/queue/cancelItem?id=${q}`, { method: 'POST' });
    await api(`${JOB}/api/json`);
    const counts = (await (await fetch(`${fx.url}/_sim/counters`)).json()) as { total: number; routes: Record<string, number> };
    expect(counts.routes).toEqual({
      'GET /api/json': 3,
      'POST /job/:job/buildWithParameters': 1,
      'GET /queue/item/:id{[0-9]+}/api/json': 1,
      'POST /queue/cancelItem': 1,
      'GET /job/:job/api/json': 1,
    });
    expect(counts.total).toBe(7);
  });
});
