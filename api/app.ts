// createApp(deps): the whole HTTP API, without a socket (tests call app.request()).
import { Hono } from 'hono';
import type { Logger } from '../lib/logger.js';
import { handleError, errorBody } from './errors.js';
import { healthRoutes } from './routes/health.js';
import type { HealthService } from './services/health.js';

export interface AppDeps {
  logger: Logger;
  health: HealthService;
  /** Mounts the authenticated /v1 routes (added by the deploy capability). */
  v1?: Hono;
}

export function createApp({ logger, health, v1 }: AppDeps): Hono {
  const app = new Hono();
  app.onError(handleError(logger));
  app.notFound((c) => c.json(errorBody('not_found', `No route for ${c.req.method} ${c.req.path}`), 404));
  app.route('/', healthRoutes(health));
  if (v1) app.route('/v1', v1);
  return app;
}
