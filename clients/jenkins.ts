// The engine's Jenkins client: a thin typed wrapper around one parameterized pipeline job.
// It knows HTTP, nothing of Temporal. JSON reads and `stop` go through the npm `jenkins`
// package (node-jenkins 1.x, created with `crumbIssuer: false`: API tokens need no crumb);
// plain fetch is used where node-jenkins is wrong for us:
//   - trigger: node-jenkins treats 303 ("merged into an identical queued item") as an error
//     and expects Location to end in `/`; we read 201 and 303 and parse `/queue/item/(\d+)/`;
//   - log: node-jenkins' build.log POSTs; we GET progressiveText and return X-Text-Size as
//     the next offset (the body is CR+LF normalized, so its length is NOT the offset delta);
//   - queue cancel and artifacts: not in node-jenkins (or only the legacy cancelQueue URL).
// Failures are ClientErrors (clients/errors.ts) whose `transient` tells retry policies apart.
// Credentials never appear in messages: the Authorization header is built once and kept private.
import { createRequire } from 'node:module';
import { z } from 'zod';
import { ClientError, type ClientErrorKind } from './errors.js';

export interface JenkinsClientOptions {
  /** e.g. https://jenkins.example.com (a context path like /jenkins is kept). */
  baseUrl: string;
  user: string;
  apiToken: string;
  /** Folder path of the job, e.g. 'platform/app-build'. */
  jobPath: string;
  /** Timeout of each HTTP request (default 30 s). */
  timeoutMs?: number;
}

export type JenkinsBuildResult = 'SUCCESS' | 'UNSTABLE' | 'FAILURE' | 'NOT_BUILT' | 'ABORTED';

export interface TriggerResult {
  queueId: number;
  /** true when Jenkins answered 303: an identical request was already queued and absorbed ours. */
  merged: boolean;
}

export type QueueItemStatus =
  | { state: 'waiting' | 'blocked' | 'buildable'; queueId: number; cancelled: false; why: string | null; inQueueSince: number }
  | { state: 'left'; queueId: number; cancelled: boolean; buildNumber?: number; buildUrl?: string; inQueueSince: number }
  /** 404: unknown, or a left item older than ~5 minutes. Look the build up with findBuildByQueueId/findBuildByParameter. */
  | { state: 'gone'; queueId: number };

export interface JenkinsArtifact {
  fileName: string;
  relativePath: string;
}

export interface JenkinsBuild {
  number: number;
  url: string;
  queueId: number;
  building: boolean;
  inProgress: boolean;
  /** null while running; a failing pipeline may set it before it stops running. */
  result: JenkinsBuildResult | null;
  /** inProgress === false && result !== null. */
  finished: boolean;
  timestamp: number;
  duration: number;
  estimatedDuration: number;
  description: string | null;
  artifacts: JenkinsArtifact[];
  parameters: Record<string, string>;
}

export interface JenkinsBuildRef {
  number: number;
  queueId: number;
  parameters: Record<string, string>;
}

export interface LogChunk {
  /** Raw text from the requested offset: console notes (ESC[8m...ESC[0m), ANSI colours and CR+LF kept. */
  text: string;
  /** Byte offset to ask for next (X-Text-Size). */
  nextOffset: number;
  /** X-More-Data: the log may still grow. false = complete. */
  more: boolean;
  /** Jenkins served from 0 because the offset was past the end of the log. */
  restarted: boolean;
}

export type CancelOutcome = 'cancelled' | 'not-found' | 'too-late';

// ---------------------------------------------------------------------------------- errors

/**
 * Jenkins' answers as ClientErrors: 404 `not_found` (no such job, build, queue item or
 * artifact); 401/403 `auth` (bad credentials, no permission, a missing crumb); 409 `conflict`
 * (the job is disabled, until someone enables it); 400 on trigger `invalid` (the job is not
 * parameterized, or rejected the parameters); 5xx, 408, 429, connection refused/reset/dropped
 * `unavailable` and timeouts `timeout` (both transient); anything else `protocol`.
 */
const jenkinsError = (kind: ClientErrorKind, message: string, status?: number) => new ClientError('jenkins', kind, message, { status });

// ------------------------------------------------------------------------------ node-jenkins

/** The part of node-jenkins (untyped CommonJS) we use. */
interface NodeJenkins {
  job: { get(name: string, opts?: { tree?: string }): Promise<unknown> };
  build: {
    get(name: string, number: number, opts?: { tree?: string }): Promise<unknown>;
    stop(name: string, number: number): Promise<unknown>;
  };
  queue: { item(number: number, opts?: { tree?: string }): Promise<unknown> };
}
type NodeJenkinsConstructor = new (opts: { baseUrl: string; crumbIssuer: boolean; headers: Record<string, string>; timeout: number }) => NodeJenkins;
const NodeJenkinsClass = createRequire(import.meta.url)('jenkins') as NodeJenkinsConstructor;

