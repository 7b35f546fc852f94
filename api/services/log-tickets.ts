// Browsers cannot set headers on a WebSocket. Instead of the long-lived API token in a URL they
// get a ticket: random, valid for one minute, usable once, bound to one deployment and to the
// token's workspace. Only its hash is stored (in PostgreSQL, so any API replica can redeem it).
import { createHash, randomBytes } from 'node:crypto';
import type { Db } from '../../lib/db.js';
import { ApiError } from '../errors.js';
import { isTokenUsable, type Principal } from '../middleware/auth.js';

const TTL_MS = 60_000;
const hash = (ticket: string) => createHash('sha256').update(ticket).digest('hex');

export function createLogTicketService(db: Db) {
  return {
    async issue(principal: Principal, deploymentId: string) {
      const ticket = `lt_${randomBytes(24).toString('base64url')}`;
      const expiresAt = new Date(Date.now() + TTL_MS);
      await db.logTicket.create({
        data: { ticketHash: hash(ticket), tokenId: principal.tokenId, workspaceId: principal.workspaceId, deploymentId, expiresAt },
      });
      // Expired tickets are useless: clear them out as new ones are made.
      await db.logTicket.deleteMany({ where: { expiresAt: { lt: new Date(Date.now() - TTL_MS) } } });
      return { ticket, expiresAt };
    },

    /** Marks the ticket used and returns whom it was issued to; 401 if unknown, used or expired. */
    async redeem(ticket: string, deploymentId: string): Promise<Principal> {
      const now = new Date();
      const { count } = await db.logTicket.updateMany({
        where: { ticketHash: hash(ticket), deploymentId, usedAt: null, expiresAt: { gt: now } },
        data: { usedAt: now },
      });
      if (count !== 1) throw new ApiError(401, 'unauthorized', 'Invalid, expired or already used log ticket');
      const row = await db.logTicket.findUniqueOrThrow({ where: { ticketHash: hash(ticket) } });
      const token = await db.apiToken.findUnique({ where: { id: row.tokenId } });
      if (!token || !isTokenUsable(token, now)) throw new ApiError(401, 'unauthorized', 'The token behind this ticket is no longer valid');
      return { tokenId: token.id, workspaceId: row.workspaceId, role: token.role, name: token.name };
    },
  };
}

export type LogTicketService = ReturnType<typeof createLogTicketService>;
