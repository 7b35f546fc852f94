// The engine's GitHub client, on @octokit/rest: repository URLs, branch heads, the push
// webhook, deployments and their statuses. It knows HTTP, nothing of Temporal. Answers the
// engine relies on are validated with zod; failures are ClientErrors (clients/errors.ts) that
// say whether retrying can help (`transient`). The token lives in Octokit's auth hook and never reaches a message;
// Octokit's own errors (whose request copy holds bodies such as a webhook secret) are not kept
// as causes.
import { Octokit } from '@octokit/rest';
import { z } from 'zod';
import { ClientError, type ClientErrorKind, type ClientErrorOptions } from './errors.js';

// ---------------------------------------------------------------------------------------------
// Errors

const githubError = (kind: ClientErrorKind, message: string, options?: ClientErrorOptions) => new ClientError('github', kind, message, options);

export interface GitHubValidationDetail {
  resource?: string;
  field?: string;
  code?: string;
  message?: string;
}

/**
 * 400/422: GitHub refused the request as sent ("Validation Failed", "No commit found for SHA").
 * Terminal. Its own class because createWebhook reads the field errors: "already exists" there
 * means the hook is in place.
 */
export class GitHubValidationError extends ClientError {
  override readonly name = 'GitHubValidationError';
  constructor(
    message: string,
    status: number,
    readonly errors: GitHubValidationDetail[] = [],
  ) {
    super('github', 'invalid', message, { status });
  }
}

// ---------------------------------------------------------------------------------------------
// Answers, as much of them as the engine reads

const id = z.union([z.number().int().nonnegative(), z.bigint().nonnegative()]).transform((v, ctx) => {
  const n = Number(v);
  if (!Number.isSafeInteger(n)) ctx.addIssue({ code: 'custom', message: 'id beyond 2^53' });
  return n;
});
const fullSha = z.string().regex(/^[0-9a-f]{40}$/);

const branchSchema = z.looseObject({ name: z.string(), commit: z.looseObject({ sha: fullSha }) });
const hookSchema = z.looseObject({ id, active: z.boolean().optional(), config: z.looseObject({ url: z.string().optional() }) });
const deploymentSchema = z.looseObject({ id, sha: fullSha, ref: z.string(), environment: z.string() });
const statusSchema = z.looseObject({ id, state: z.string() });
const errorBodySchema = z.looseObject({
  message: z.string().optional(),
  errors: z
    .array(
      z.union([
        z.looseObject({ resource: z.string().optional(), field: z.string().optional(), code: z.string().optional(), message: z.string().optional() }),
        z.string(),
      ]),
    )
    .optional(),
});

// ---------------------------------------------------------------------------------------------
// Repository URLs

export interface RepoRef {
  owner: string;
  repo: string;
}

const OWNER = /^[A-Za-z0-9][A-Za-z0-9-]{0,38}$/;
const REPO = /^[A-Za-z0-9._-]{1,100}$/;

function repoRef(owner: string | undefined, repo: string | undefined): RepoRef | null {
  const name = repo?.replace(/\.git$/, '');
  if (!owner || !name || !OWNER.test(owner) || !REPO.test(name) || name === '.' || name === '..') return null;
  return { owner, repo: name };
}

/**
 * `{owner, repo}` of a GitHub repository URL: `https://host/owner/repo(.git)`, `ssh://git@host/owner/repo.git`,
 * `git@host:owner/repo.git`, or `owner/repo`; only on the given hosts (compared without port).
 */
export function parseGitHubRepo(input: string, hosts: readonly string[] = ['github.com']): RepoRef | null {
  const s = input.trim();
  const allowed = new Set(hosts.flatMap((h) => [h.toLowerCase(), `www.${h.toLowerCase()}`]));
  const short = /^([^/:@\s]+)\/([^/:@\s]+)$/.exec(s);
  if (short) return repoRef(short[1], short[2]);
  const scp = /^[\w.-]+@([\w.-]+):\/?([^/]+)\/([^/]+?)\/?$/.exec(s);
  if (scp) return allowed.has((scp[1] ?? '').toLowerCase()) ? repoRef(scp[2], scp[3]) : null;
  let url: URL;
  try {
    url = new URL(s);
  } catch {
    return null;
  }
  if (!['https:', 'http:', 'ssh:', 'git:', 'git+ssh:'].includes(url.protocol) || !allowed.has(url.hostname.toLowerCase())) return null;
  if (url.search || url.hash) return null;
  const parts = url.pathname.replace(/\/+$/, '').split('/').slice(1);
  return parts.length === 2 ? repoRef(decodeURIComponent(parts[0] ?? ''), decodeURIComponent(parts[1] ?? '')) : null;
}

