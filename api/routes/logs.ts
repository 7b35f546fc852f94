// GET /v1/deployments/:deploymentId/logs: a WebSocket (live log, steps, status, end) when the
// request is an upgrade, else the log so far as text/plain. Authenticated by the Bearer header,
// or by a single-use ticket (?ticket=) for browsers. POST .../log-tickets issues a ticket.
import { Hono, type MiddlewareHandler } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import type { WebSocket } from 'ws';
import { idParamSchema, logQuerySchema } from '../schemas.js';
import { paramInput, queryInput } from '../validate.js';
import type { LogSession } from '../logs/log-session.js';
import type { LogService } from '../services/logs.js';

export interface LogRoutesDeps {
  logs: LogService;
  /** Bearer-token authentication (these routes are mounted before the /v1 one). */
  bearerAuth: MiddlewareHandler;
  upgradeWebSocket: UpgradeWebSocket<WebSocket>;
}

export function logRoutes({ logs, bearerAuth, upgradeWebSocket }: LogRoutesDeps) {
  const app = new Hono();
  const deploymentId = paramInput('deploymentId', idParamSchema, 'deployment id');

  app.post('/deployments/:deploymentId/log-tickets', bearerAuth, deploymentId, async (c) => {
    return c.json(await logs.issueTicket(c.get('principal'), c.req.valid('param').deploymentId), 201);
  });

  app.get(
    '/deployments/:deploymentId/logs',
    deploymentId,
    queryInput(logQuerySchema),
    async function authorizeViewer(c, next) {
      const id = c.req.valid('param').deploymentId;
      const query = c.req.valid('query');
      c.set('principal', await logs.authorizeViewer(id, { authorization: c.req.header('authorization'), ticket: query.ticket }));
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        return c.text(await logs.textFrom(id, query.offset), 200, { 'content-type': 'text/plain; charset=utf-8' });
      }
      await next();
    },
    upgradeWebSocket((c) => {
      const id = c.req.param('deploymentId')!;
      const offset = Number(c.req.query('offset') ?? 0);
      let session: LogSession | undefined;
      return {
        onOpen(_event, ws) {
          session = logs.session(ws.raw!, id, offset);
          void session.start();
        },
        onClose() {
          session?.stop();
        },
      };
    }),
  );
  return app;
}
