// The engine's Argo CD client: sessions, applications (with the blocking `?refresh=`), the
// ApplicationSet's status, and sync. HTTP only: what an application's status means for a release
// is activities/live-status.ts. Answers are validated with zod; failures are ClientErrors
// (clients/errors.ts) that say whether retrying can help. Tokens and passwords live in private
// fields and never reach a message.
import { z } from 'zod';
import { ClientError, type ClientErrorKind, type ClientErrorOptions } from './errors.js';

const argoError = (kind: ClientErrorKind, message: string, options?: ClientErrorOptions) => new ClientError('argocd', kind, message, options);

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
        .array(
          z.looseObject({
            type: z.string(),
            status: z.string().optional(),
            reason: z.string().optional(),
            message: z.string().optional(),
            lastTransitionTime: time.nullish(),
          }),
        )
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
   * when RBAC refuses the account (a `forbidden` ClientError); without it both are 403 (null here).
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
      throw argoError('auth', 'Argo CD client needs a token, or a username and password');
    }
  }

  /** `GET /api/version` (no auth needed). */
  async version(): Promise<string> {
    const { body } = await this.request('GET', '/api/version', { auth: false });
    const parsed = z.looseObject({ Version: z.string() }).safeParse(body);
    if (!parsed.success) throw argoError('protocol', 'Argo CD /api/version answer has no Version');
    return parsed.data.Version;
  }

  async listApplications(): Promise<Application[]> {
    const { body } = await this.request('GET', '/api/v1/applications');
    const parsed = z.looseObject({ items: z.array(z.unknown()).nullish() }).safeParse(body);
    if (!parsed.success) throw argoError('protocol', 'Argo CD application list has an unexpected shape');
    return (parsed.data.items ?? []).map((item) => parseApplication(item));
  }

  /**
   * The application, or null when it does not exist. Without `project`, Argo CD answers 403
   * `permission denied` both for a missing app and for one this account may not see (null);
   * with it, a missing app is a 404 (null) and a 403 is RBAC (`forbidden`).
   */
  async getApplication(name: string, options: GetApplicationOptions = {}): Promise<Application | null> {
    const query = new URLSearchParams();
    if (options.refresh) query.set('refresh', options.refresh);
    if (options.project) query.set('project', options.project);
    const suffix = query.size > 0 ? `?${query.toString()}` : '';
    const timeoutMs = options.timeoutMs ?? (options.refresh ? 60_000 : this.#timeoutMs);
    const { status, body } = await this.request('GET', `/api/v1/applications/${encodeURIComponent(name)}${suffix}`, { timeoutMs, accept: [403, 404] });
    if (status === 403 && options.project) {
      throw argoError('forbidden', `Argo CD denies this account ${options.project}/${name}: ${errorDetail(body) || 'permission denied'}`, {
        status: 403,
        code: 7,
      });
    }
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
      throw argoError('protocol', `Argo CD ApplicationSet has an unexpected shape: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
    }
    return parsed.data;
  }

  /** Starts a sync; answers the application with its new `operation`. */
  async sync(name: string, options: SyncOptions = {}): Promise<Application> {
    const body = { name, ...(options.revision ? { revision: options.revision } : {}), prune: options.prune ?? false, dryRun: options.dryRun ?? false };
    const answer = await this.request('POST', `/api/v1/applications/${encodeURIComponent(name)}/sync`, { body, accept: [400, 403, 404] });
    if (answer.status === 403 || answer.status === 404)
      throw argoError('not_found', `Argo CD application ${name} not found or not allowed`, { status: answer.status });
    if (answer.status === 400) {
      const error = errorBody.safeParse(answer.body);
      const message = (error.success ? (error.data.message ?? error.data.error) : undefined) ?? 'sync refused';
      // Another operation is in progress: it ends by itself, so waiting and trying again helps.
      if (/another operation is already in progress/i.test(message)) {
        throw argoError('conflict', `Argo CD application ${name}: another operation is already in progress`, { transient: true, status: 400, code: 9 });
      }
      // Refused for good, e.g. `Cannot sync to <sha>: auto-sync currently set to main`.
      throw argoError('invalid', `Argo CD refused to sync ${name}: ${message}`, { status: 400, code: error.success ? error.data.code : undefined });
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
    if (status === 401 || status === 403) throw argoError('auth', where, { status, code: grpcCode });
    if (status >= 500 || status === 429 || status === 408) throw argoError('unavailable', where, { status });
    throw argoError('protocol', where, { status, code: grpcCode });
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
      if (isTimeout(error)) throw argoError('timeout', `Argo CD ${method} ${path} timed out after ${timeoutMs} ms`, { cause: error });
      throw argoError('unavailable', `Argo CD ${method} ${path} failed: ${describe(error)}`, { cause: error });
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
    if (response.status === 401 || response.status === 403)
      throw argoError('auth', `Argo CD refused the credentials of ${this.#username ?? 'the configured user'}`, { status: response.status });
    if (response.status >= 500 || response.status === 429)
      throw argoError('unavailable', `Argo CD POST /api/v1/session answered ${response.status}`, { status: response.status });
    const parsed = z.object({ token: z.string().min(1) }).safeParse(parseJson(text, 'POST /api/v1/session'));
    if (!parsed.success) throw argoError('protocol', `Argo CD POST /api/v1/session answered ${response.status} without a token`, { status: response.status });
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
    throw argoError('protocol', `Argo CD application has an unexpected shape: ${issue ? `${issue.path.join('.')}: ${issue.message}` : 'invalid'}`);
  }
  return parsed.data;
}

async function readBody(response: Response, what: string): Promise<string> {
  try {
    return await response.text();
  } catch (error) {
    if (isTimeout(error)) throw argoError('timeout', `Argo CD ${what}: timed out reading the answer`, { cause: error });
    throw argoError('unavailable', `Argo CD ${what}: the connection dropped while reading the answer (${describe(error)})`, {
      status: response.status,
      cause: error,
    });
  }
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    // A cut or proxied answer; the next attempt usually gets a whole one.
    throw argoError('unavailable', `Argo CD ${what}: the answer is not JSON (${text.length} bytes)`, { cause: error });
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
