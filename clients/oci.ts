// A client for any OCI registry (Harbor's /v2/, distribution, ...): does a manifest exist,
// and what is its digest. Speaks the token flow (401 + `WWW-Authenticate: Bearer realm=..`,
// token from the realm with Basic credentials, retry with `Authorization: Bearer`, tokens
// cached per scope) and plain Basic. Knows HTTP only; failures are ClientErrors
// (clients/errors.ts) that say whether retrying can help.
import { createHash } from 'node:crypto';
import { ClientError, type ClientErrorKind, type ClientErrorOptions } from './errors.js';

/** Every manifest type a registry may hold, so it never answers 404 for a type we did not list. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
] as const;
export const MANIFEST_ACCEPT = MANIFEST_MEDIA_TYPES.join(', ');

export const TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const DIGEST_PATTERN = /^sha256:[a-f0-9]{64}$/;
export const REPOSITORY_PATTERN = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;

export function isValidTag(tag: string): boolean {
  return TAG_PATTERN.test(tag);
}

export function isValidDigest(digest: string): boolean {
  return DIGEST_PATTERN.test(digest);
}

export function isValidRepository(name: string): boolean {
  return name.length <= 255 && REPOSITORY_PATTERN.test(name);
}

// ---------------------------------------------------------------------------------------------
// Errors: 401/403 after the auth flow, or a token service that refused the credentials, is
// `auth`; 5xx, 429, connection refused/reset, a dropped connection and timeouts `unavailable`
// (transient); a repository name, tag or digest that can never be valid `invalid` (nothing was
// sent); any other answer the client cannot use (unexpected 4xx, missing digest) `protocol`.

const ociError = (kind: ClientErrorKind, message: string, options?: ClientErrorOptions) => new ClientError('oci', kind, message, options);

// ---------------------------------------------------------------------------------------------
// Challenges

export interface AuthChallenge {
  /** lower-cased: 'bearer', 'basic', ... */
  scheme: string;
  params: Record<string, string>;
}

/** Parses `Bearer realm="https://h/service/token",service="harbor-registry",scope="repository:a/b:pull"`. */
export function parseWwwAuthenticate(header: string | null | undefined): AuthChallenge | null {
  if (!header) return null;
  const trimmed = header.trim();
  const space = trimmed.indexOf(' ');
  const scheme = (space < 0 ? trimmed : trimmed.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  if (space >= 0) {
    for (const match of trimmed.slice(space + 1).matchAll(/([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^\s,]+))/g)) {
      params[(match[1] as string).toLowerCase()] = (match[2] ?? match[3] ?? '').replace(/\\(.)/g, '$1');
    }
  }
  return { scheme, params };
}

// ---------------------------------------------------------------------------------------------
// Client

export interface OciRegistryClientOptions {
  /** e.g. https://harbor.example.com (no /v2 suffix) */
  baseUrl: string;
  username?: string;
  password?: string;
  /** per HTTP request, default 15 s */
  timeoutMs?: number;
  /** for tests */
  fetch?: typeof fetch;
}

interface CachedToken {
  token: string;
  expiresAt: number;
}

type Attempt = { authorization?: string };

export class OciRegistryClient {
  private readonly baseUrl: string;
  private readonly basic?: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;
  private readonly tokens = new Map<string, CachedToken>();
  /** Set once the registry asked for Basic: send it up front from then on. */
  private basicChallenged = false;

