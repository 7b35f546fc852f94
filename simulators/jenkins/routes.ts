// The remote access API routes. Paths are seen after collapseJobPath (jobs.ts): the job path
// `/job/a/job/b` is the single segment `:job`, so route patterns (and request counters) read
// like `GET /job/:job/:number{[0-9]+}/api/json`.
import type { Context } from 'hono';
import { Hono } from 'hono';
import type { ScenarioStore } from '../common/scenario.js';
import { errorPage, type JenkinsAuth, type JenkinsEnv } from './auth.js';
import { decodeJobParam, type JobTree } from './jobs.js';
import { buildJson, buildUrl, folderJson, itemUrl, jobJson, queueItemJson, rootJson } from './json.js';
import type { Build, Job, ParameterValue } from './model.js';
import type { BuildQueue } from './queue.js';
import type { BuildRunner } from './runner.js';
import { applyTree, parseTree, TreeSyntaxError } from './tree.js';

export interface RouteDeps {
  jobs: JobTree;
  queue: BuildQueue;
  runner: BuildRunner;
  auth: JenkinsAuth;
  scenarios: ScenarioStore;
  quietPeriodMs: number;
  numExecutors: number;
  rootUrl?: string;
}

type C = Context<JenkinsEnv>;

const PERMALINKS: Record<string, (b: Build) => boolean> = {
  lastBuild: () => true,
  lastCompletedBuild: (b) => !b.building,
  lastSuccessfulBuild: (b) => !b.building && (b.result === 'SUCCESS' || b.result === 'UNSTABLE'),
  lastStableBuild: (b) => !b.building && b.result === 'SUCCESS',
  lastFailedBuild: (b) => !b.building && b.result === 'FAILURE',
  lastUnstableBuild: (b) => !b.building && b.result === 'UNSTABLE',
  lastUnsuccessfulBuild: (b) => !b.building && b.result !== 'SUCCESS',
};

