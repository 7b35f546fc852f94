// GET /v1/deployments/:deploymentId/logs: a WebSocket (live log, steps, status, end) when the
// request is an upgrade, else the log so far as text/plain. Authenticated by the Bearer header,
// or by a single-use ticket (?ticket=) for browsers. POST .../log-tickets issues a ticket.
import { Hono } from 'hono';
import type { UpgradeWebSocket } from 'hono/ws';
import type { WebSocket } from 'ws';
import type { Db } from '../../lib/db.js';
import { bearerAuth, principalFromBearer } from '../middleware/auth.js';
import { notFound } from '../errors.js';
import { idParamSchema, logQuerySchema } from '../schemas.js';
import { parseOr400 } from '../validate.js';
import { LogSession, type LogSessionOptions } from '../logs/log-session.js';
import { readLogFrom } from '../logs/log-reader.js';
import type { DeploymentEventHub } from '../logs/event-hub.js';
import type { LogTicketService } from '../services/log-tickets.js';


export interface LogRoutesDeps {
  db: Db;
  hub: DeploymentEventHub;
  tickets: LogTicketService;
  upgradeWebSocket: UpgradeWebSocket<WebSocket>;
  session?: LogSessionOptions;
}

export function logRoutes({ db, hub, tickets, upgradeWebSocket, session: sessionOptions }: LogRoutesDeps) {
  const app = new Hono();

  app.post('/deployments/:deploymentId/log-tickets', bearerAuth(db), async (c) => {
    const id = parseOr400(idParamSchema, c.req.param('deploymentId'), 'deployment id');
    const principal = c.get('principal');
    if (!(await db.deployment.findFirst({ where: { id, workspaceId: principal.workspaceId }, select: { id: true } }))) throw notFound('Deployment');
    return c.json(await tickets.issue(principal, id), 201);
  });

  app.get(
    '/deployments/:deploymentId/logs',
    async function authorizeViewer(c, next) {
      const id = parseOr400(idParamSchema, c.req.param('deploymentId'), 'deployment id');
      const query = parseOr400(logQuerySchema, c.req.query(), 'query');
      const principal = c.req.header('authorization') || !query.ticket ? await principalFromBearer(db, c.req.header('authorization')) : await tickets.redeem(query.ticket, id);
      if (!(await db.deployment.findFirst({ where: { id, workspaceId: principal.workspaceId }, select: { id: true } }))) throw notFound('Deployment');
      c.set('principal', principal);
      if (c.req.header('upgrade')?.toLowerCase() !== 'websocket') {
        const pieces = await readLogFrom(db, id, query.offset, 100_000);
        return c.text(pieces.map((p) => p.text).join(''), 200, { 'content-type': 'text/plain; charset=utf-8' });
      }
      await next();
    },
    upgradeWebSocket((c) => {
      const id = c.req.param('deploymentId')!;
      const offset = Number(c.req.query('offset') ?? 0);
      let session: LogSession | undefined;
      return {
        onOpen(_event, ws) {
          session = new LogSession(ws.raw!, db, hub, id, offset, sessionOptions);
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