  constructor(options: OciRegistryClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    if (options.username !== undefined) {
      this.basic = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
    }
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** `GET /v2/`: the registry answers and accepts our credentials. */
  async ping(): Promise<void> {
    const response = await this.send('GET', '/v2/', {}, undefined);
    await drain(response);
    if (response.status !== 200) throw this.unexpected('GET /v2/', response.status);
  }

  /**
   * The digest of `repository:reference` (tag or digest), or null when the registry has no
   * such manifest. HEAD with every manifest type in Accept; falls back to GET and hashing the
   * body when a registry omits Docker-Content-Digest.
   */
  async manifestDigest(repository: string, reference: string): Promise<string | null> {
    validateRepository(repository);
    validateReference(reference);
    const path = `/v2/${repository}/manifests/${reference}`;
    const scope = `repository:${repository}:pull`;
    const head = await this.send('HEAD', path, { accept: MANIFEST_ACCEPT }, scope);
    await drain(head);
    if (head.status === 404) return null;
    if (head.status !== 200) throw this.unexpected(`HEAD ${path}`, head.status);
    const digest = head.headers.get('docker-content-digest');
    if (digest) {
      if (!isValidDigest(digest)) throw ociError('protocol', `HEAD ${path}: malformed Docker-Content-Digest ${digest}`, { status: 200 });
      if (isValidDigest(reference) && digest !== reference) throw ociError('protocol', `HEAD ${path}: registry answered digest ${digest}`, { status: 200 });
      return digest;
    }
    const get = await this.send('GET', path, { accept: MANIFEST_ACCEPT }, scope);
    if (get.status === 404) {
      await drain(get);
      return null;
    }
    if (get.status !== 200) {
      await drain(get);
      throw this.unexpected(`GET ${path}`, get.status);
    }
    const body = await readBody(get, `GET ${path}`);
    return `sha256:${createHash('sha256').update(body).digest('hex')}`;
  }

  async manifestExists(repository: string, reference: string): Promise<boolean> {
    return (await this.manifestDigest(repository, reference)) !== null;
  }

  /**
   * One request with authentication: a cached token for the scope (or Basic once asked for),
   * else unauthenticated; on 401 follow the challenge once. 401/403 after that is terminal.
   */
  private async send(method: string, path: string, headers: Record<string, string>, scope: string | undefined): Promise<Response> {
    const what = `${method} ${path}`;
    const first = await this.attempt(method, path, headers, this.initialAuth(scope), what);
    if (first.status !== 401) return this.checkForbidden(first, what);
    await drain(first);
    const challenge = parseWwwAuthenticate(first.headers.get('www-authenticate'));
    if (!challenge) throw ociError('auth', `${what}: 401 without a WWW-Authenticate challenge`, { status: 401 });
    let authorization: string;
    if (challenge.scheme === 'basic') {
      if (!this.basic) throw ociError('auth', `${what}: registry requires credentials and none are configured`, { status: 401 });
      this.basicChallenged = true;
      authorization = this.basic;
    } else if (challenge.scheme === 'bearer') {
      const token = await this.fetchToken(challenge, scope, what);
      authorization = `Bearer ${token}`;
    } else {
      throw ociError('auth', `${what}: unsupported auth scheme ${challenge.scheme}`, { status: 401 });
    }
    const second = await this.attempt(method, path, headers, { authorization }, what);
    if (second.status === 401) {
      await drain(second);
      if (scope) this.tokens.delete(scope);
      throw ociError('auth', `${what}: unauthorized (credentials lack access${scope ? ` to ${scope}` : ''})`, { status: 401 });
    }
    return this.checkForbidden(second, what);
  }

  private initialAuth(scope: string | undefined): Attempt {
    if (this.basicChallenged && this.basic) return { authorization: this.basic };
    const cached = scope ? this.tokens.get(scope) : undefined;
    if (cached && cached.expiresAt > Date.now()) return { authorization: `Bearer ${cached.token}` };
    return {};
  }

  private async checkForbidden(response: Response, what: string): Promise<Response> {
    if (response.status !== 403) return response;
    await drain(response);
    throw ociError('auth', `${what}: forbidden`, { status: 403 });
  }

  private async fetchToken(challenge: AuthChallenge, scope: string | undefined, what: string): Promise<string> {
    const realm = challenge.params.realm;
    if (!realm) throw ociError('auth', `${what}: Bearer challenge without realm`, { status: 401 });
    let url: URL;
    try {
      url = new URL(realm);
    } catch {
      throw ociError('auth', `${what}: Bearer challenge with an invalid realm`, { status: 401 });
    }
    if (challenge.params.service) url.searchParams.set('service', challenge.params.service);
    const challengeScope = challenge.params.scope ?? scope;
    if (challengeScope) url.searchParams.set('scope', challengeScope);
    const tokenWhat = `GET ${url.origin}${url.pathname} (token)`;
    const response = await this.request(url, { method: 'GET', headers: this.basic ? { authorization: this.basic } : {} }, tokenWhat);
    if (response.status === 401 || response.status === 403) {
      await drain(response);
      throw ociError('auth', `${tokenWhat}: credentials refused`, { status: response.status });
    }
    if (response.status !== 200) {
      await drain(response);
      throw this.unexpected(tokenWhat, response.status);
    }
    const text = Buffer.from(await readBody(response, tokenWhat)).toString('utf8');
    let body: { token?: unknown; access_token?: unknown; expires_in?: unknown };
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      throw ociError('protocol', `${tokenWhat}: answer is not JSON`, { status: 200 });
    }
    const token = typeof body.token === 'string' && body.token ? body.token : typeof body.access_token === 'string' ? body.access_token : '';
    if (!token) throw ociError('protocol', `${tokenWhat}: answer has no token`, { status: 200 });
    // The token spec's default lifetime is 60 s; renew 10 s early.
    const lifetime = typeof body.expires_in === 'number' && body.expires_in > 0 ? body.expires_in : 60;
    const cached = { token, expiresAt: Date.now() + Math.max(0, lifetime - 10) * 1000 };
    if (scope) this.tokens.set(scope, cached);
    if (challengeScope && challengeScope !== scope) this.tokens.set(challengeScope, cached);
    return token;
  }