export function createJenkinsRoutes(d: RouteDeps): Hono<JenkinsEnv> {
  const app = new Hono<JenkinsEnv>();
  const base = (c: C) => d.rootUrl ?? new URL(c.req.url).origin;

  /** JSON like Stapler's exporter: `?tree=` filter, `?pretty=true`. `render(full)` gets full=true when a tree is given. */
  const json = (c: C, render: (full: boolean) => unknown) => {
    const tree = c.req.query('tree');
    let value: unknown;
    try {
      value = tree ? applyTree(render(true), parseTree(tree)) : render(false);
    } catch (error) {
      if (error instanceof TreeSyntaxError) return c.html(errorPage(400, error.message), 400);
      throw error;
    }
    const body = JSON.stringify(value, null, c.req.query('pretty') === 'true' ? 2 : undefined);
    return c.body(body, 200, { 'content-type': 'application/json;charset=utf-8' });
  };
  const notFound = (c: C) => c.html(errorPage(404, 'Not Found'), 404);
  const findJob = (c: C): Job | undefined => {
    const item = d.jobs.find(decodeJobParam(c.req.param('job') ?? ''));
    return item?.kind === 'job' ? item : undefined;
  };
  const findBuild = (c: C): Build | undefined => {
    const job = findJob(c);
    if (!job) return undefined;
    const permalink = c.req.param('permalink');
    if (permalink) {
      const pred = PERMALINKS[permalink];
      return pred ? [...job.builds].reverse().find(pred) : undefined;
    }
    const n = Number(c.req.param('number'));
    return job.builds.find((b) => b.number === n);
  };

  app.get('/api/json', (c) => json(c, () => rootJson(base(c), d.jobs.root, d.numExecutors)));
  app.get('/crumbIssuer/api/json', (c) => json(c, () => d.auth.issueCrumb(c)));

  // ---- queue
  app.get('/queue/api/json', (c) =>
    json(c, () => ({ _class: 'hudson.model.Queue', discoverableItems: [], items: d.queue.active().map((i) => queueItemJson(base(c), i)) })),
  );
  app.get('/queue/item/:id{[0-9]+}/api/json', (c) => {
    const item = d.queue.get(Number(c.req.param('id')));
    return item ? json(c, () => queueItemJson(base(c), item)) : notFound(c);
  });
  // Queue.doCancelItem: 204 cancelled, 404 unknown, 500 when it already left (cancel() is false).
  app.post('/queue/cancelItem', async (c) => {
    const params = await requestParams(c);
    const id = Number(params.id?.[0]);
    const outcome = Number.isInteger(id) ? d.queue.cancel(id) : 'missing';
    if (outcome === 'cancelled') return c.body(null, 204);
    if (outcome === 'left') return c.html(errorPage(500, `Could not cancel run for id ${id}`), 500);
    return c.html(errorPage(404, `Provided id (${params.id?.[0] ?? ''}) not found`), 404);
  });

  // ---- jobs and folders
  app.get('/job/:job/api/json', (c) => {
    const item = d.jobs.find(decodeJobParam(c.req.param('job')));
    if (!item) return notFound(c);
    if (item.kind === 'folder') return json(c, () => folderJson(base(c), item));
    const queued = d.queue.active().find((i) => i.job === item);
    return json(c, (full) => jobJson(base(c), item, queued, full));
  });

  app.get('/job/:job/buildWithParameters', (c) => (findJob(c) ? c.html(errorPage(405, 'This URL requires POST'), 405) : notFound(c)));
  app.post('/job/:job/buildWithParameters', async (c) => {
    const job = findJob(c);
    if (!job) return notFound(c);
    if (job.disabled) return c.html(errorPage(409, `${job.fullName} is not buildable!`), 409);
    if (!job.parameters) return c.html(errorPage(400, `${job.fullName} is not parameterized`), 400);
    const params = await requestParams(c);
    const values: ParameterValue[] = [];
    for (const def of job.parameters) {
      const given = params[def.name];
      if (given && given.length > 1) return c.html(errorPage(400, `Illegal number of parameter values for ${def.name}: ${given.length}`), 400);
      values.push({ name: def.name, type: def.type, value: given?.[0] ?? def.defaultValue });
    }
    return schedule(c, job, values, params.delay?.[0]);
  });
  app.post('/job/:job/build', async (c) => {
    const job = findJob(c);
    if (!job) return notFound(c);
    if (job.disabled) return c.html(errorPage(409, `${job.fullName} is not buildable`), 409);
    if (job.parameters) return c.html(errorPage(400, 'This page expects a form submission'), 400);
    const params = await requestParams(c);
    return schedule(c, job, [], params.delay?.[0]);
  });

  const schedule = (c: C, job: Job, values: ParameterValue[], delay: string | undefined) => {
    const delayMs = parseDelay(delay, d.quietPeriodMs);
    if (delayMs === undefined) return c.html(errorPage(400, `Invalid time duration value: ${delay ?? ''}`), 400);
    const p = Object.fromEntries(values.map((v) => [v.name, v.value]));
    const appName = p.WORKSPACE_ID && p.USER_ID && p.PROJECT_NAME ? `${p.WORKSPACE_ID}-${p.USER_ID}-${p.PROJECT_NAME}` : undefined;
    const scenario = d.scenarios.get(appName, p.REPO_URL);
    const user = c.get('auth').user;
    const cause = { userId: user?.name ?? 'anonymous', userName: user?.fullName ?? user?.name ?? 'anonymous' };
    const { item, created } = d.queue.schedule(job, values, cause, delayMs, scenario);
    // Jenkins: 201 for a new queue item, 303 when an identical one absorbed the request.
    return c.body(null, created ? 201 : 303, { Location: `${base(c)}/queue/item/${item.id}/` });
  };

  for (const action of ['disable', 'enable'] as const) {
    app.post(`/job/:job/${action}`, (c) => {
      const job = findJob(c);
      if (!job) return notFound(c);
      job.disabled = action === 'disable';
      if (job.disabled) d.queue.cancelJob(job);
      return c.redirect(itemUrl(base(c), job), 302);
    });
  }

  // ---- builds (by number or permalink)
  for (const ref of [':number{[0-9]+}', ':permalink{last[A-Za-z]*Build}']) {
    app.get(`/job/:job/${ref}/api/json`, (c) => {
      const build = findBuild(c);
      return build ? json(c, () => buildJson(base(c), build)) : notFound(c);
    });
  }

  // LargeText.doProgressText (GET, or POST with a form as node-jenkins sends it).
  app.on(['GET', 'POST'], '/job/:job/:number{[0-9]+}/logText/progressiveText', async (c) => {
    const build = findBuild(c);
    if (!build) return notFound(c);
    const raw = (await requestParams(c)).start?.[0];
    // Long.parseLong on a bad value throws inside Stapler: a 500 page.
    if (raw !== undefined && !/^-?\d+$/.test(raw.trim())) return c.html(errorPage(500, `java.lang.NumberFormatException: For input string: "${raw}"`), 500);
    const chunk = build.log.progressive(raw === undefined ? 0 : Number(raw));
    const headers: Record<string, string> = { 'content-type': 'text/plain;charset=utf-8', 'x-text-size': String(chunk.textSize) };
    if (chunk.more) headers['x-more-data'] = 'true';
    return c.body(new Uint8Array(chunk.body), 200, headers);
  });
  app.get('/job/:job/:number{[0-9]+}/consoleText', (c) => {
    const build = findBuild(c);
    return build ? c.body(build.log.plainText(), 200, { 'content-type': 'text/plain;charset=utf-8' }) : notFound(c);
  });

  // WorkflowRun.doStop -> forwardToPreviousPage: 302 whether or not the build was running.
  app.post('/job/:job/:number{[0-9]+}/stop', (c) => {
    const build = findBuild(c);
    if (!build) return notFound(c);
    d.runner.stop(build, c.get('auth').user?.fullName ?? c.get('auth').user?.name ?? 'anonymous');
    return c.redirect(c.req.header('referer') ?? buildUrl(base(c), build), 302);
  });

  app.get('/job/:job/:number{[0-9]+}/artifact/:file{.+}', (c) => {
    const build = findBuild(c);
    const file = c.req.param('file');
    const artifact = build?.artifacts.find((a) => a.relativePath === file);
    if (!artifact) return notFound(c);
    const type = artifact.fileName.endsWith('.json') ? 'application/json' : 'application/octet-stream';
    return c.body(new Uint8Array(artifact.content), 200, { 'content-type': type });
  });

  return app;
}

