// Jenkins security as a client sees it: HTTP Basic with an API token (no CSRF crumb needed),
// or with a password (POSTs then need the crumb from /crumbIssuer/api/json, sent as the
// `Jenkins-Crumb` header together with the JSESSIONID cookie of the session that issued it).
// Bad credentials: 401. Anonymous: 403 unless anonymous read is on (GET only).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Context, MiddlewareHandler } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import type { JenkinsUser } from './options.js';

export interface AuthState {
  user?: JenkinsUser;
  via: 'token' | 'password' | 'anonymous';
}

export type JenkinsEnv = { Variables: { auth: AuthState } };

export const CRUMB_FIELD = 'Jenkins-Crumb';

export class JenkinsAuth {
  /** JSESSIONID.<node hash>, like Jetty in Jenkins. */
  readonly cookieName = `JSESSIONID.${randomBytes(4).toString('hex')}`;
  private readonly salt = randomBytes(16).toString('hex');
  private readonly sessions = new Map<string, string>(); // session id -> user name

  constructor(
    private readonly users: JenkinsUser[],
    private readonly anonymousRead: boolean,
  ) {}

  middleware(controlPrefix = '/_sim'): MiddlewareHandler<JenkinsEnv> {
    const authenticate: MiddlewareHandler<JenkinsEnv> = async (c, next) => {
      if (c.req.path.startsWith(controlPrefix)) return next();
      const write = c.req.method !== 'GET' && c.req.method !== 'HEAD';
      const credentials = parseBasic(c.req.header('authorization'));
      if (!credentials) {
        if (this.anonymousRead && !write) {
          c.set('auth', { via: 'anonymous' });
          return next();
        }
        return forbiddenAnonymous(c);
      }
      const user = this.users.find((u) => u.name === credentials.user);
      const via =
        user && same(credentials.secret, user.apiToken)
          ? 'token'
          : user?.password !== undefined && same(credentials.secret, user.password)
            ? 'password'
            : undefined;
      if (!user || !via) {
        return c.html(errorPage(401, `Invalid password/token for user: ${credentials.user}`), 401);
      }
      if (write && user.readOnly) {
        return c.html(errorPage(403, `${user.name} is missing the Job/Build permission`), 403);
      }
      if (write && via === 'password' && !this.validCrumb(c, user)) {
        return c.html(errorPage(403, 'No valid crumb was included in the request'), 403);
      }
      c.set('auth', { user, via });
      return next();
    };
    return authenticate;
  }

  /** GET /crumbIssuer/api/json: a crumb bound to a (new or current) HTTP session. */
  issueCrumb(c: Context<JenkinsEnv>): { _class: string; crumb: string; crumbRequestField: string } {
    const userName = c.get('auth').user?.name ?? 'anonymous';
    let session = getCookie(c, this.cookieName);
    if (!session || this.sessions.get(session) !== userName) {
      session = `node0${randomBytes(12).toString('hex')}.node0`;
      this.sessions.set(session, userName);
      setCookie(c, this.cookieName, session, { path: '/', httpOnly: true });
    }
    return { _class: 'hudson.security.csrf.DefaultCrumbIssuer', crumb: this.crumbFor(session, userName), crumbRequestField: CRUMB_FIELD };
  }

  private crumbFor(session: string, userName: string): string {
    return createHash('sha256').update(`${userName};${session};${this.salt}`).digest('hex');
  }

  private validCrumb(c: Context, user: JenkinsUser): boolean {
    const crumb = c.req.header(CRUMB_FIELD);
    const session = getCookie(c, this.cookieName);
    if (!crumb || !session || this.sessions.get(session) !== user.name) return false;
    return same(crumb, this.crumbFor(session, user.name));
  }
}

function parseBasic(header: string | undefined): { user: string; secret: string } | undefined {
  const m = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header ?? '');
  if (!m) return undefined;
  const decoded = Buffer.from(m[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return undefined;
  return { user: decoded.slice(0, colon), secret: decoded.slice(colon + 1) };
}

function same(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

function forbiddenAnonymous(c: Context): Response {
  c.header('X-You-Are-Authenticated-As', 'anonymous');
  c.header('X-You-Are-In-Group-Disabled', 'JENKINS-39402: use -Dhudson.security.AccessDeniedException2.REPORT_GROUP_HEADERS=true or use /whoAmI to diagnose');
  c.header('X-Required-Permission', 'hudson.model.Hudson.Read');
  c.header('X-Permission-Implied-By', 'hudson.model.Hudson.Administer');
  return c.html(errorPage(403, 'Authentication required'), 403);
}

export function errorPage(status: number, message: string): string {
  const escaped = message.replace(/[&<>"]/g, (ch) => `&#${ch.charCodeAt(0)};`);
  return `<html><head><title>Error ${status} ${escaped}</title></head><body><h2>HTTP ERROR ${status} ${escaped}</h2></body></html>`;
}
