// GET /: the web page (plain HTML, one ES module, one stylesheet; no build step). The files are
// read once, when the routes are built. The page talks to /v1 with the token the user types in.
import { readFileSync } from 'node:fs';
import { Hono } from 'hono';

/** Only this origin's files and WebSockets; no inline script or style, never framed. */
export const PAGE_CSP = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'";

const publicFile = (name: string) => readFileSync(new URL(`../public/${name}`, import.meta.url), 'utf8');

export function pageRoutes(): Hono {
  const html = publicFile('index.html');
  const script = publicFile('app.js');
  const styles = publicFile('styles.css');
  const common = { 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'referrer-policy': 'no-referrer' };
  return new Hono()
    .get('/', (c) =>
      c.body(html, 200, { ...common, 'content-type': 'text/html; charset=utf-8', 'content-security-policy': PAGE_CSP, 'x-frame-options': 'DENY' }),
    )
    .get('/assets/app.js', (c) => c.body(script, 200, { ...common, 'content-type': 'text/javascript; charset=utf-8' }))
    .get('/assets/styles.css', (c) => c.body(styles, 200, { ...common, 'content-type': 'text/css; charset=utf-8' }));
}
