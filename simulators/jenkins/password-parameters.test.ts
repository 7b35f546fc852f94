// The repository credential as Jenkins carries it: REPO_TOKEN is a password parameter, so its
// value is in no API answer (definitions, queue item, build, tree=, control API), not in the
// console log or the archived deploy-result.json, while the checkout of a private repository
// over smart HTTP works with it and is refused without it. Plain fetch over real HTTP.
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  basic,
  deployParams,
  eventually,
  startJenkinsFixture,
  startPrivateGitServer,
  USERS,
  type JenkinsFixture,
  type PrivateGitServer,
} from './test-helpers.js';

const JOB = '/job/platform/job/app-build';
const ALICE = basic(USERS.alice.name, USERS.alice.apiToken);
const USERNAME = 'x-access-token';

/** Jenkins JSON as the tests read it (untyped on purpose: the tests check the shapes). */
type Json = Record<string, any>;

describe('Jenkins simulator: the REPO_TOKEN password parameter', () => {
  const token = `ghs_${randomBytes(18).toString('hex')}`;
  let fx: JenkinsFixture;
  let git: PrivateGitServer;

  const api = (p: string, init: RequestInit = {}) => fetch(`${fx.url}${p}`, { redirect: 'manual', ...init, headers: { authorization: ALICE } });
  const text = async (p: string) => {
    const res = await api(p);
    expect(res.status, p).toBe(200);
    return res.text();
  };
  const trigger = async (params: Record<string, string>, query = 'delay=0sec') => {
    const res = await api(`${JOB}/buildWithParameters?${query}`, { method: 'POST', body: new URLSearchParams(params) });
    expect(res.status).toBe(201);
    return Number(/\/queue\/item\/(\d+)\/$/.exec(res.headers.get('location') ?? '')?.[1]);
  };
  const finished = (queueId: number) =>
    eventually(async () => {
      const item = JSON.parse(await text(`/queue/item/${queueId}/api/json`)) as Json;
      const n = (item.executable as Json | null | undefined)?.number as number | undefined;
      if (n === undefined) return undefined;
      const build = JSON.parse(await text(`${JOB}/${n}/api/json`)) as Json;
      return build.inProgress === false && build.result !== null ? build : undefined;
    }, 30_000);
  const privateParams = (overrides: Record<string, string> = {}) =>
    deployParams(fx.repo, { REPO_URL: git.url, REPO_USERNAME: USERNAME, REPO_TOKEN: token, ...overrides });

  beforeAll(async () => {
    fx = await startJenkinsFixture({}, false);
    git = await startPrivateGitServer(fx.repo.dir, fx.tmp, { username: USERNAME, token });
  });
  afterAll(async () => {
    await git?.close();
    await fx?.close();
  });
  beforeEach(() => {
    fx.scenarios.reset();
    fx.scenarios.set('ws1-u1-shop', { build: { queueMs: 0, durationMs: 0, logLines: 3, pushImage: false } });
  });

  it('declares REPO_USERNAME as a string and REPO_TOKEN as a password parameter whose default shows no value', async () => {
    const job = JSON.parse(await text(`${JOB}/api/json`)) as Json;
    const definitions = (job.property as Json[]).find((p) => p._class === 'hudson.model.ParametersDefinitionProperty')?.parameterDefinitions as Json[];
    expect(definitions.find((d) => d.name === 'REPO_USERNAME')).toMatchObject({
      _class: 'hudson.model.StringParameterDefinition',
      type: 'StringParameterDefinition',
      defaultParameterValue: { value: '' },
    });
    expect(definitions.find((d) => d.name === 'REPO_TOKEN')).toEqual({
      _class: 'hudson.model.PasswordParameterDefinition',
      defaultParameterValue: { _class: 'hudson.model.PasswordParameterValue', name: 'REPO_TOKEN' },
      description: '',
      name: 'REPO_TOKEN',
      type: 'PasswordParameterDefinition',
    });
  });

  it('checks a private repository out with the token and never shows the token in an answer, the log or the artifact', async () => {
    fx.scenarios.set('ws1-u1-shop', { build: { queueMs: 400, durationMs: 0, logLines: 3, pushImage: false } });
    const params = privateParams();
    const queueId = await trigger(params);
    const answers: string[] = [await text(`/queue/item/${queueId}/api/json`), await text('/queue/api/json')];
    const waiting = JSON.parse(answers[0]!) as Json;
    // Queue.Item.getParams uses getShortDescription: "REPO_TOKEN=****".
    expect(waiting.params).toContain('\nREPO_TOKEN=****');
    expect(waiting.params).toContain(`\nREPO_USERNAME=${USERNAME}`);

    const build = await finished(queueId);
    expect(build.result).toBe('SUCCESS');
    const n = build.number as number;
    const values = (build.actions as Json[]).find((a) => a._class === 'hudson.model.ParametersAction')?.parameters as Json[];
    expect(values.find((p) => p.name === 'REPO_TOKEN')).toEqual({ _class: 'hudson.model.PasswordParameterValue', name: 'REPO_TOKEN' });
    expect(values.find((p) => p.name === 'DEPLOY_ID')).toEqual({ _class: 'hudson.model.StringParameterValue', name: 'DEPLOY_ID', value: params.DEPLOY_ID });
    const gitData = (build.actions as Json[]).find((a) => a._class === 'hudson.plugins.git.util.BuildData');
    expect(gitData?.lastBuiltRevision).toMatchObject({ SHA1: fx.repo.initialSha });

    const consoleText = await text(`${JOB}/${n}/consoleText`);
    expect(consoleText).toContain('using credential REPO_TOKEN');
    expect(consoleText).not.toContain('No credentials specified');
    const tree = encodeURIComponent('builds[number,queueId,actions[parameters[name,value]]]');
    answers.push(
      consoleText,
      await text(`${JOB}/${n}/logText/progressiveText?start=0`),
      await text(`${JOB}/${n}/api/json`),
      await text(`${JOB}/${n}/api/json?tree=${encodeURIComponent('actions[parameters[_class,name,value]]')}`),
      await text(`${JOB}/api/json?tree=${tree}`),
      await text(`${JOB}/api/json?tree=${encodeURIComponent('allBuilds[number,actions[parameters[name,value]]]')}`),
      await text(`/queue/item/${queueId}/api/json`),
      await text(`${JOB}/${n}/artifact/deploy-result.json`),
      await (await fetch(`${fx.url}/_sim/jenkins/builds`)).text(),
      await (await fetch(`${fx.url}/_sim/jenkins/queue`)).text(),
    );
    const header = Buffer.from(`${USERNAME}:${token}`).toString('base64');
    for (const answer of answers) {
      expect(answer).not.toContain(token);
      expect(answer).not.toContain(header);
    }
    const control = (JSON.parse(answers.at(-2)!) as Json[]).find((b) => b.number === n);
    expect(control?.parameters).toMatchObject({ REPO_USERNAME: USERNAME, REPO_TOKEN: '****' });
    expect(JSON.parse(answers.at(-3)!)).toMatchObject({ commitSha: fx.repo.initialSha });

    // The credential went in a header: the private server saw requests, none with it in the URL.
    expect(git.requests.length).toBeGreaterThan(0);
    for (const request of git.requests) expect(request).not.toContain(token);
  });

  it('masks the token wherever the log would print it', async () => {
    // A REPO_URL with the token in it (what a careless caller might send) is printed by the
    // checkout step: the token shows as ****.
    const withToken = git.url.replace('http://', `http://${USERNAME}:${token}@`);
    const build = await finished(await trigger(privateParams({ REPO_URL: withToken })));
    const consoleText = await text(`${JOB}/${build.number as number}/consoleText`);
    expect(consoleText).toContain(`Cloning repository http://${USERNAME}:****@`);
    expect(consoleText).not.toContain(token);
  });

  it('fails the checkout like the git plugin when the token is wrong or missing, without printing it', async () => {
    const wrong = `ghs_${randomBytes(18).toString('hex')}`;
    const cases: Array<Record<string, string>> = [{ REPO_TOKEN: wrong }, { REPO_USERNAME: '', REPO_TOKEN: '' }];
    for (const overrides of cases) {
      const build = await finished(await trigger(privateParams(overrides)));
      expect(build.result, JSON.stringify(overrides)).toBe('FAILURE');
      const consoleText = await text(`${JOB}/${build.number as number}/consoleText`);
      expect(consoleText).toContain("ERROR: Error cloning remote repo 'origin'");
      expect(consoleText).toMatch(/hudson\.plugins\.git\.GitException: Command "git fetch --tags --force --progress -- http:\/\/127\.0\.0\.1:\d+\/app\.git /);
      expect(consoleText).toMatch(/stderr: .*(Authentication failed|could not read Username|401)/);
      expect(consoleText).toContain(overrides.REPO_TOKEN ? 'using credential REPO_TOKEN' : 'No credentials specified');
      expect(consoleText).not.toContain(wrong);
      expect(consoleText).not.toContain(token);
    }
  });

  it('checks a public repository out anonymously when REPO_TOKEN is empty', async () => {
    const build = await finished(await trigger(deployParams(fx.repo, { REPO_USERNAME: '', REPO_TOKEN: '' })));
    expect(build.result).toBe('SUCCESS');
    expect(await text(`${JOB}/${build.number as number}/consoleText`)).toContain('No credentials specified');
  });
});
