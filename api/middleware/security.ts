// Response hardening for the API and the page: security headers on every answer (errors and 404s
// included), and CORS for an exact allow-list of origins.
import { createMiddleware } from 'hono/factory';

export interface SecurityHeadersOptions {
  /**
   * Also treat `X-Forwarded-Proto: https` as an https request (only behind a proxy you trust
   * to set it). Default false: only the request URL's own scheme counts.
   */
  trustForwardedProto?: boolean;
  /** Strict-Transport-Security max-age in seconds (default one year). */
  hstsMaxAgeSeconds?: number;
}

/** Denies the powerful features; the page needs none of them. */
export const PERMISSIONS_POLICY = 'camera=(), microphone=(), geolocation=(), payment=(), usb=(), browsing-topics=()';

/**
 * X-Content-Type-Options, X-Frame-Options, Referrer-Policy, Cross-Origin-Opener-Policy and
 * Permissions-Policy on every response; Strict-Transport-Security only on https requests. No
 * Content-Security-Policy: JSON needs none and the page sets its own. A header a route already
 * set is left alone.
 */
export function securityHeaders({ trustForwardedProto = false, hstsMaxAgeSeconds = 31_536_000 }: SecurityHeadersOptions = {}) {
  const always: [string, string][] = [
    ['X-Content-Type-Options', 'nosniff'],
    ['X-Frame-Options', 'DENY'],
    ['Referrer-Policy', 'no-referrer'],
    ['Cross-Origin-Opener-Policy', 'same-origin'],
    ['Permissions-Policy', PERMISSIONS_POLICY],
  ];
  const hsts = `max-age=${Math.floor(hstsMaxAgeSeconds)}; includeSubDomains`;
  return createMiddleware(async function secure(c, next) {
    await next();
    const headers = c.res.headers;
    for (const [name, value] of always) if (!headers.has(name)) headers.set(name, value);
    const https =
      new URL(c.req.url).protocol === 'https:' || (trustForwardedProto && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase() === 'https');
    if (https && !headers.has('Strict-Transport-Security')) headers.set('Strict-Transport-Security', hsts);
  });
}

export const CORS_ALLOWED_METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;
export const CORS_ALLOWED_HEADERS = ['authorization', 'content-type'] as const;
/** Headers a cross-origin page may read (Retry-After on a 429). */
export const CORS_EXPOSED_HEADERS = ['retry-after'] as const;
const PREFLIGHT_MAX_AGE_SECONDS = 600;

/**
 * The origins must be exact (`https://console.example.com`, `http://localhost:5173`): a scheme,
 * a host and an optional port, no path, no trailing slash, no wildcard. Throws on anything else,
 * so a wrong configuration stops the process instead of silently allowing nothing (or too much).
 */
export function normalizeOrigins(origins: readonly string[]): string[] {
  return origins.map((origin) => {
    let url: URL | undefined;
    try {
      url = new URL(origin);
    } catch {
      url = undefined;
    }
    if (!url || origin.includes('*') || (url.protocol !== 'http:' && url.protocol !== 'https:') || url.origin !== origin) {
      throw new Error(
        `CORS origin "${origin}" must be an exact origin such as https://console.example.com (scheme, host and optional port; no path, no trailing slash, no wildcard)`,
      );
    }
    return origin;
  });
}

/**
 * CORS for an exact allow-list. An allowed origin gets Access-Control-Allow-Origin (its own value,
 * never `*`, no credentials: the API uses bearer tokens, not cookies); its preflight (OPTIONS with
 * Access-Control-Request-Method) is answered 204 with the allowed methods and the headers
 * `authorization, content-type`. Any other origin gets no CORS header at all (a disallowed
 * preflight is still answered 204, without them, so the browser refuses). Every response carries
 * `Vary: Origin`. Mount it before authentication: preflights carry no token.
 */
export function corsAllowList(origins: readonly string[]) {
  const allowed = new Set(normalizeOrigins(origins));
  return createMiddleware(async function cors(c, next) {
    const origin = c.req.header('origin');
    const isAllowed = origin !== undefined && allowed.has(origin);
    const isPreflight = c.req.method === 'OPTIONS' && origin !== undefined && c.req.header('access-control-request-method') !== undefined;
    if (isPreflight) {
      const headers: Record<string, string> = { Vary: 'Origin' };
      if (isAllowed) {
        headers['Access-Control-Allow-Origin'] = origin;
        headers['Access-Control-Allow-Methods'] = CORS_ALLOWED_METHODS.join(', ');
        headers['Access-Control-Allow-Headers'] = CORS_ALLOWED_HEADERS.join(', ');
        headers['Access-Control-Max-Age'] = String(PREFLIGHT_MAX_AGE_SECONDS);
      }
      return c.body(null, 204, headers);
    }
    await next();
    appendVary(c.res.headers, 'Origin');
    if (isAllowed) {
      c.res.headers.set('Access-Control-Allow-Origin', origin);
      c.res.headers.set('Access-Control-Expose-Headers', CORS_EXPOSED_HEADERS.join(', '));
    } else {
      // Never let a route's own CORS header through for an origin that is not on the list.
      c.res.headers.delete('Access-Control-Allow-Origin');
    }
  });
}

function appendVary(headers: Headers, name: string): void {
  const current = headers.get('Vary');
  if (!current) return headers.set('Vary', name);
  const names = current.split(',').map((v) => v.trim().toLowerCase());
  if (names.includes('*') || names.includes(name.toLowerCase())) return;
  headers.set('Vary', `${current}, ${name}`);
}
