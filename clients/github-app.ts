// The engine's GitHub App client: signs the app's JWT (RS256, node:crypto), finds the app's
// installation on a repository and mints an installation token scoped to exactly that
// repository with `contents: read`, cached until 5 minutes before it expires. It knows HTTP,
// nothing of Temporal. Messages say what to fix and never hold the private key, the JWT or a
// token. Failures are ClientErrors (clients/errors.ts) of system `github`: `not_found` when the
// app is not installed on the repository (callers fall back to another credential), `auth` or
// `forbidden` when GitHub refuses the app, and transient `unavailable` only for 5xx, 429,
// timeouts and network failures.
import { createPrivateKey, createSign, type KeyObject } from 'node:crypto';
import { z } from 'zod';
import { ClientError, type ClientErrorKind } from './errors.js';

const appError = (kind: ClientErrorKind, message: string, status?: number) => new ClientError('github', kind, message, { status });

export interface InstallationToken {
  token: string;
  expiresAt: Date;
}

export interface GitHubAppClientOptions {
  appId: number | string;
  privateKeyPem: string;
  /** GitHub's API; default https://api.github.com (GitHub Enterprise: https://<host>/api/v3). */
  baseUrl?: string;
  /** Per request; default 10 s. */
  timeoutMs?: number;
  /** Clock for the cache's decisions (the JWT always uses the real one). */
  now?: () => number;
}

/** A cached token is used only while it has more than this left. */
const REFRESH_BEFORE_MS = 5 * 60_000;
const API_VERSION = '2022-11-28';

const errorSchema = z.object({ message: z.string() }).passthrough();
const installationSchema = z.object({ id: z.number().int().positive() }).passthrough();
const tokenSchema = z.object({ token: z.string().min(1), expires_at: z.iso.datetime({ offset: true }) }).passthrough();

export class GitHubAppClient {
  private readonly baseUrl: string;
  private readonly timeoutMs: number;
  private readonly cache = new Map<string, InstallationToken>();
  private readonly pending = new Map<string, Promise<InstallationToken>>();
  private key: KeyObject | undefined;
  /** How many tokens were minted (tests check the cache with it). */
  minted = 0;

  constructor(private readonly options: GitHubAppClientOptions) {
    this.baseUrl = (options.baseUrl ?? 'https://api.github.com').replace(/\/+$/, '');
    this.timeoutMs = options.timeoutMs ?? 10_000;
  }

  /** A token that can read `owner/repo` (and nothing else) for at least 5 more minutes. */
  async installationToken(owner: string, repo: string): Promise<InstallationToken> {
    const key = `${owner}/${repo}`.toLowerCase();
    const cached = this.cache.get(key);
    if (cached && cached.expiresAt.getTime() - (this.options.now ?? Date.now)() > REFRESH_BEFORE_MS) return cached;
    // Callers asking at the same time share one mint.
    let pending = this.pending.get(key);
    if (!pending) {
      pending = this.mint(owner, repo).finally(() => this.pending.delete(key));
      this.pending.set(key, pending);
    }
    const minted = await pending;
    this.cache.set(key, minted);
    return minted;
  }

  private async mint(owner: string, repo: string): Promise<InstallationToken> {
    const where = `${owner}/${repo}`;
    const jwt = this.jwt();
    const installation = await this.call(`/repos/${encodeURIComponent(owner)}/${encodeURIComponent(repo)}/installation`, 'GET', jwt, undefined, where);
    const { id } = this.parse(installationSchema, installation, where);
    const minted = await this.call(`/app/installations/${id}/access_tokens`, 'POST', jwt, { repositories: [repo], permissions: { contents: 'read' } }, where);
    const { token, expires_at } = this.parse(tokenSchema, minted, where);
    this.minted += 1;
    return { token, expiresAt: new Date(expires_at) };
  }

  /** iat 60 s back (clock drift), exp 9 minutes ahead (GitHub refuses more than 10). */
  private jwt(): string {
    try {
      this.key ??= createPrivateKey(this.options.privateKeyPem);
    } catch {
      throw appError(
        'auth',
        `The private key of the GitHub App ${this.options.appId} (GITHUB_APP_PRIVATE_KEY) is not a PEM private key: set it to the .pem file GitHub generated for the app`,
      );
    }
    const now = Math.floor(Date.now() / 1000);
    const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
    const iss = /^\d+$/.test(String(this.options.appId)) ? Number(this.options.appId) : this.options.appId;
    const unsigned = `${part({ alg: 'RS256', typ: 'JWT' })}.${part({ iat: now - 60, exp: now + 540, iss })}`;
    try {
      return `${unsigned}.${createSign('RSA-SHA256').update(unsigned).sign(this.key, 'base64url')}`;
    } catch {
      throw appError(
        'auth',
        `The private key of the GitHub App ${this.options.appId} (GITHUB_APP_PRIVATE_KEY) cannot sign RS256: it must be the app's RSA key`,
      );
    }
  }

  private async call(path: string, method: 'GET' | 'POST', jwt: string, body: unknown, where: string): Promise<unknown> {
    const app = `the GitHub App ${this.options.appId}`;
    let res: Response;
    try {
      res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${jwt}`,
          'x-github-api-version': API_VERSION,
          'user-agent': 'deploy-engine',
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      const why =
        error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')
          ? `no answer within ${this.timeoutMs} ms`
          : 'the connection failed';
      throw appError('unavailable', `GitHub (${this.baseUrl}) could not be reached for a token of ${app} on ${where}: ${why}`);
    }
    const text = await res.text().catch(() => '');
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) return json;
    const said = errorSchema.safeParse(json);
    const quote = said.success ? ` ("${said.data.message.slice(0, 200)}")` : '';
    if (res.status >= 500 || res.status === 429)
      throw appError('unavailable', `GitHub answered ${res.status}${quote} while minting a token of ${app} on ${where}: try again later`, res.status);
    if (res.status === 401) {
      throw appError(
        'auth',
        `GitHub refused the credentials of ${app}${quote}: check GITHUB_APP_ID and that GITHUB_APP_PRIVATE_KEY is the app's current private key, and this machine's clock`,
        401,
      );
    }
    if (res.status === 404) {
      throw appError(
        'not_found',
        `${capitalize(app)} is not installed on ${where}: install it on that repository (or add the repository to its installation)`,
        404,
      );
    }
    if (res.status === 422 && said.success && /permission/i.test(said.data.message)) {
      throw appError(
        'forbidden',
        `${capitalize(app)} may not read contents on ${where}${quote}: grant it "Contents: Read-only" and accept the new permissions on the installation`,
        422,
      );
    }
    if (res.status === 422) {
      throw appError(
        'not_found',
        `${capitalize(app)} is installed but ${where} is not among its repositories${quote}: add the repository to the installation`,
        422,
      );
    }
    throw appError('protocol', `GitHub refused a token of ${app} on ${where} with ${res.status}${quote}`, res.status);
  }

  private parse<S extends z.ZodType>(schema: S, value: unknown, where: string): z.infer<S> {
    const parsed = schema.safeParse(value);
    if (!parsed.success)
      throw appError('protocol', `GitHub's answer for a token of the GitHub App ${this.options.appId} on ${where} has not the expected shape`);
    return parsed.data;
  }
}

const capitalize = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);
