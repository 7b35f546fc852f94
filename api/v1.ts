// The authenticated /v1 API: services wired to their routes.
import { Hono } from 'hono';
import type { Client } from '@temporalio/client';
import type { Env } from '../lib/config.js';
import type { Db } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import { bearerAuth } from './middleware/auth.js';
import { createLaneClient } from './services/lane.js';
import { createProjectService } from './services/projects.js';
import { createDeploymentService } from './services/deployments.js';
import { projectRoutes } from './routes/projects.js';
import { deploymentRoutes } from './routes/deployments.js';

export function buildV1({ config, db, temporal, logger }: { config: Env; db: Db; temporal: Client; logger: Logger }): Hono {
  const lane = createLaneClient(temporal, config.TEMPORAL_TASK_QUEUE);
  const projects = createProjectService({ db, config });
  const deployments = createDeploymentService({ db, lane, projects, logger });
  const v1 = new Hono();
  v1.use('*', bearerAuth(db));
  v1.route('/projects', projectRoutes({ projects, deployments, allowLocalRepos: config.ALLOW_LOCAL_REPOS }));
  v1.route('/deployments', deploymentRoutes({ deployments }));
  return v1;
}