/** papi (node-jenkins' HTTP layer) errors, as far as we read them. */
interface PapiError {
  message?: string;
  statusCode?: number;
  notFound?: boolean;
  isTimeout?: boolean;
  isAbort?: boolean;
  isCodec?: boolean;
  code?: string;
}

// ----------------------------------------------------------------------------------- schemas

// A PasswordParameterValue (REPO_TOKEN) exports its name only: no `value` key at all.
const parametersSchema = z.array(z.object({ name: z.string(), value: z.unknown().optional() }).loose());
const actionSchema = z.union([z.object({ parameters: parametersSchema.optional() }).loose(), z.null()]);

const queueItemSchema = z
  .object({
    _class: z.string(),
    id: z.number().int(),
    inQueueSince: z.number().optional(),
    why: z.string().nullable().optional(),
    cancelled: z.boolean().optional(),
    executable: z.object({ number: z.number().int(), url: z.string().optional() }).loose().nullable().optional(),
  })
  .loose();

const buildSchema = z
  .object({
    number: z.number().int(),
    url: z.string(),
    queueId: z.number().int(),
    building: z.boolean(),
    inProgress: z.boolean().optional(),
    result: z.enum(['SUCCESS', 'UNSTABLE', 'FAILURE', 'NOT_BUILT', 'ABORTED']).nullable(),
    timestamp: z.number(),
    duration: z.number(),
    estimatedDuration: z.number().optional(),
    description: z.string().nullable().optional(),
    artifacts: z.array(z.object({ fileName: z.string(), relativePath: z.string() }).loose()).default([]),
    actions: z.array(actionSchema).default([]),
  })
  .loose();

const buildRefsSchema = z
  .object({
    builds: z
      .array(z.object({ number: z.number().int(), queueId: z.number().int().optional(), actions: z.array(actionSchema).default([]) }).loose())
      .default([]),
  })
  .loose();

const BUILD_REFS_TREE = 'builds[number,queueId,actions[parameters[name,value]]]';

// ------------------------------------------------------------------------------------ client

export class JenkinsClient {
  private readonly base: string;
  private readonly jobPath: string;
  private readonly jobUrlPath: string;
  private readonly authorization: string;
  private readonly timeoutMs: number;
  private readonly lib: NodeJenkins;

  constructor(options: JenkinsClientOptions) {
    const url = new URL(options.baseUrl);
    if (url.username || url.password) throw jenkinsError('protocol', 'baseUrl must not carry credentials: pass user and apiToken');
    this.base = url.toString().replace(/\/+$/, '');
    const segments = options.jobPath.split('/').filter(Boolean);
    if (segments.length === 0) throw jenkinsError('protocol', 'jobPath is empty');
    this.jobPath = segments.join('/');
    this.jobUrlPath = `/job/${segments.map(encodeURIComponent).join('/job/')}`;
    this.authorization = `Basic ${Buffer.from(`${options.user}:${options.apiToken}`).toString('base64')}`;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.lib = new NodeJenkinsClass({ baseUrl: this.base, crumbIssuer: false, headers: { authorization: this.authorization }, timeout: this.timeoutMs });
  }

