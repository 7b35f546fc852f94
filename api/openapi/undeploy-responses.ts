// The answer of DELETE /v1/projects/{projectId} and GET /v1/projects/{projectId}/undeploy.
import { z } from 'zod';

const time = z.iso.datetime();

export const undeploySchema = z
  .object({
    projectId: z.string().uuid(),
    appName: z.string(),
    status: z.enum(['running', 'succeeded', 'failed']).meta({ description: '`succeeded` once the app is gone from Argo CD and the names are free' }),
    step: z
      .enum(['close_lane', 'remove_folder', 'await_gone', 'release_names'])
      .nullable()
      .meta({ description: 'The step running now, or the one that failed' }),
    requestedAt: time.nullable(),
    requestedBy: z.string().nullable(),
    gitopsCommitSha: z
      .string()
      .nullable()
      .meta({ description: 'The commit that removed the folder (trailer `Undeploy-Id: <projectId>`); null when there was no folder' }),
    undeployedAt: time.nullable(),
    namesReleased: z.boolean().meta({ description: 'Whether a new project may take the application name, release and host' }),
    workflowId: z.string(),
    error: z.object({ step: z.string(), type: z.string(), message: z.string() }).strict().nullable(),
  })
  .strict()
  .meta({ id: 'Undeploy' });
