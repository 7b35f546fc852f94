// What the ingress simulator answers in place of the app: there is no app process (the Argo CD
// simulator and the real cluster's kwok node run none), so it names the release Argo CD reports.
import type { Route } from './routes.js';

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

export function appPage(route: Route): string {
  const images = route.images.length > 0 ? route.images.map((i) => `<li><code>${escape(i)}</code></li>`).join('') : '<li>(Argo CD reports no image)</li>';
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>${escape(route.app)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;margin:3rem auto;max-width:46rem;padding:0 1rem;color:#1f2328}code{background:#f3f4f6;padding:.1rem .3rem;border-radius:4px;word-break:break-all}dt{font-weight:600;margin-top:.8rem}</style>
</head>
<body>
<h1 id="app">${escape(route.app)}</h1>
<p>Served by the deploy-engine ingress simulator for <code>${escape(route.host)}</code>, from the release Argo CD reports live.</p>
<dl>
<dt>Image</dt><dd><ul id="images">${images}</ul></dd>
<dt>GitOps revision</dt><dd><code id="revision">${escape(route.revision ?? '(none)')}</code></dd>
<dt>Argo CD</dt><dd id="status">${escape(route.sync)}, ${escape(route.health)}</dd>
<dt>External URL</dt><dd><code>${escape(route.url)}</code></dd>
</dl>
</body>
</html>
`;
}