  /**
   * POST buildWithParameters (delay=0sec). 201 = new queue item, 303 = merged into an
   * identical queued one (send a unique DEPLOY_ID to avoid that).
   */
  async triggerBuild(params: Record<string, string>): Promise<TriggerResult> {
    const what = `trigger ${this.jobPath}`;
    const res = await this.fetch('POST', `${this.jobUrlPath}/buildWithParameters?delay=0sec`, what, {
      body: new URLSearchParams(params).toString(),
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    await res.body?.cancel();
    if (res.status === 201 || res.status === 303) {
      const location = res.headers.get('location') ?? '';
      const m = /\/queue\/item\/(\d+)\/?/.exec(location);
      if (!m) throw jenkinsError('protocol', `${what}: ${res.status} without a queue item Location`, res.status);
      return { queueId: Number(m[1]), merged: res.status === 303 };
    }
    if (res.status === 302) throw jenkinsError('protocol', `${what}: Jenkins did not schedule the build (302 to the job page)`, 302);
    throw this.statusError(res.status, what);
  }

  async getQueueItem(queueId: number): Promise<QueueItemStatus> {
    const what = `queue item ${queueId}`;
    let raw: unknown;
    try {
      raw = await this.lib.queue.item(queueId);
    } catch (error) {
      const mapped = this.libError(error, what);
      if (mapped.kind === 'not_found') return { state: 'gone', queueId };
      throw mapped;
    }
    const item = parse(queueItemSchema, raw, what);
    const kind = item._class.slice(item._class.lastIndexOf('$') + 1);
    const inQueueSince = item.inQueueSince ?? 0;
    if (kind === 'LeftItem') {
      const exe = item.executable ?? undefined;
      return { state: 'left', queueId: item.id, cancelled: item.cancelled ?? false, buildNumber: exe?.number, buildUrl: exe?.url, inQueueSince };
    }
    const state = kind === 'WaitingItem' ? 'waiting' : kind === 'BlockedItem' ? 'blocked' : kind === 'BuildableItem' ? 'buildable' : undefined;
    if (!state) throw jenkinsError('protocol', `${what}: unknown queue item class ${item._class}`);
    return { state, queueId: item.id, cancelled: false, why: item.why ?? null, inQueueSince };
  }

  /** The build; a `not_found` ClientError when there is no such build. */
  async getBuild(number: number): Promise<JenkinsBuild> {
    const what = `build ${this.jobPath} #${number}`;
    let raw: unknown;
    try {
      raw = await this.lib.build.get(this.jobPath, number);
    } catch (error) {
      throw this.libError(error, what);
    }
    const b = parse(buildSchema, raw, what);
    const inProgress = b.inProgress ?? b.building;
    return {
      number: b.number,
      url: b.url,
      queueId: b.queueId,
      building: b.building,
      inProgress,
      result: b.result,
      finished: !inProgress && b.result !== null,
      timestamp: b.timestamp,
      duration: b.duration,
      estimatedDuration: b.estimatedDuration ?? -1,
      description: b.description ?? null,
      artifacts: b.artifacts.map((a) => ({ fileName: a.fileName, relativePath: a.relativePath })),
      parameters: parametersOf(b.actions),
    };
  }

  /** The newest builds (Jenkins' `builds` holds up to 100) with their queue id and parameters. */
  async listBuilds(): Promise<JenkinsBuildRef[]> {
    const what = `builds of ${this.jobPath}`;
    let raw: unknown;
    try {
      raw = await this.lib.job.get(this.jobPath, { tree: BUILD_REFS_TREE });
    } catch (error) {
      throw this.libError(error, what);
    }
    const job = parse(buildRefsSchema, raw, what);
    return job.builds.map((b) => ({ number: b.number, queueId: b.queueId ?? -1, parameters: parametersOf(b.actions) }));
  }

  /** The newest build whose parameter `name` equals `value` (e.g. DEPLOY_ID), or null. */
  async findBuildByParameter(name: string, value: string): Promise<JenkinsBuildRef | null> {
    return (await this.listBuilds()).find((b) => b.parameters[name] === value) ?? null;
  }

  /** The build started from queue item `queueId`, or null (e.g. when its left item expired). */
  async findBuildByQueueId(queueId: number): Promise<JenkinsBuildRef | null> {
    return (await this.listBuilds()).find((b) => b.queueId === queueId) ?? null;
  }

  /** GET progressiveText from a byte offset. Poll one stream per build, never one per viewer. */
  async readLog(number: number, startOffset: number): Promise<LogChunk> {
    const what = `log of ${this.jobPath} #${number}`;
    const start = Math.max(0, Math.floor(startOffset));
    const res = await this.fetch('GET', `${this.jobUrlPath}/${number}/logText/progressiveText?start=${start}`, what);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw this.statusError(res.status, what);
    }
    const bytes = await this.readBody(res, what);
    const size = res.headers.get('x-text-size');
    if (size === null || !/^\d+$/.test(size)) throw jenkinsError('protocol', `${what}: answer without X-Text-Size`);
    const nextOffset = Number(size);
    return { text: new TextDecoder('utf-8').decode(bytes), nextOffset, more: res.headers.get('x-more-data') === 'true', restarted: nextOffset < start };
  }

  /** POST stop (Jenkins answers 302 either way); poll getBuild until result ABORTED. */
  async stopBuild(number: number): Promise<void> {
    try {
      await this.lib.build.stop(this.jobPath, number);
    } catch (error) {
      throw this.libError(error, `stop ${this.jobPath} #${number}`);
    }
  }

  /** POST /queue/cancelItem?id=: 204 cancelled, 404 unknown; a left item cannot be cancelled. */
  async cancelQueueItem(queueId: number): Promise<CancelOutcome> {
    const what = `cancel queue item ${queueId}`;
    const res = await this.fetch('POST', `/queue/cancelItem?id=${queueId}`, what);
    await res.body?.cancel();
    if (res.status === 204) return 'cancelled';
    if (res.status === 404) return 'not-found';
    if (res.status === 302 || res.status >= 500) {
      // Old Jenkins always redirects; new Jenkins answers 500 when the item already left.
      // Either way the item itself says what happened; a real 5xx stays transient.
      const item = await this.getQueueItem(queueId);
      if (item.state === 'left') return item.cancelled ? 'cancelled' : 'too-late';
      if (item.state === 'gone') return 'not-found';
    }
    throw this.statusError(res.status, what);
  }

  /** GET an archived artifact and parse it as JSON (validated by `schema` when given). */
  async getArtifactJson<T = unknown>(number: number, relativePath: string, schema?: z.ZodType<T>): Promise<T> {
    const segments = relativePath.split('/').filter(Boolean);
    if (segments.length === 0 || segments.some((s) => s === '..' || s === '.'))
      throw jenkinsError('protocol', `bad artifact path ${JSON.stringify(relativePath)}`);
    const what = `artifact ${relativePath} of ${this.jobPath} #${number}`;
    const res = await this.fetch('GET', `${this.jobUrlPath}/${number}/artifact/${segments.map(encodeURIComponent).join('/')}`, what);
    if (res.status !== 200) {
      await res.body?.cancel();
      throw this.statusError(res.status, what);
    }
    const text = new TextDecoder('utf-8').decode(await this.readBody(res, what));
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      throw jenkinsError('protocol', `${what}: not JSON`);
    }
    return schema ? parse(schema, value, what) : (value as T);
  }

