// The users a workspace may act for (scripts/tokens.ts `users ...` and /v1/workspace/users).
// A userId is the platform's id of a person, the same in every workspace, and the default
// namespace `user-<userId>` is shared by that person's apps from every workspace: so a workspace
// may create projects only for the users the platform has listed for it, never for a userId it
// merely names in a request body.
import { z } from 'zod';
import { lockForTransaction, type Db, type Tx } from './db.js';
import { TokenAdminError, validateInput, workspaceIdSchema } from './token-admin.js';
import { userIdSchema } from './ids.js';

export { userIdSchema };

/** The lock project creation holds while it checks membership and claims names (api/services/name-claims.ts). */
export const PROJECT_NAMES_LOCK = 'project-names';

export const userIdListSchema = z.array(userIdSchema).min(1, 'at least one user is required').max(100, 'at most 100 users at once');

export interface WorkspaceUserView {
  userId: string;
  addedAt: Date;
}

export interface AddedWorkspaceUser extends WorkspaceUserView {
  /** False when the user was already a member (adding is idempotent). */
  added: boolean;
}

async function requireWorkspace(db: Db | Tx, workspaceId: string): Promise<void> {
  const workspace = await db.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } });
  if (!workspace) throw new TokenAdminError('not_found', `Workspace ${workspaceId} not found`);
}

/** The workspace's users, in userId order. */
export async function listWorkspaceUsers(db: Db, workspaceId: string): Promise<WorkspaceUserView[]> {
  const wsId = validateInput(workspaceIdSchema, workspaceId, 'workspace id');
  await requireWorkspace(db, wsId);
  return db.workspaceUser.findMany({ where: { workspaceId: wsId }, orderBy: { userId: 'asc' }, select: { userId: true, addedAt: true } });
}

/** Adds users to the workspace; users already in it keep their first `addedAt`. */
export async function addWorkspaceUsers(db: Db, workspaceId: string, userIds: readonly string[]): Promise<AddedWorkspaceUser[]> {
  const wsId = validateInput(workspaceIdSchema, workspaceId, 'workspace id');
  const ids = [...new Set(validateInput(userIdListSchema, userIds, 'user id'))];
  return db.$transaction(async (tx) => {
    await requireWorkspace(tx, wsId);
    const before = new Set(
      (await tx.workspaceUser.findMany({ where: { workspaceId: wsId, userId: { in: ids } }, select: { userId: true } })).map((row) => row.userId),
    );
    await tx.workspaceUser.createMany({ data: ids.map((userId) => ({ workspaceId: wsId, userId })), skipDuplicates: true });
    const rows = await tx.workspaceUser.findMany({ where: { workspaceId: wsId, userId: { in: ids } }, select: { userId: true, addedAt: true } });
    const byId = new Map(rows.map((row) => [row.userId, row]));
    return ids.map((userId) => ({ ...byId.get(userId)!, added: !before.has(userId) }));
  });
}

/**
 * Removes users from the workspace, all or none. Refused (conflict) while a user still owns a
 * project of this workspace that is not deleted: those projects would be left without a user the
 * workspace may act for. Holds the project-creation lock, so no project for them appears meanwhile.
 */
export async function removeWorkspaceUsers(db: Db, workspaceId: string, userIds: readonly string[]): Promise<void> {
  const wsId = validateInput(workspaceIdSchema, workspaceId, 'workspace id');
  const ids = [...new Set(validateInput(userIdListSchema, userIds, 'user id'))];
  await db.$transaction(async (tx) => {
    await lockForTransaction(tx, PROJECT_NAMES_LOCK);
    await requireWorkspace(tx, wsId);
    const members = new Set(
      (await tx.workspaceUser.findMany({ where: { workspaceId: wsId, userId: { in: ids } }, select: { userId: true } })).map((row) => row.userId),
    );
    const missing = ids.filter((id) => !members.has(id));
    if (missing.length)
      throw new TokenAdminError(
        'not_found',
        `${plural(missing, 'User')} ${missing.join(', ')} ${missing.length > 1 ? 'are not members' : 'is not a member'} of workspace ${wsId}`,
      );
    const owners = await tx.project.groupBy({
      by: ['userId'],
      where: { workspaceId: wsId, userId: { in: ids }, deletedAt: null },
      _count: { _all: true },
      orderBy: { userId: 'asc' },
    });
    if (owners.length) {
      const list = owners.map((o) => `${o.userId} (${o._count._all} project${o._count._all > 1 ? 's' : ''})`).join(', ');
      throw new TokenAdminError(
        'conflict',
        `Cannot remove ${list} from workspace ${wsId}: ${owners.length > 1 ? 'they still own' : 'the user still owns'} live projects in it; delete those projects first (DELETE /v1/projects/:projectId)`,
      );
    }
    await tx.workspaceUser.deleteMany({ where: { workspaceId: wsId, userId: { in: ids } } });
  });
}

const plural = (items: unknown[], word: string) => (items.length > 1 ? `${word}s` : word);

/** Why project creation refuses a userId: the message names the rule and both ways to fix it. */
export class UserNotInWorkspaceError extends Error {
  override readonly name = 'UserNotInWorkspaceError';
  constructor(
    readonly workspaceId: string,
    readonly userId: string,
  ) {
    super(
      `user ${userId} is not a member of workspace ${workspaceId}: add it with PUT /v1/workspace/users/${userId} or \`scripts/tokens.ts users add --workspace ${workspaceId} --user ${userId}\``,
    );
  }
}

/** Inside project creation's transaction (after the lock): fails unless the workspace may act for the user. */
export async function assertWorkspaceUser(tx: Tx, workspaceId: string, userId: string): Promise<void> {
  const member = await tx.workspaceUser.findUnique({ where: { workspaceId_userId: { workspaceId, userId } }, select: { userId: true } });
  if (!member) throw new UserNotInWorkspaceError(workspaceId, userId);
}
