// The users the caller's workspace may create projects for (lib/workspace-users.ts), with the
// library's errors mapped onto the API's one error shape.
import type { Db } from '../../lib/db.js';
import { addWorkspaceUsers, listWorkspaceUsers, removeWorkspaceUsers } from '../../lib/workspace-users.js';
import { mapErrors } from '../errors.js';

export function createWorkspaceUserService(db: Db) {
  return {
    async list(workspaceId: string) {
      return { items: await mapErrors(() => listWorkspaceUsers(db, workspaceId)) };
    },
    /** Idempotent: `added` tells a new member (201) from one that was already there (200). */
    async add(workspaceId: string, userId: string) {
      const [user] = await mapErrors(() => addWorkspaceUsers(db, workspaceId, [userId]));
      return user!;
    },
    async remove(workspaceId: string, userId: string) {
      await mapErrors(() => removeWorkspaceUsers(db, workspaceId, [userId]));
    },
  };
}

export type WorkspaceUserService = ReturnType<typeof createWorkspaceUserService>;
