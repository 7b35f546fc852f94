// createApp(deps): the whole HTTP API (tests call app.request() without a socket; WebSocket
// routes need a real server, wired with app.injectWebSocket(server)).
import { Hono } from 'hono';
import { createNodeWebSocket } from '@hono/node-ws';
import type { UpgradeWebSocket } from 'hono/ws';
import type { WebSocket } from 'ws';
import type { Logger } from '../lib/logger.js';
import { handleError, errorBody } from './errors.js';
import { healthRoutes } from './routes/health.js';
import { corsAllowList, securityHeaders } from './middleware/security.js';
import { pageRoutes } from './routes/page.js';
import type { HealthService } from './services/health.js';
import type { OpenApiDocument } from './openapi/index.js';

export interface AppTools {
  upgradeWebSocket: UpgradeWebSocket<WebSocket>;
}

export interface AppDeps {
  logger: Logger;
  health: HealthService;
  /** Builds the authenticated /v1 routes. */
  v1?: (tools: AppTools) => Hono;
  /** Browser origins allowed to call the API. */
  corsOrigins?: readonly string[];
  /** Served at /openapi.json. */
  openapi?: OpenApiDocument;
}

export type WebApp = Hono & { injectWebSocket: ReturnType<typeof createNodeWebSocket>['injectWebSocket'] };

export function createApp({ logger, health, v1, corsOrigins = [], openapi }: AppDeps): WebApp {
  const app = new Hono();
  const nodeWs = createNodeWebSocket({ app });
  app.use('*', async function logRequest(c, next) {
    const started = performance.now();
    await next();
    // The path only: no query (it may carry a log ticket) and no headers (they carry tokens).
    logger.info('request', { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(performance.now() - started) });
  });
  app.use('*', securityHeaders());
  // Before the routes: a CORS preflight carries no token.
  app.use('*', corsAllowList(corsOrigins));
  app.onError(handleError(logger));
  app.notFound((c) => {
    // A path the API has, with a method it does not take: 405 and the methods it does take.
    const allowed = allowedMethods(app, c.req.path);
    if (allowed.length)
      return c.json(errorBody('method_not_allowed', `${c.req.method} is not allowed on ${c.req.path}: use ${allowed.join(', ')}`), 405, {
        Allow: allowed.join(', '),
      });
    return c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404);
  });
  app.route('/', healthRoutes(health));
  app.route('/', pageRoutes());
  if (openapi) app.get('/openapi.json', (c) => c.json(openapi));
  if (v1) app.route('/v1', v1({ upgradeWebSocket: nodeWs.upgradeWebSocket as UpgradeWebSocket<WebSocket> }));
  return Object.assign(app, { injectWebSocket: (server: Parameters<WebApp['injectWebSocket']>[0]) => nodeWs.injectWebSocket(server) });
}

/** The methods with a route for `path` (a CORS preflight's OPTIONS is answered before this). */
function allowedMethods(app: Hono, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method === 'ALL') continue;
    const pattern = new RegExp(`^${route.path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&').replace(/:\w+/g, '[^/]+')}$`);
    if (pattern.test(path)) methods.add(route.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
