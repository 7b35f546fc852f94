// Answers of /v1/workspace/users (api/routes/workspace-users.ts).
import { z } from 'zod';

const time = z.iso.datetime();

export const workspaceUserSchema = z
  .object({
    userId: z.string().meta({ description: 'A user the workspace may create projects for' }),
    addedAt: time,
  })
  .strict()
  .meta({ id: 'WorkspaceUser' });

export const addedWorkspaceUserSchema = z
  .object({ userId: z.string(), addedAt: time, added: z.boolean().meta({ description: 'false when the user was already a member (the answer is then 200)' }) })
  .strict()
  .meta({ id: 'AddedWorkspaceUser' });

export const workspaceUserListSchema = z.object({ items: z.array(workspaceUserSchema) }).strict();