  private attempt(method: string, path: string, headers: Record<string, string>, auth: Attempt, what: string): Promise<Response> {
    const all: Record<string, string> = { ...headers };
    if (auth.authorization) all.authorization = auth.authorization;
    return this.request(new URL(`${this.baseUrl}${path}`), { method, headers: all, redirect: 'follow' }, what);
  }

  private async request(url: URL, init: RequestInit, what: string): Promise<Response> {
    let response: Response;
    try {
      response = await this.fetchFn(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw ociError('unavailable', `${what}: ${describeNetworkError(error)}`, { cause: error });
    }
    if (response.status >= 500 || response.status === 429) {
      await drain(response);
      throw ociError('unavailable', `${what}: registry answered ${response.status}`, { status: response.status });
    }
    return response;
  }

  private unexpected(what: string, status: number): ClientError {
    if (status === 401 || status === 403) return ociError('auth', `${what}: ${status}`, { status });
    return ociError('protocol', `${what}: unexpected status ${status}`, { status });
  }
}

function validateRepository(repository: string): void {
  if (!isValidRepository(repository)) throw ociError('invalid', `invalid repository name: ${JSON.stringify(repository)}`);
}

function validateReference(reference: string): void {
  if (!isValidTag(reference) && !isValidDigest(reference)) {
    throw ociError('invalid', `invalid tag or digest: ${JSON.stringify(reference)} (tags match [A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
  }
}

/** Reads a body; a connection cut mid-body is a transient failure. */
async function readBody(response: Response, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await response.arrayBuffer());
  } catch (error) {
    throw ociError('unavailable', `${what}: connection dropped while reading the answer (${describeNetworkError(error)})`, {
      status: response.status,
      cause: error,
    });
  }
}

/** Releases a response body we do not read (keeps sockets reusable); errors there do not matter. */
async function drain(response: Response): Promise<void> {
  try {
    await response.body?.cancel();
  } catch {
    // a dropped connection while discarding is irrelevant
  }
}

export function describeNetworkError(error: unknown): string {
  if (error instanceof Error) {
    if (error.name === 'TimeoutError') return 'timed out';
    if (error.name === 'AbortError') return 'aborted';
    const cause: unknown = error.cause;
    const code = cause && typeof cause === 'object' && 'code' in cause ? String(cause.code) : undefined;
    return code ? `${error.message} (${code})` : error.message;
  }
  return String(error);
}