/**
 * Servlet-style parameters: query string first, then an urlencoded or multipart body, all
 * values kept (Jenkins rejects two values for one string parameter).
 */
async function requestParams(c: C): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const [k, vs] of Object.entries(c.req.queries())) out[k] = [...vs];
  const type = c.req.header('content-type') ?? '';
  if (c.req.method === 'POST' && (type.startsWith('application/x-www-form-urlencoded') || type.startsWith('multipart/form-data'))) {
    const body = await c.req.parseBody({ all: true });
    for (const [k, v] of Object.entries(body)) {
      const values = (Array.isArray(v) ? v : [v]).filter((x): x is string => typeof x === 'string');
      out[k] = [...(out[k] ?? []), ...values];
    }
  }
  return out;
}

/** TimeDuration.fromString: "<n>sec"/"<n>secs" are seconds, a bare number is ms; Jenkins schedules in whole seconds. */
export function parseDelay(raw: string | undefined, quietPeriodMs: number): number | undefined {
  if (raw === undefined) return quietPeriodMs;
  const m = /^\s*(-?\d+)\s*(secs?)?\s*$/.exec(raw);
  if (!m) return undefined;
  const ms = Number(m[1]) * (m[2] ? 1000 : 1);
  return Math.max(0, Math.floor(ms / 1000) * 1000);
}
