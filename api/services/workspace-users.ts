// The users the caller's workspace may create projects for (lib/workspace-users.ts), with the
// library's errors mapped onto the API's one error shape.
import type { Db } from '../../lib/db.js';
import { TokenAdminError } from '../../lib/token-admin.js';
import { addWorkspaceUsers, listWorkspaceUsers, removeWorkspaceUsers } from '../../lib/workspace-users.js';
import { ApiError } from '../errors.js';

async function mapErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TokenAdminError) {
      const status = error.code === 'not_found' ? 404 : error.code === 'conflict' ? 409 : 400;
      const code = error.code === 'invalid_input' ? 'invalid_request' : error.code;
      throw new ApiError(status, code, error.message, error.issues.length ? error.issues : undefined);
    }
    throw error;
  }
}

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
