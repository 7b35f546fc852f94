// The engine's Argo CD client: sessions, applications (with the blocking `?refresh=`), sync,
// and the pure "live at MY commit" decision of docs/external-apis.md. HTTP only. Answers are
// validated with zod; failures are named errors that say whether retrying can help. Tokens and
// passwords live in private fields and never reach a message.
import { z } from 'zod';

// ---------------------------------------------------------------------------------------------
// Errors

/** Base of every Argo CD failure. `transient`: retrying later may succeed. */
export class ArgoCdError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
    /** The gRPC status code of Argo CD's error body, when it had one. */
    readonly grpcCode?: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'ArgoCdError';
  }
}

/** 5xx, 429, connection refused/reset/dropped, an answer cut short or unreadable. Transient. */
export class ArgoCdUnavailableError extends ArgoCdError {
  constructor(message: string, status?: number, cause?: unknown) {
    super(message, true, status, undefined, { cause });
    this.name = 'ArgoCdUnavailableError';
  }
}

/** The request (or the blocking refresh) took longer than allowed. Transient. */
export class ArgoCdTimeoutError extends ArgoCdError {
  constructor(message: string, cause?: unknown) {
    super(message, true, undefined, undefined, { cause });
    this.name = 'ArgoCdTimeoutError';
  }
}

/** Bad credentials or a token Argo CD refuses, also after logging in again. Terminal. */
export class ArgoCdAuthError extends ArgoCdError {
  constructor(message: string, status: number, grpcCode?: number) {
    super(message, false, status, grpcCode);
    this.name = 'ArgoCdAuthError';
  }
}

/** `400 another operation is already in progress`: wait for it instead. Transient. */
export class ArgoCdOperationInProgressError extends ArgoCdError {
  constructor(readonly application: string) {
    super(`Argo CD application ${application}: another operation is already in progress`, true, 400, 9);
    this.name = 'ArgoCdOperationInProgressError';
  }
}

/** A sync Argo CD refuses for good (e.g. `Cannot sync to <sha>: auto-sync currently set to main`). Terminal. */
export class ArgoCdSyncRejectedError extends ArgoCdError {
  constructor(message: string, status: number, grpcCode?: number) {
    super(message, false, status, grpcCode);
    this.name = 'ArgoCdSyncRejectedError';
  }
}

/** The application does not exist or this account may not see it (Argo CD does not say which). Terminal. */
export class ArgoCdNotFoundError extends ArgoCdError {
  constructor(readonly application: string, status: number) {
    super(`Argo CD application ${application} not found or not allowed`, false, status);
    this.name = 'ArgoCdNotFoundError';
  }
}

/**
 * `403 permission denied` for a read that named the app's project: Argo CD's RBAC refuses this
 * account the app (with a project, a missing app is a 404 instead). Terminal.
 */
export class ArgoCdForbiddenError extends ArgoCdError {
  constructor(readonly application: string, readonly project: string, detail: string) {
    super(`Argo CD denies this account ${project}/${application}: ${detail || 'permission denied'}`, false, 403, 7);
    this.name = 'ArgoCdForbiddenError';
  }
}

/** Any other 4xx, or an answer that does not have the shape of Argo CD's API. Terminal. */
export class ArgoCdProtocolError extends ArgoCdError {
  constructor(message: string, status?: number, grpcCode?: number) {
    super(message, false, status, grpcCode);
    this.name = 'ArgoCdProtocolError';
  }
}

export function isArgoCdTransient(error: unknown): boolean {
  return error instanceof ArgoCdError && error.transient;
}

// ---------------------------------------------------------------------------------------------
// The Application, as much of it as the engine reads

const time = z.string();
const condition = z.looseObject({ type: z.string(), message: z.string().optional() });
const revisionRef = z.looseObject({ revision: z.string().optional() });

