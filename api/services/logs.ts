// A deployment's build log for its viewers: who may read it (a bearer token, or a single-use
// ticket for browsers, which cannot set headers on a WebSocket), the log so far as text, and a
// live session over a WebSocket. A deployment of another workspace is "not found".
import type { WebSocket } from 'ws';
import type { Db } from '../../lib/db.js';
import { notFound } from '../errors.js';
import type { DeploymentEventHub } from '../logs/event-hub.js';
import { readLogFrom } from '../logs/log-reader.js';
import { LogSession, type LogSessionOptions } from '../logs/log-session.js';
import { principalFromBearer, type Principal } from '../middleware/auth.js';
import { createLogTicketService } from './log-tickets.js';

/** The most log chunks one plain-text answer holds. */
const TEXT_CHUNKS = 100_000;

export function createLogService({ db, hub, session }: { db: Db; hub: DeploymentEventHub; session?: LogSessionOptions }) {
  const tickets = createLogTicketService(db);
  async function ensureVisible(workspaceId: string, deploymentId: string) {
    if (!(await db.deployment.findFirst({ where: { id: deploymentId, workspaceId }, select: { id: true } }))) throw notFound('Deployment');
  }
  return {
    async issueTicket(principal: Principal, deploymentId: string) {
      await ensureVisible(principal.workspaceId, deploymentId);
      return tickets.issue(principal, deploymentId);
    },

    /** The viewer: the Authorization header's principal when one is sent (or no ticket is), else the ticket's. */
    async authorizeViewer(
      deploymentId: string,
      { authorization, ticket }: { authorization: string | undefined; ticket: string | undefined },
    ): Promise<Principal> {
      const principal = authorization || !ticket ? await principalFromBearer(db, authorization) : await tickets.redeem(ticket, deploymentId);
      await ensureVisible(principal.workspaceId, deploymentId);
      return principal;
    },

    /** The stored log from `offset` on, as one text. */
    async textFrom(deploymentId: string, offset: number): Promise<string> {
      const pieces = await readLogFrom(db, deploymentId, offset, TEXT_CHUNKS);
      return pieces.map((p) => p.text).join('');
    },

    /** A live session on an open WebSocket; the caller starts and stops it. */
    session(socket: WebSocket, deploymentId: string, offset: number): LogSession {
      return new LogSession(socket, db, hub, deploymentId, offset, session);
    },
  };
}

export type LogService = ReturnType<typeof createLogService>;
