// GitHub Apps as the simulator knows them: registered apps with an RSA key pair (the private
// key is handed out once, like GitHub's "generate a private key"), their installations on
// repositories, the JWTs they authenticate with, and the installation tokens they mint.
import { createPublicKey, generateKeyPairSync, randomBytes, verify, type KeyObject } from 'node:crypto';
import { repoKey } from './state.js';
import type { SimUser } from './types.js';

export interface SimApp {
  id: number;
  slug: string;
  name: string;
  clientId: string;
  publicKey: KeyObject;
  /** The bot user installation tokens act as (`<slug>[bot]`). */
  bot: SimUser;
}

export interface SimInstallation {
  id: number;
  appId: number;
  /** The owner login the app is installed on. */
  account: string;
  /** repoKey()s of the selected repositories. */
  repos: Set<string>;
  permissions: Record<string, 'read' | 'write'>;
  createdAt: string;
}

export interface InstallationToken {
  installationId: number;
  repos: Set<string>;
  permissions: Record<string, 'read' | 'write'>;
  expiresAtMs: number;
}

export type JwtVerdict = { ok: true; app: SimApp } | { ok: false; message: string };

/** GitHub's own words for the JWTs it refuses (all 401). */
export const JWT_MESSAGES = {
  undecodable: 'A JSON web token could not be decoded',
  expired: "'Expiration time' claim ('exp') must be a numeric value representing the future time at which the assertion expires",
  tooFar: "'Expiration time' claim ('exp') is too far in the future",
  issuedAt: "'Issued at' claim ('iat') must be an Integer representing the time that the assertion was issued",
} as const;

const DEFAULT_PERMISSIONS = { contents: 'read', metadata: 'read' } as const;
/** GitHub's limit on `exp - now`. */
const MAX_JWT_LIFETIME_S = 600;
/** Clock drift GitHub tolerates on `iat`. */
const IAT_SKEW_S = 60;

const decodeJson = (part: string): unknown => {
  try {
    return JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
};

export class AppRegistry {
  readonly apps = new Map<number, SimApp>();
  readonly installations = new Map<number, SimInstallation>();
  readonly tokens = new Map<string, InstallationToken>();
  tokenLifetimeMs = 3_600_000;
  private ids = { app: 0, installation: 0 };

  constructor() {
    this.reset();
  }

  reset(): void {
    this.apps.clear();
    this.installations.clear();
    this.tokens.clear();
    this.tokenLifetimeMs = 3_600_000;
    this.ids = { app: 1_000_000, installation: 50_000_000 };
  }

  register(name?: string): { app: SimApp; privateKeyPem: string } {
    const id = ++this.ids.app;
    const appName = name ?? `Sim App ${id}`;
    const slug =
      appName
        .toLowerCase()
        .replace(/[^a-z0-9]+/g, '-')
        .replace(/^-|-$/g, '') || `sim-app-${id}`;
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const app: SimApp = {
      id,
      slug,
      name: appName,
      clientId: `Iv23${randomBytes(8).toString('hex')}`,
      publicKey: createPublicKey(privateKey),
      bot: { login: `${slug}[bot]`, id: 41_000_000 + id },
    };
    this.apps.set(id, app);
    return { app, privateKeyPem: privateKey.export({ type: 'pkcs1', format: 'pem' }).toString() };
  }

  install(app: SimApp, account: string, repoNames: string[], permissions: Record<string, 'read' | 'write'> = { ...DEFAULT_PERMISSIONS }): SimInstallation {
    const installation: SimInstallation = {
      id: ++this.ids.installation,
      appId: app.id,
      account,
      repos: new Set(repoNames.map((name) => repoKey(account, name))),
      permissions,
      createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    };
    this.installations.set(installation.id, installation);
    return installation;
  }

  installationFor(appId: number, owner: string, repo: string): SimInstallation | undefined {
    const key = repoKey(owner, repo);
    return [...this.installations.values()].find((i) => i.appId === appId && i.repos.has(key));
  }

  mint(installation: SimInstallation, repos: Set<string>, permissions: Record<string, 'read' | 'write'>): { token: string; record: InstallationToken } {
    // GitHub's shape: ghs_ and 36 alphanumerics (log masking recognises tokens by it).
    const token = `ghs_${randomBytes(27).toString('base64url').replace(/[-_]/g, 'x')}`;
    const record: InstallationToken = { installationId: installation.id, repos, permissions, expiresAtMs: Date.now() + this.tokenLifetimeMs };
    this.tokens.set(token, record);
    return { token, record };
  }

  /** An installation token still valid now (not expired, not revoked: revoked ones are deleted). */
  liveToken(token: string, now = Date.now()): InstallationToken | undefined {
    const record = this.tokens.get(token);
    return record && record.expiresAtMs > now ? record : undefined;
  }

  /** Verifies an RS256 app JWT as GitHub does: signature by the app's key, `iss` = app id or client id, `iat`/`exp` in bounds. */
  verifyJwt(jwt: string, nowS = Math.floor(Date.now() / 1000)): JwtVerdict {
    const refuse = (message: string): JwtVerdict => ({ ok: false, message });
    const parts = jwt.split('.');
    if (parts.length !== 3) return refuse(JWT_MESSAGES.undecodable);
    const [headerPart = '', payloadPart = '', signaturePart = ''] = parts;
    const header = decodeJson(headerPart) as { alg?: unknown } | undefined;
    const payload = decodeJson(payloadPart) as { iss?: unknown; iat?: unknown; exp?: unknown } | undefined;
    if (header?.alg !== 'RS256' || !payload || typeof payload !== 'object') return refuse(JWT_MESSAGES.undecodable);
    const app = [...this.apps.values()].find((a) => String(payload.iss) === String(a.id) || payload.iss === a.clientId);
    if (!app) return refuse(JWT_MESSAGES.undecodable);
    const signed = verify('RSA-SHA256', Buffer.from(`${headerPart}.${payloadPart}`), app.publicKey, Buffer.from(signaturePart, 'base64url'));
    if (!signed) return refuse(JWT_MESSAGES.undecodable);
    if (!Number.isInteger(payload.iat) || (payload.iat as number) > nowS + IAT_SKEW_S) return refuse(JWT_MESSAGES.issuedAt);
    if (typeof payload.exp !== 'number' || payload.exp <= nowS) return refuse(JWT_MESSAGES.expired);
    if (payload.exp > nowS + MAX_JWT_LIFETIME_S) return refuse(JWT_MESSAGES.tooFar);
    return { ok: true, app };
  }
}