export const applicationSchema = z.looseObject({
  metadata: z.looseObject({
    name: z.string(),
    namespace: z.string().optional(),
    uid: z.string().optional(),
    resourceVersion: z.string().optional(),
  }),
  spec: z
    .looseObject({
      project: z.string().optional(),
      source: z.looseObject({ repoURL: z.string(), path: z.string().optional(), targetRevision: z.string().optional() }).optional(),
      destination: z.looseObject({ server: z.string().optional(), namespace: z.string().optional() }).optional(),
    })
    .optional(),
  status: z
    .looseObject({
      sync: z.looseObject({ status: z.string(), revision: z.string().optional() }).optional(),
      health: z.looseObject({ status: z.string(), message: z.string().optional() }).optional(),
      operationState: z
        .looseObject({
          operation: z.looseObject({ sync: revisionRef.optional() }).optional(),
          phase: z.string(),
          message: z.string().optional(),
          syncResult: revisionRef.optional(),
          startedAt: time.optional(),
          finishedAt: time.optional(),
        })
        .optional(),
      conditions: z.array(condition).nullish(),
      reconciledAt: time.optional(),
      resources: z.array(z.looseObject({ kind: z.string().optional(), name: z.string().optional(), status: z.string().optional() })).nullish(),
      summary: z.looseObject({ images: z.array(z.string()).nullish() }).optional(),
    })
    .prefault({}),
  operation: z.looseObject({ sync: revisionRef.optional() }).optional(),
});

export type Application = z.infer<typeof applicationSchema>;

// ---------------------------------------------------------------------------------------------
// The ApplicationSet, as much of it as the engine reads (its status says why an app is missing)

export const applicationSetSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string() }),
  status: z
    .looseObject({
      conditions: z
        .array(z.looseObject({ type: z.string(), status: z.string().optional(), reason: z.string().optional(), message: z.string().optional(), lastTransitionTime: time.nullish() }))
        .nullish(),
      resources: z.array(z.looseObject({ name: z.string().optional(), status: z.string().optional() })).nullish(),
    })
    .prefault({}),
});

export type ApplicationSet = z.infer<typeof applicationSetSchema>;

const errorBody = z.looseObject({ error: z.string().optional(), code: z.number().optional(), message: z.string().optional() });

// ---------------------------------------------------------------------------------------------
// The client

export interface ArgoCdClientOptions {
  baseUrl: string;
  /** A bearer token (an account or project token). */
  token?: string;
  /** With username and password the client gets a session token itself, and again once after a 401. */
  username?: string;
  password?: string;
  /** Bound on one request (except a refresh, which takes its own `timeoutMs`). Default 30 s. */
  requestTimeoutMs?: number;
  fetch?: typeof fetch;
}

export interface GetApplicationOptions {
  /** Blocks until Argo CD has fetched Git and compared the app (call once right after a push). */
  refresh?: 'normal' | 'hard';
  /** Bound on this call; a refresh defaults to 60 s. */
  timeoutMs?: number;
  /**
   * The app's AppProject. With it Argo CD answers 404 for a missing app (null here) and 403 only
   * when RBAC refuses the account (ArgoCdForbiddenError); without it both are 403 (null here).
   */
  project?: string;
}

export interface SyncOptions {
  /** Leave unset on auto-sync apps: Argo CD refuses any revision but the tracked branch. */
  revision?: string;
  prune?: boolean;
  dryRun?: boolean;
}

export class ArgoCdClient {
  readonly baseUrl: string;
  #token: string | undefined;
  readonly #username: string | undefined;
  readonly #password: string | undefined;
  readonly #timeoutMs: number;
  readonly #fetch: typeof fetch;
  #login: Promise<string> | undefined;

  constructor(options: ArgoCdClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#token = options.token;
    this.#username = options.username;
    this.#password = options.password;
    this.#timeoutMs = options.requestTimeoutMs ?? 30_000;
    this.#fetch = options.fetch ?? fetch;
    if (!this.#token && (this.#username === undefined || this.#password === undefined)) {
      throw new ArgoCdAuthError('Argo CD client needs a token, or a username and password', 0);
    }
  }

  /** `GET /api/version` (no auth needed). */
  async version(): Promise<string> {
    const { body } = await this.request('GET', '/api/version', { auth: false });
    const parsed = z.looseObject({ Version: z.string() }).safeParse(body);
    if (!parsed.success) throw new ArgoCdProtocolError('Argo CD /api/version answer has no Version');
    return parsed.data.Version;
  }

  async listApplications(): Promise<Application[]> {
    const { body } = await this.request('GET', '/api/v1/applications');
    const parsed = z.looseObject({ items: z.array(z.unknown()).nullish() }).safeParse(body);
    if (!parsed.success) throw new ArgoCdProtocolError('Argo CD application list has an unexpected shape');
    return (parsed.data.items ?? []).map((item) => parseApplication(item));
  }

