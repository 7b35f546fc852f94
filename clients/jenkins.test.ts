// The engine's Jenkins client against the Jenkins simulator over real HTTP.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { basic, deployParams, eventually, startJenkinsFixture, USERS, type JenkinsFixture } from '../simulators/jenkins/test-helpers.js';
import { ClientError, type ClientErrorKind } from './errors.js';
import { JenkinsClient, stripConsoleNotes, type JenkinsBuild, type QueueItemStatus } from './jenkins.js';

const LEFT_TTL_MS = 1_000;
const deployResultSchema = z.object({
  imageRepository: z.string(),
  imageTag: z.string(),
  imageDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
  commitSha: z.string(),
});

describe('JenkinsClient', () => {
  let fx: JenkinsFixture;
  let client: JenkinsClient;
  const clientFor = (overrides: Partial<ConstructorParameters<typeof JenkinsClient>[0]> = {}) =>
    new JenkinsClient({
      baseUrl: fx.url,
      user: USERS.alice.name,
      apiToken: USERS.alice.apiToken,
      jobPath: 'platform/app-build',
      timeoutMs: 5_000,
      ...overrides,
    });
  const setScenario = (build: Record<string, unknown>) => fx.scenarios.set('ws1-u1-shop', { build });
  const control = (path: string, init: RequestInit = {}) => fetch(`${fx.url}/_sim${path}`, init);
  const waitForBuildNumber = (queueId: number) =>
    eventually(async () => {
      const item = await client.getQueueItem(queueId);
      return item.state === 'left' ? item.buildNumber : undefined;
    });
  const waitFinished = (n: number) => eventually<JenkinsBuild>(async () => ((b) => (b.finished ? b : undefined))(await client.getBuild(n)), 30_000);

  beforeAll(async () => {
    fx = await startJenkinsFixture({ leftItemTtlMs: LEFT_TTL_MS });
    client = clientFor();
  });
  afterAll(async () => {
    await fx?.close();
  });

  it('triggers a build (201), follows the queue item, reads the whole log and the result artifact', async () => {
    setScenario({ queueMs: 800, durationMs: 1_500, logLines: 40, pushImage: fx.registry !== undefined });
    const params = deployParams(fx.repo);
    const trigger = await client.triggerBuild(params);
    expect(trigger).toEqual({ queueId: expect.any(Number) as unknown, merged: false });

    const states: QueueItemStatus['state'][] = [];
    const n = await eventually(async () => {
      const item = await client.getQueueItem(trigger.queueId);
      states.push(item.state);
      return item.state === 'left' ? item.buildNumber : undefined;
    });
    expect(states[0]).toMatch(/^(waiting|buildable)$/);
    expect(states.at(-1)).toBe('left');

    const running = await client.getBuild(n);
    expect(running).toMatchObject({ number: n, queueId: trigger.queueId, parameters: { DEPLOY_ID: params.DEPLOY_ID, COMMIT_SHA: fx.repo.initialSha } });

    let offset = 0;
    let raw = '';
    let chunks = 0;
    for (;;) {
      const chunk = await client.readLog(n, offset);
      expect(chunk.restarted).toBe(false);
      raw += chunk.text;
      offset = chunk.nextOffset;
      chunks += 1;
      if (!chunk.more) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(chunks).toBeGreaterThan(1);
    expect(raw).toContain('\u001b[8mha:');
    const plain = stripConsoleNotes(raw);
    expect(plain).not.toContain('\u001b[8m');
    expect(plain).toContain('[Pipeline] End of Pipeline');
    expect(plain).toMatch(/Finished: SUCCESS\r?\n$/);
    // nextOffset counts raw bytes (LF line ends), not the CR+LF body Jenkins sends
    expect(offset).toBe(Buffer.byteLength(raw.replace(/\r\n/g, '\n')));
    const again = await client.readLog(n, offset);
    expect(again).toEqual({ text: '', nextOffset: offset, more: false, restarted: false });

    const done = await waitFinished(n);
    expect(done).toMatchObject({ result: 'SUCCESS', finished: true, inProgress: false });
    if (fx.registry) {
      expect(done.artifacts).toEqual([{ fileName: 'deploy-result.json', relativePath: 'deploy-result.json' }]);
      const result = await client.getArtifactJson(n, 'deploy-result.json', deployResultSchema);
      expect(result).toMatchObject({ imageRepository: params.IMAGE_REPOSITORY, imageTag: params.IMAGE_TAG, commitSha: fx.repo.initialSha });
    }
  });

  it('reports a 303 as merged into the same queue item, and cancels queue items', async () => {
    setScenario({ queueMs: 20_000, pushImage: false });
    const params = deployParams(fx.repo);
    const first = await client.triggerBuild(params);
    const second = await client.triggerBuild(params);
    expect(second).toEqual({ queueId: first.queueId, merged: true });

    expect(await client.cancelQueueItem(first.queueId)).toBe('cancelled');
    expect(await client.getQueueItem(first.queueId)).toMatchObject({ state: 'left', cancelled: true, buildNumber: undefined });
    expect(await client.cancelQueueItem(first.queueId)).toBe('cancelled');
    expect(await client.cancelQueueItem(987_654)).toBe('not-found');

    setScenario({ queueMs: 0, durationMs: 0, logLines: 1, pushImage: false });
    const started = await client.triggerBuild(deployParams(fx.repo));
    await waitFinished(await waitForBuildNumber(started.queueId));
    expect(await client.cancelQueueItem(started.queueId)).toBe('too-late');
  });

  it('finds a build by DEPLOY_ID and by queue id once its queue item is gone', async () => {
    setScenario({ queueMs: 0, durationMs: 0, logLines: 1, pushImage: false });
    const params = deployParams(fx.repo);
    const { queueId } = await client.triggerBuild(params);
    const n = await waitForBuildNumber(queueId);
    await new Promise((r) => setTimeout(r, LEFT_TTL_MS + 100));
    expect(await client.getQueueItem(queueId)).toEqual({ state: 'gone', queueId });
    expect(await client.findBuildByQueueId(queueId)).toMatchObject({ number: n, queueId });
    expect(await client.findBuildByParameter('DEPLOY_ID', params.DEPLOY_ID ?? '')).toMatchObject({
      number: n,
      queueId,
      parameters: { DEPLOY_ID: params.DEPLOY_ID },
    });
    expect(await client.findBuildByParameter('DEPLOY_ID', 'never-sent')).toBeNull();
    expect(await client.findBuildByQueueId(987_654)).toBeNull();
  });

  it('stops a running build (ABORTED)', async () => {
    setScenario({ queueMs: 0, durationMs: 20_000, logLines: 200, pushImage: false });
    const { queueId } = await client.triggerBuild(deployParams(fx.repo));
    const n = await waitForBuildNumber(queueId);
    await client.stopBuild(n);
    const done = await waitFinished(n);
    expect(done.result).toBe('ABORTED');
    await client.stopBuild(n); // finished: still fine (302)
    await expect(client.stopBuild(987_654)).rejects.toMatchObject({ system: 'jenkins', kind: 'not_found' });
  });

  it('maps terminal answers to named, non-transient errors', async () => {
    const expectError = async (p: Promise<unknown>, kind: ClientErrorKind, status?: number) => {
      const error = await p.then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ClientError);
      expect(error).toMatchObject({ system: 'jenkins', kind, transient: false });
      if (status) expect((error as ClientError).status).toBe(status);
    };
    const params = deployParams(fx.repo);
    await expectError(clientFor({ jobPath: 'platform/nope' }).triggerBuild(params), 'not_found', 404);
    // Not parameterized.
    await expectError(clientFor({ jobPath: 'platform/cleanup' }).triggerBuild(params), 'invalid', 400);
    await control('/jenkins/jobs/disable', { method: 'POST' });
    try {
      await expectError(client.triggerBuild(params), 'conflict', 409);
    } finally {
      await control('/jenkins/jobs/enable', { method: 'POST' });
    }
    const intruder = clientFor({ apiToken: 'wrong' });
    await expectError(intruder.triggerBuild(params), 'auth', 401);
    await expectError(intruder.getBuild(1), 'auth', 401);
    await expectError(clientFor({ user: USERS.carol.name, apiToken: USERS.carol.apiToken }).triggerBuild(params), 'auth', 403);
    await expectError(client.getBuild(987_654), 'not_found', 404);
    await expectError(client.readLog(987_654, 0), 'not_found', 404);
    await expectError(client.getArtifactJson(987_654, 'deploy-result.json'), 'not_found', 404);
    await expectError(clientFor({ jobPath: 'platform/nope' }).listBuilds(), 'not_found', 404);
  });

  it('never puts credentials in error messages', async () => {
    const secret = 'sup3r-s3cret-t0ken';
    const c = clientFor({ apiToken: secret });
    for (const call of [() => c.triggerBuild({}), () => c.getBuild(1), () => c.getQueueItem(1), () => c.readLog(1, 0)]) {
      const error = (await call().catch((e: unknown) => e)) as Error;
      expect(error).toMatchObject({ system: 'jenkins', kind: 'auth' });
      expect(`${error.message} ${error.stack ?? ''} ${JSON.stringify(error)}`).not.toContain(secret);
      expect(`${error.message} ${JSON.stringify(error)}`).not.toContain(Buffer.from(`alice:${secret}`).toString('base64'));
    }
    expect(() => new JenkinsClient({ baseUrl: 'http://alice:pw@127.0.0.1:9', user: 'a', apiToken: 'b', jobPath: 'x' })).toThrow(/credentials/);
  });

  it('classifies 5xx, dropped connections and refused connections as transient', async () => {
    setScenario({ queueMs: 0, durationMs: 0, logLines: 3, pushImage: false });
    const { queueId } = await client.triggerBuild(deployParams(fx.repo));
    const n = await waitForBuildNumber(queueId);
    await waitFinished(n);

    const faulty = clientFor({ timeoutMs: 1_000 });
    const calls = [
      () => faulty.getQueueItem(queueId),
      () => faulty.getBuild(n),
      () => faulty.listBuilds(),
      () => faulty.readLog(n, 0),
      () => faulty.triggerBuild(deployParams(fx.repo, { IMAGE_TAG: 'x' })),
    ];
    const put = (faults: Record<string, unknown>) =>
      control('/faults', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(faults) });
    try {
      await put({ errorRate: 0.5, seed: 11 });
      let failures = 0;
      let successes = 0;
      for (let round = 0; round < 6; round += 1) {
        for (const call of calls) {
          try {
            await call();
            successes += 1;
          } catch (error) {
            failures += 1;
            expect(error).toBeInstanceOf(ClientError);
            expect(error).toMatchObject({ system: 'jenkins', kind: 'unavailable', transient: true, status: 503 });
          }
        }
      }
      expect(failures).toBeGreaterThan(3);
      expect(successes).toBeGreaterThan(3);
      const counters = (await (await control('/counters')).json()) as { faults: { error: number } };
      expect(counters.faults.error).toBeGreaterThanOrEqual(failures);

      await put({ dropRate: 1, seed: 1 });
      for (const call of [() => faulty.getBuild(n), () => faulty.readLog(n, 0)]) {
        const error = await call().catch((e: unknown) => e);
        expect(error).toMatchObject({ system: 'jenkins', transient: true });
      }
    } finally {
      await put({});
    }
    const refused = new JenkinsClient({ baseUrl: 'http://127.0.0.1:9', user: 'a', apiToken: 'b', jobPath: 'platform/app-build', timeoutMs: 2_000 });
    const transient = { system: 'jenkins', transient: true };
    await expect(refused.getBuild(1)).rejects.toMatchObject(transient);
    await expect(refused.triggerBuild({})).rejects.toMatchObject(transient);
    await expect(refused.readLog(1, 0)).rejects.toMatchObject(transient);
  });

  it('works with a password-less API token on a fresh client (no crumb request)', async () => {
    await control('/counters/reset', { method: 'POST' });
    setScenario({ queueMs: 5_000, pushImage: false });
    const { queueId } = await clientFor().triggerBuild(deployParams(fx.repo));
    await client.cancelQueueItem(queueId);
    const counters = (await (await control('/counters')).json()) as { routes: Record<string, number> };
    expect(counters.routes['GET /crumbIssuer/api/json']).toBeUndefined();
    expect(counters.routes['POST /job/:job/buildWithParameters']).toBe(1);
    // sanity: the same request with a password and no crumb is refused by the simulator
    const res = await fetch(`${fx.url}/job/platform/job/app-build/buildWithParameters`, {
      method: 'POST',
      headers: { authorization: basic(USERS.bob.name, USERS.bob.password) },
    });
    expect(res.status).toBe(403);
  });
});

describe('stripConsoleNotes', () => {
  it('removes hidden console notes and keeps text and ANSI colours', () => {
    const raw = 'Started by user \u001b[8mha:////4AbC+/=\u001b[0mAlice\r\n\u001b[8mha:////4xyz==\u001b[0m[Pipeline] node\r\n\u001b[32mok\u001b[0m\r\n';
    expect(stripConsoleNotes(raw)).toBe('Started by user Alice\r\n[Pipeline] node\r\n\u001b[32mok\u001b[0m\r\n');
  });
});
