// A GitHub App's installation tokens: for one repository, read-only, about an hour. The engine
// reads private repositories with these instead of storing long-lived tokens. It knows HTTP,
// nothing of Temporal.
//
// The app authenticates with a JWT it signs itself (RS256 with the app's private key: `iat`
// backdated 60 s for clock drift, `exp` at most 10 minutes on, `iss` the app id), then asks for
// the repository's installation and mints a token restricted to that repository with
// `contents: read`. Tokens are cached until 5 minutes before they expire. Neither the key, the
// JWT nor a token ever appears in an error message.
import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { GitHubError } from './github.js';

export type GitHubAppErrorKind = 'not_installed' | 'refused' | 'unavailable';

/** `not_installed` and `refused` are terminal; `unavailable` (5xx, network) is transient. */
export class GitHubAppError extends GitHubError {
  constructor(
    readonly kind: GitHubAppErrorKind,
    message: string,
    status?: number,
  ) {
    super(message, kind === 'unavailable', status);
    this.name = 'GitHubAppError';
  }
}

export interface GitHubAppClientOptions {
  appId: string;
  privateKeyPem: string;
  /** The REST API root: https://api.github.com, or GHE's https://host/api/v3. */
  baseUrl?: string;
  timeoutMs?: number;
  /** Clock, for tests of expiry. */
  now?: () => number;
}

export interface InstallationToken {
  token: string;
  expiresAt: Date;
}

const installationSchema = z.looseObject({ id: z.number().int().positive() });
const tokenSchema = z.looseObject({ token: z.string().min(1), expires_at: z.string().datetime({ offset: true }) });

/** Refresh a cached token this long before GitHub expires it (a build can take minutes). */
const REFRESH_MARGIN_MS = 5 * 60_000;

const b64url = (data: string | Buffer) => Buffer.from(data).toString('base64url');

export class GitHubAppClient {
  readonly #appId: string;
  readonly #key: KeyObject;
  readonly #baseUrl: string;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #cache = new Map<string, InstallationToken>();
  /** How many tokens were minted (tests check the cache with it). */
  minted = 0;

  constructor(options: GitHubAppClientOptions) {
    this.#appId = options.appId;
    try {
      this.#key = createPrivateKey(options.privateKeyPem);
    } catch {
      throw new GitHubAppError('refused', `The private key of GitHub App ${options.appId} is not a PEM private key`);
    }
    this.#baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.#timeoutMs = options.timeoutMs ?? 15_000;
    this.#now = options.now ?? Date.now;
  }

  /** A token that reads exactly `owner/repo`, from the cache while it has 5 minutes left. */
  async installationToken(owner: string, repo: string): Promise<InstallationToken> {
    const key = `${owner}/${repo}`.toLowerCase();
    const cached = this.#cache.get(key);
    if (cached && cached.expiresAt.getTime() - this.#now() > REFRESH_MARGIN_MS) return cached;
    const jwt = this.#jwt();
    const installation = installationSchema.parse(await this.#call('GET', `/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/installation`, jwt, undefined, `${owner}/${repo}`));
    const answer = tokenSchema.parse(await this.#call('POST', `/app/installations/${installation.id}/access_tokens`, jwt, { repositories: [repo], permissions: { contents: 'read' } }, `${owner}/${repo}`));
    const token = { token: answer.token, expiresAt: new Date(answer.expires_at) };
    this.minted += 1;
    this.#cache.set(key, token);
    return token;
  }

  #jwt(): string {
    const now = Math.floor(this.#now() / 1000);
    const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
    const payload = b64url(JSON.stringify({ iat: now - 60, exp: now + 540, iss: /^\d+$/.test(this.#appId) ? Number(this.#appId) : this.#appId }));
    const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(this.#key);
    return `${header}.${payload}.${b64url(signature)}`;
  }

  async #call(method: 'GET' | 'POST', path: string, jwt: string, body: unknown, repo: string): Promise<unknown> {
    let res: Response;
    try {
      res = await fetch(`${this.#baseUrl}${path}`, {
        method,
        headers: { authorization: `Bearer ${jwt}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28', 'user-agent': 'deploy-engine', ...(body ? { 'content-type': 'application/json' } : {}) },
        ...(body ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      throw new GitHubAppError('unavailable', `GitHub did not answer for ${repo}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const text = await res.text();
    if (res.ok) {
      try {
        return JSON.parse(text) as unknown;
      } catch {
        throw new GitHubAppError('unavailable', `GitHub answered ${res.status} without JSON for ${repo}`, res.status);
      }
    }
    const message = z.looseObject({ message: z.string() }).safeParse(safeJson(text)).data?.message ?? `HTTP ${res.status}`;
    if (res.status >= 500 || res.status === 429) throw new GitHubAppError('unavailable', `GitHub answered ${res.status} for ${repo}: ${message}`, res.status);
    if (res.status === 404 && path.endsWith('/installation')) {
      throw new GitHubAppError('not_installed', `the GitHub App ${this.#appId} is not installed on ${repo}: install it on that repository (permission "Contents: read")`, 404);
    }
    if (res.status === 401) throw new GitHubAppError('refused', `GitHub refused the App ${this.#appId}'s credentials (${message}): check GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY`, 401);
    throw new GitHubAppError('refused', `GitHub refused a token for ${repo} (${res.status}: ${message}): check that the App ${this.#appId} is installed on it with "Contents: read"`, res.status);
  }
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}