/** The web host of an API base URL: `github.com` for api.github.com, `<x>.ghe.com` for api.<x>.ghe.com, else the host itself (GHES). */
export function webHostOf(baseUrl: string): string {
  const host = new URL(baseUrl).hostname.toLowerCase();
  if (host === 'api.github.com') return 'github.com';
  if (host.startsWith('api.') && host.endsWith('.ghe.com')) return host.slice(4);
  return host;
}

// ---------------------------------------------------------------------------------------------
// The client

export const MAX_STATUS_DESCRIPTION = 140;
export type DeploymentState = 'error' | 'failure' | 'inactive' | 'in_progress' | 'queued' | 'pending' | 'success';

export interface GitHubClientOptions {
  token: string;
  /** Default `https://api.github.com`; GitHub Enterprise Server: `https://<host>/api/v3`. */
  baseUrl?: string;
  /** Bound on one request. Default 30 s. */
  timeoutMs?: number;
  userAgent?: string;
  /** For tests. */
  fetch?: typeof fetch;
}

export interface WebhookSpec {
  url: string;
  secret: string;
  /** Default `json`. */
  contentType?: 'json' | 'form';
  /** Default `['push']`. */
  events?: string[];
}

export interface DeploymentSpec {
  /** The branch (or tag) being deployed. */
  ref: string;
  /** The exact commit. When given it is what GitHub records: it is sent as the deployment's ref. */
  sha?: string;
  environment: string;
  description?: string;
  payload?: Record<string, unknown>;
  transientEnvironment?: boolean;
  /** Default: GitHub's (true for `production`). */
  productionEnvironment?: boolean;
}

export interface DeploymentStatusSpec {
  state: DeploymentState;
  environmentUrl?: string;
  logUrl?: string;
  /** Cut to 140 characters (GitHub refuses longer ones with a 422). */
  description?: string;
  /** GitHub's default (true): a success marks earlier deployments to the environment inactive. */
  autoInactive?: boolean;
}

type Request = { signal: AbortSignal };

/** Cuts to `max` characters (code points), ending with `…` when something was cut. */
export function truncateDescription(text: string, max = MAX_STATUS_DESCRIPTION): string {
  const chars = [...text];
  return chars.length <= max ? text : `${chars.slice(0, max - 1).join('')}…`;
}

export class GitHubClient {
  readonly baseUrl: string;
  /** Host whose repository URLs `parseRepo` accepts, besides github.com. */
  readonly webHost: string;
  readonly #octokit: Octokit;
  readonly #token: string;
  readonly #timeoutMs: number;