  // ---------------------------------------------------------------------------- plumbing

  private async fetch(method: string, path: string, what: string, init: { body?: string; headers?: Record<string, string> } = {}): Promise<Response> {
    try {
      return await fetch(`${this.base}${path}`, {
        method,
        body: init.body,
        headers: { ...init.headers, authorization: this.authorization },
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw jenkinsError(isTimeout(error) ? 'timeout' : 'unavailable', `${what}: ${describeNetworkError(error)}`);
    }
  }

  private async readBody(res: Response, what: string): Promise<Uint8Array> {
    try {
      return new Uint8Array(await res.arrayBuffer());
    } catch (error) {
      throw jenkinsError(
        isTimeout(error) ? 'timeout' : 'unavailable',
        `${what}: connection lost while reading the answer (${describeNetworkError(error)})`,
        res.status,
      );
    }
  }

  private statusError(status: number, what: string): ClientError {
    const message = `${what}: Jenkins answered ${status}`;
    if (status === 404) return jenkinsError('not_found', message, status);
    if (status === 401 || status === 403) return jenkinsError('auth', message, status);
    if (status === 409) return jenkinsError('conflict', `${message} (job disabled)`, status);
    if (status === 400) return jenkinsError('invalid', `${message} (job not parameterized or parameters rejected)`, status);
    if (status >= 500 || status === 429 || status === 408) return jenkinsError('unavailable', message, status);
    return jenkinsError('protocol', message, status);
  }

  /** Maps a node-jenkins/papi error without keeping it (it references the request and its headers). */
  private libError(error: unknown, what: string): ClientError {
    const e = (error ?? {}) as PapiError;
    if (e.notFound) return jenkinsError('not_found', `${what}: Jenkins answered 404`, 404);
    if (typeof e.statusCode === 'number') return this.statusError(e.statusCode, what);
    if (e.isTimeout) return jenkinsError('timeout', `${what}: timed out after ${this.timeoutMs} ms`);
    if (e.code || e.isAbort) return jenkinsError('unavailable', `${what}: ${e.code ?? 'aborted'}`);
    if (e.isCodec) return jenkinsError('unavailable', `${what}: unreadable answer`);
    if (error instanceof ClientError) return error;
    return jenkinsError('protocol', `${what}: ${typeof e.message === 'string' ? e.message : 'unexpected error'}`);
  }
}

/** Removes Jenkins console notes (`ESC[8mha:...ESC[0m`, hidden serialized annotations) for display. ANSI colours stay. */
export function stripConsoleNotes(text: string): string {
  return text.replace(/\u001b\[8mha:[^\u001b]*\u001b\[0m/g, '');
}

function parametersOf(actions: Array<{ parameters?: Array<{ name: string; value?: unknown }> } | null>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const action of actions) {
    for (const p of action?.parameters ?? []) {
      if (p.value === undefined) continue; // a password parameter: Jenkins never shows it
      out[p.name] = typeof p.value === 'string' ? p.value : JSON.stringify(p.value);
    }
  }
  return out;
}

function parse<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const result = schema.safeParse(value);
  if (!result.success) throw jenkinsError('protocol', `${what}: unexpected answer (${z.prettifyError(result.error).slice(0, 500)})`);
  return result.data;
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (isTimeout(error)) return 'timed out';
    const cause = (error as Error & { cause?: { code?: string; message?: string } }).cause;
    return cause?.code ?? cause?.message ?? error.message;
  }
  return String(error);
}