  /**
   * The application, or null when it does not exist. Without `project`, Argo CD answers 403
   * `permission denied` both for a missing app and for one this account may not see (null);
   * with it, a missing app is a 404 (null) and a 403 is RBAC (ArgoCdForbiddenError).
   */
  async getApplication(name: string, options: GetApplicationOptions = {}): Promise<Application | null> {
    const query = new URLSearchParams();
    if (options.refresh) query.set('refresh', options.refresh);
    if (options.project) query.set('project', options.project);
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    const timeoutMs = options.timeoutMs ?? (options.refresh ? 60_000 : this.#timeoutMs);
    const { status, body } = await this.request('GET', `/api/v1/applications/${encodeURIComponent(name)}${suffix}`, { timeoutMs, accept: [403, 404] });
    if (status === 403 && options.project) throw new ArgoCdForbiddenError(name, options.project, errorDetail(body));
    if (status === 403 || status === 404) return null;
    return parseApplication(body);
  }

  /**
   * `GET /api/v1/applicationsets/{name}`: its status conditions (ErrorOccurred,
   * ParametersGenerated, ResourcesUpToDate) and generated apps; null on 403/404 (Argo CD answers
   * 403 for a missing ApplicationSet too).
   */
  async getApplicationSet(name: string): Promise<ApplicationSet | null> {
    const { status, body } = await this.request('GET', `/api/v1/applicationsets/${encodeURIComponent(name)}`, { accept: [403, 404] });
    if (status === 403 || status === 404) return null;
    const parsed = applicationSetSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ArgoCdProtocolError(`Argo CD ApplicationSet has an unexpected shape: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
    }
    return parsed.data;
  }

  /** Starts a sync; answers the application with its new `operation`. */
  async sync(name: string, options: SyncOptions = {}): Promise<Application> {
    const body = { name, ...(options.revision ? { revision: options.revision } : {}), prune: options.prune ?? false, dryRun: options.dryRun ?? false };
    const answer = await this.request('POST', `/api/v1/applications/${encodeURIComponent(name)}/sync`, { body, accept: [400, 403, 404] });
    if (answer.status === 403 || answer.status === 404) throw new ArgoCdNotFoundError(name, answer.status);
    if (answer.status === 400) {
      const error = errorBody.safeParse(answer.body);
      const message = (error.success ? (error.data.message ?? error.data.error) : undefined) ?? 'sync refused';
      if (/another operation is already in progress/i.test(message)) throw new ArgoCdOperationInProgressError(name);
      throw new ArgoCdSyncRejectedError(`Argo CD refused to sync ${name}: ${message}`, 400, error.success ? error.data.code : undefined);
    }
    return parseApplication(answer.body);
  }

  // ---- transport ---------------------------------------------------------------------------

  private async request(
    method: 'GET' | 'POST',
    path: string,
    opts: { body?: unknown; auth?: boolean; timeoutMs?: number; accept?: number[] } = {},
  ): Promise<{ status: number; body: unknown }> {
    const auth = opts.auth ?? true;
    let token = auth ? await this.token() : undefined;
    let response = await this.send(method, path, token, opts);
    if (response.status === 401 && auth && this.canLogin()) {
      await response.body?.cancel();
      token = await this.token(token);
      response = await this.send(method, path, token, opts);
    }
    const { status } = response;
    const text = await readBody(response, `${method} ${path}`);
    if (status >= 200 && status < 300) return { status, body: parseJson(text, `${method} ${path}`) };
    if (opts.accept?.includes(status)) return { status, body: safeJson(text) };

    const error = errorBody.safeParse(safeJson(text));
    const detail = error.success ? (error.data.message ?? error.data.error ?? '') : text.slice(0, 200);
    const grpcCode = error.success ? error.data.code : undefined;
    const where = `Argo CD ${method} ${path} answered ${status}${detail ? `: ${detail}` : ''}`;
    if (status === 401 || status === 403) throw new ArgoCdAuthError(where, status, grpcCode);
    if (status >= 500 || status === 429 || status === 408) throw new ArgoCdUnavailableError(where, status);
    throw new ArgoCdProtocolError(where, status, grpcCode);
  }

  private async send(method: string, path: string, token: string | undefined, opts: { body?: unknown; timeoutMs?: number }): Promise<Response> {
    const timeoutMs = opts.timeoutMs ?? this.#timeoutMs;
    const headers: Record<string, string> = { accept: 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    if (opts.body !== undefined) headers['content-type'] = 'application/json';
    try {
      return await this.#fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      if (isTimeout(error)) throw new ArgoCdTimeoutError(`Argo CD ${method} ${path} timed out after ${timeoutMs} ms`, error);
      throw new ArgoCdUnavailableError(`Argo CD ${method} ${path} failed: ${describe(error)}`, undefined, error);
    }
  }

  private canLogin(): boolean {
    return this.#username !== undefined && this.#password !== undefined;
  }

  /** The current token; logs in when there is none, or when `stale` is the one that was refused. */
  private async token(stale?: string): Promise<string | undefined> {
    if (this.#token && this.#token !== stale) return this.#token;
    if (!this.canLogin()) return this.#token;
    this.#login ??= this.login().finally(() => (this.#login = undefined));
    this.#token = await this.#login;
    return this.#token;
  }

  private async login(): Promise<string> {
    const response = await this.send('POST', '/api/v1/session', undefined, { body: { username: this.#username, password: this.#password } });
    const text = await readBody(response, 'POST /api/v1/session');
    if (response.status === 401 || response.status === 403) throw new ArgoCdAuthError(`Argo CD refused the credentials of ${this.#username ?? 'the configured user'}`, response.status);
    if (response.status >= 500 || response.status === 429) throw new ArgoCdUnavailableError(`Argo CD POST /api/v1/session answered ${response.status}`, response.status);
    const parsed = z.object({ token: z.string().min(1) }).safeParse(parseJson(text, 'POST /api/v1/session'));
    if (!parsed.success) throw new ArgoCdProtocolError(`Argo CD POST /api/v1/session answered ${response.status} without a token`, response.status);
    return parsed.data.token;
  }
}

function errorDetail(body: unknown): string {
  const error = errorBody.safeParse(body);
  return error.success ? (error.data.message ?? error.data.error ?? '') : '';
}

function parseApplication(body: unknown): Application {
  const parsed = applicationSchema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new ArgoCdProtocolError(`Argo CD application has an unexpected shape: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

async function readBody(response: Response, what: string): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    if (isTimeout(error)) throw new ArgoCdTimeoutError(`Argo CD ${what}: timed out reading the answer`, error);
    throw new ArgoCdUnavailableError(`Argo CD ${what}: the connection dropped while reading the answer (${describe(error)})`, response.status, error);
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // A cut or proxied answer; the next attempt usually gets a whole one.
    throw new ArgoCdUnavailableError(`Argo CD ${what}: the answer is not JSON (${text.length} bytes)`, undefined, error);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isTimeout(error: unknown): boolean {
  return error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError');
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const cause: unknown = error.cause;
  const code = cause && typeof cause === 'object' && 'code' in cause ? String(cause.code) : undefined;
  return code ? `${error.message} (${code})` : error.message;
}

// ---------------------------------------------------------------------------------------------
// "Live at MY commit"

export const ERROR_CONDITION_TYPES = {
  ComparisonError: 'comparison-error',
  InvalidSpecError: 'invalid-spec',
  SyncError: 'sync-error',
  UnknownError: 'unknown-error',
  DeletionError: 'deletion-error',
} as const;

export type LiveFailureType = 'degraded' | 'sync-failed' | 'repo-unreachable' | 'shared-resource' | (typeof ERROR_CONDITION_TYPES)[keyof typeof ERROR_CONDITION_TYPES];

/**
 * What the repo-server says when it cannot fetch the repository, as Argo CD v2.14 writes it into
 * a ComparisonError (`Failed to load target state: failed to generate manifest for source 1 of
 * 1: rpc error: code = Unknown desc = failed to list refs: repository not found`) or into the
 * ApplicationSet's ErrorOccurred condition. `failed to list refs` is util/git's `git ls-remote`
 * step (the host, the URL, the credentials, the host key); `unable to resolve '<branch>' to a
 * commit SHA` is a branch the repository does not have. A repo-server that is down answers
 * `code = Unavailable` and is not matched: that passes.
 */
const REPO_FETCH_ERROR = /failed to list refs|repository not found|authentication required|authentication failed|knownhosts: key is unknown|ssh: handshake failed|unable to authenticate|could not read Username|Permission denied \(publickey\)|unable to resolve '[^']*' to a commit SHA/i;

/** Whether an Argo CD error message says the repository could not be fetched (not a chart error). */
export function isRepoFetchError(message: string): boolean {
  return REPO_FETCH_ERROR.test(message);
}

export type LiveStatus =
  | { state: 'live' }
  /** `degradedSince` is set while the app is Degraded within the grace period: pass it back next time. */
  | { state: 'waiting'; reason: string; degradedSince?: number }
  | { state: 'failed'; type: LiveFailureType; message: string }
  | { state: 'superseded'; revision: string };

export interface LiveStatusOptions {
  now: number;
  /** When the app was first seen Degraded at our commit (from an earlier call), in ms. */
  degradedSince?: number;
  /** How long Degraded may last before it counts as a failure. */
  degradedGraceMs: number;
  /**
   * Whether a revision other than ours is a newer commit (e.g. a descendant of ours on the
   * branch). Without it, another revision is only "not there yet".
   */
  knownNewer?: boolean | ((revision: string) => boolean);
}

/**
 * Whether the app runs `expectedSha` (docs/external-apis.md, "Live at MY commit"): the synced
 * revision is that full SHA; Synced and Healthy; no operation in flight and the last one
 * compared since it finished; an operation for that SHA Succeeded. Fails fast on a Failed/Error
 * operation for that SHA, an error condition, or Degraded past the grace period.
 */
export function liveStatus(app: Application, expectedSha: string, options: LiveStatusOptions): LiveStatus {
  const status = app.status;
  const op = status.operationState;
  const opRevision = op?.syncResult?.revision ?? op?.operation?.sync?.revision;
  const revision = status.sync?.revision;

  if (op && opRevision === expectedSha && (op.phase === 'Failed' || op.phase === 'Error')) {
    return { state: 'failed', type: 'sync-failed', message: op.message || `sync of ${short(expectedSha)} ended ${op.phase}` };
  }
  // A repository Argo CD cannot fetch blocks every revision, whichever one the app last showed.
  for (const c of status.conditions ?? []) {
    if (c.type === 'ComparisonError' && isRepoFetchError(c.message ?? '')) return { state: 'failed', type: 'repo-unreachable', message: `${c.type}: ${c.message ?? ''}` };
  }
  // Conditions describe the revision Argo CD compared last; a failed comparison reports none.
  if (!revision || revision === expectedSha) {
    for (const c of status.conditions ?? []) {
      const type = ERROR_CONDITION_TYPES[c.type as keyof typeof ERROR_CONDITION_TYPES];
      if (type) return { state: 'failed', type, message: `${c.type}: ${c.message ?? ''}`.trim() };
      // Another app manages one of ours (`Deployment/x is part of applications argocd/a and b`):
      // the two would overwrite each other on every sync.
      if (c.type === 'SharedResourceWarning') return { state: 'failed', type: 'shared-resource', message: `${c.type}: ${c.message ?? ''}`.trim() };
    }
  }
  if (!revision) return { state: 'waiting', reason: `Argo CD reports no revision yet (sync ${status.sync?.status ?? 'unknown'})` };
  if (revision !== expectedSha) {
    const newer = typeof options.knownNewer === 'function' ? options.knownNewer(revision) : options.knownNewer === true;
    if (newer) return { state: 'superseded', revision };
    return { state: 'waiting', reason: `Argo CD is at ${short(revision)}, not yet at ${short(expectedSha)}` };
  }
  if (app.operation) return { state: 'waiting', reason: 'a sync operation is in progress' };
  if (op) {
    if (op.phase === 'Running' || op.phase === 'Terminating' || !op.finishedAt) return { state: 'waiting', reason: `the last operation is ${op.phase}` };
    const finished = Date.parse(op.finishedAt);
    const reconciled = status.reconciledAt ? Date.parse(status.reconciledAt) : Number.NaN;
    if (!(reconciled >= finished)) return { state: 'waiting', reason: 'Argo CD has not compared the app since the last operation finished' };
    if (opRevision === expectedSha && op.phase !== 'Succeeded') return { state: 'waiting', reason: `the operation for ${short(expectedSha)} is ${op.phase}` };
  }
  if (status.sync?.status !== 'Synced') return { state: 'waiting', reason: `sync status is ${status.sync?.status ?? 'unknown'}` };

  const health = status.health?.status ?? 'Unknown';
  if (health === 'Healthy') return { state: 'live' };
  if (health === 'Degraded') {
    const since = options.degradedSince ?? options.now;
    const message = status.health?.message ? `Degraded: ${status.health.message}` : 'the application is Degraded';
    if (options.now - since >= options.degradedGraceMs) return { state: 'failed', type: 'degraded', message };
    return { state: 'waiting', reason: `${message} (within the grace period)`, degradedSince: since };
  }
  return { state: 'waiting', reason: `health is ${health}${status.health?.message ? `: ${status.health.message}` : ''}` };
}

function short(sha: string): string {
  return sha.slice(0, 7);
}