  constructor(options: GitHubClientOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.webHost = webHostOf(this.baseUrl);
    this.#token = options.token;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
    const quiet = () => undefined;
    this.#octokit = new Octokit({
      auth: options.token,
      baseUrl: this.baseUrl,
      userAgent: options.userAgent ?? 'deploy-engine',
      // Retries belong to the caller (Temporal's retry policy), which sees `transient`.
      request: { retries: 0, ...(options.fetch ? { fetch: options.fetch } : {}) },
      // Failures surface as our errors; Octokit would also print each one.
      log: { debug: quiet, info: quiet, warn: (message: string) => console.warn(message), error: quiet },
    });
  }

  parseRepo(url: string): RepoRef | null {
    return parseGitHubRepo(url, [...new Set(['github.com', this.webHost])]);
  }

  /** Where to clone a repository from, and its default branch (the API says; no guessing). */
  async getRepository(owner: string, repo: string): Promise<{ fullName: string; cloneUrl: string; defaultBranch: string; private: boolean }> {
    const schema = z.looseObject({ full_name: z.string(), clone_url: z.string(), default_branch: z.string(), private: z.boolean().default(false) });
    const data = await this.call(`reading ${owner}/${repo}`, schema, (request) => this.#octokit.rest.repos.get({ owner, repo, request }));
    return { fullName: data.full_name, cloneUrl: data.clone_url, defaultBranch: data.default_branch, private: data.private };
  }

  /** The head commit SHA of a branch. A missing repository or branch is a `not_found` ClientError. */
  async resolveBranch(owner: string, repo: string, branch: string): Promise<string> {
    const data = await this.call(`resolving branch ${branch} of ${owner}/${repo}`, branchSchema, (request) =>
      this.#octokit.rest.repos.getBranch({ owner, repo, branch, request }),
    );
    return data.commit.sha;
  }

  /**
   * Creates the repository's push webhook and returns its id. Idempotent: when a hook for that
   * URL already exists, it is updated to this secret, content type and events, and its id returned.
   */
  async createWebhook(owner: string, repo: string, spec: WebhookSpec): Promise<number> {
    const where = `${owner}/${repo}`;
    const config = { url: spec.url, content_type: spec.contentType ?? 'json', secret: spec.secret, insecure_ssl: '0' };
    const events = spec.events ?? ['push'];
    try {
      const hook = await this.call(`creating a webhook on ${where}`, hookSchema, (request) =>
        this.#octokit.rest.repos.createWebhook({ owner, repo, name: 'web', active: true, events, config, request }),
      );
      return hook.id;
    } catch (error) {
      if (!(error instanceof GitHubValidationError && error.errors.some((e) => /already exists/i.test(e.message ?? '')))) throw error;
    }
    const existing = await this.findWebhook(owner, repo, spec.url);
    if (!existing) throw githubError('unavailable', `GitHub: ${where} reported a webhook for this URL but does not list it; try again`);
    // A config sent on update replaces the old one: the secret we hold becomes the hook's.
    await this.call(`updating webhook ${existing.id} on ${where}`, hookSchema, (request) =>
      this.#octokit.rest.repos.updateWebhook({ owner, repo, hook_id: existing.id, active: true, events, config, request }),
    );
    return existing.id;
  }

  /** The repository's webhook that delivers to `url`, if any. */
  async findWebhook(owner: string, repo: string, url: string): Promise<{ id: number; active?: boolean } | undefined> {
    const hooks = await this.call(`listing webhooks of ${owner}/${repo}`, z.array(hookSchema), async (request) => ({
      data: await this.#octokit.paginate(this.#octokit.rest.repos.listWebhooks, { owner, repo, per_page: 100, request }),
    }));
    const hook = hooks.find((h) => h.config.url === url);
    return hook && { id: hook.id, active: hook.active };
  }

  /** Deletes a webhook; one that is already gone (404) is fine. */
  async deleteWebhook(owner: string, repo: string, hookId: number): Promise<void> {
    try {
      await this.call(`deleting webhook ${hookId} of ${owner}/${repo}`, z.unknown(), (request) =>
        this.#octokit.rest.repos.deleteWebhook({ owner, repo, hook_id: hookId, request }),
      );
    } catch (error) {
      if (!(error instanceof ClientError && error.kind === 'not_found')) throw error;
    }
  }

  /**
   * Creates a deployment and returns its id. GitHub has no `sha` parameter: to record exactly the
   * commit being deployed, the SHA (when given) is sent as the ref. No auto-merge, no required
   * status contexts (the engine has decided to deploy already).
   */
  async createDeployment(owner: string, repo: string, spec: DeploymentSpec): Promise<number> {
    const data = await this.call(`creating a deployment of ${owner}/${repo} to ${spec.environment}`, deploymentSchema, (request) =>
      this.#octokit.rest.repos.createDeployment({
        owner,
        repo,
        ref: spec.sha ?? spec.ref,
        environment: spec.environment,
        description: spec.description,
        payload: spec.payload ?? {},
        auto_merge: false,
        required_contexts: [],
        transient_environment: spec.transientEnvironment ?? false,
        ...(spec.productionEnvironment !== undefined ? { production_environment: spec.productionEnvironment } : {}),
        request,
      }),
    );
    if (spec.sha && data.sha !== spec.sha.toLowerCase()) {
      throw githubError('protocol', `GitHub recorded deployment ${data.id} of ${owner}/${repo} at ${data.sha}, not ${spec.sha}`);
    }
    return data.id;
  }

  /** Adds a status to a deployment (description cut to 140 characters) and returns the status id. */
  async setDeploymentStatus(owner: string, repo: string, deploymentId: number, spec: DeploymentStatusSpec): Promise<number> {
    const data = await this.call(`setting deployment ${deploymentId} of ${owner}/${repo} to ${spec.state}`, statusSchema, (request) =>
      this.#octokit.rest.repos.createDeploymentStatus({
        owner,
        repo,
        deployment_id: deploymentId,
        state: spec.state,
        description: truncateDescription(spec.description ?? ''),
        ...(spec.environmentUrl !== undefined ? { environment_url: spec.environmentUrl } : {}),
        ...(spec.logUrl !== undefined ? { log_url: spec.logUrl } : {}),
        ...(spec.autoInactive !== undefined ? { auto_inactive: spec.autoInactive } : {}),
        request,
      }),
    );
    return data.id;
  }

  // -------------------------------------------------------------------------------------------

  /** Runs one request with a time bound, maps failures to named errors, validates the answer. */
  private async call<S extends z.ZodType>(
    what: string,
    schema: S,
    send: (request: Request) => Promise<{ data: unknown; status?: number }>,
  ): Promise<z.output<S>> {
    let response: { data: unknown; status?: number };
    try {
      response = await send({ signal: AbortSignal.timeout(this.#timeoutMs) });
    } catch (error) {
      throw this.classify(what, error);
    }
    const parsed = schema.safeParse(response.data);
    if (parsed.success) return parsed.data;
    // A dropped connection leaves Octokit with an empty or partial body on a 2xx.
    if (typeof response.data !== 'object' || response.data === null) {
      throw githubError('unavailable', this.scrub(`GitHub: ${what}: the answer was cut short or unreadable`), { status: response.status });
    }
    throw githubError(
      'protocol',
      this.scrub(`GitHub: ${what}: unexpected answer (${parsed.error.issues.map((i) => `${i.path.join('.') || '<root>'}: ${i.message}`).join('; ')})`),
      { status: response.status },
    );
  }

  private classify(what: string, error: unknown): ClientError {
    if (error instanceof ClientError) return error;
    const e = (typeof error === 'object' && error !== null ? error : {}) as {
      name?: unknown;
      message?: unknown;
      status?: unknown;
      cause?: unknown;
      response?: { status: number; headers: Record<string, string | number | undefined>; data: unknown };
    };
    const cause = e.cause as { name?: unknown; message?: unknown } | undefined;
    if (e.name === 'AbortError' || e.name === 'TimeoutError' || cause?.name === 'TimeoutError' || cause?.name === 'AbortError') {
      return githubError('timeout', this.scrub(`GitHub: ${what}: no answer within ${this.#timeoutMs} ms`));
    }
    if (e.name !== 'HttpError' || typeof e.status !== 'number') {
      return githubError('unavailable', this.scrub(`GitHub: ${what}: ${typeof e.message === 'string' ? e.message : String(error)}`));
    }
    // Octokit reports a failed fetch (refused, reset) as status 500 without a response.
    if (!e.response) {
      const detail = typeof cause?.message === 'string' ? cause.message : typeof e.message === 'string' ? e.message : 'request failed';
      return githubError('unavailable', this.scrub(`GitHub: ${what}: ${detail}`), { cause: e.cause });
    }
    const { status, headers } = e.response;
    const body = errorBodySchema.safeParse(e.response.data);
    const message = (body.success ? body.data.message : undefined) ?? (typeof e.response.data === 'string' ? e.response.data.slice(0, 200) : '');
    const text = this.scrub(`GitHub: ${what}: ${status}${message ? ` ${message}` : ''}`);
    const header = (name: string) => (headers[name] === undefined ? undefined : String(headers[name]));

    if (status === 403 || status === 429) {
      const retryAfter = Number(header('retry-after'));
      const remaining = header('x-ratelimit-remaining');
      const reset = Number(header('x-ratelimit-reset'));
      const secondary = /secondary rate limit|abuse/i.test(message) || Number.isFinite(retryAfter);
      // Secondary limits say how long to wait (Retry-After); the primary one says when it resets.
      if (secondary) return githubError('rate_limited', text, { status, retryAfterMs: Number.isFinite(retryAfter) ? retryAfter * 1000 : 60_000 });
      if (remaining === '0' || status === 429 || /rate limit/i.test(message)) {
        return githubError('rate_limited', text, { status, retryAfterMs: Number.isFinite(reset) ? Math.max(1_000, reset * 1000 - Date.now()) : 60_000 });
      }
      return githubError('forbidden', text, { status });
    }
    if (status >= 500) return githubError('unavailable', text, { status });
    if (status === 401) return githubError('auth', text, { status });
    // 404: no such repository, branch, hook or deployment, or the token may not see it.
    if (status === 404) return githubError('not_found', text, { status });
    // 409: e.g. required status checks failed for a deployment.
    if (status === 409) return githubError('conflict', text, { status });
    if (status === 400 || status === 422) {
      const errors = body.success ? (body.data.errors ?? []).map((x) => (typeof x === 'string' ? { message: x } : x)) : [];
      const details = errors.map((x) => x.message ?? [x.resource, x.field, x.code].filter(Boolean).join(' ')).filter(Boolean);
      return new GitHubValidationError(details.length > 0 ? `${text}: ${details.join('; ')}` : text, status, errors);
    }
    return githubError('protocol', text, { status });
  }

  /** Defence in depth: a message never carries the token, whatever an answer echoed. */
  private scrub(message: string): string {
    return this.#token ? message.split(this.#token).join('[REDACTED]') : message;
  }
}
