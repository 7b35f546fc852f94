// The dev stack's token: an admin token of the dev workspace, created (or re-created) at start,
// and the users that workspace may create projects for (DEV_WORKSPACE_USERS), added at start.
import type { Db } from '../../lib/db.js';
import { hashToken, tokenDisplayPrefix } from '../../lib/tokens.js';

export async function ensureDevToken(db: Db, workspaceId: string, token: string, users: readonly string[] = []): Promise<void> {
  await db.workspace.upsert({ where: { id: workspaceId }, create: { id: workspaceId, name: 'Development' }, update: {} });
  if (users.length) await db.workspaceUser.createMany({ data: users.map((userId) => ({ workspaceId, userId })), skipDuplicates: true });
  const tokenHash = hashToken(token);
  await db.apiToken.upsert({
    where: { tokenHash },
    create: { workspaceId, name: 'dev-stack', role: 'admin', tokenHash, prefix: tokenDisplayPrefix(token) },
    update: { revokedAt: null, workspaceId, role: 'admin' },
  });
}
