// The authenticated /v1 API: services wired to their routes.
import { Hono } from 'hono';
import { bodyLimit } from './middleware/body-limit.js';
import type { Client } from '@temporalio/client';
import type { Env } from '../lib/config.js';
import type { Db } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import { bearerAuth } from './middleware/auth.js';
import { createLaneClient } from './services/lane.js';
import { createProjectService } from './services/projects.js';
import { createUndeployClient } from './services/undeploy-client.js';
import type { Clients } from '../clients/index.js';
import { createDeploymentService } from './services/deployments.js';
import { projectRoutes } from './routes/projects.js';
import { deploymentRoutes } from './routes/deployments.js';
import { logRoutes } from './routes/logs.js';
import { tokenRoutes } from './routes/tokens.js';
import { workspaceUserRoutes } from './routes/workspace-users.js';
import { createWorkspaceUserService } from './services/workspace-users.js';
import { repoCredentialRoutes } from './routes/repo-credentials.js';
import { createRepoCredentialService } from './services/repo-credentials.js';
import { byTokenId, rateLimit } from './middleware/rate-limit.js';
import { webhookRoutes } from './routes/webhooks.js';
import { pullCredentialRoutes } from './routes/pull-credentials.js';
import { createPullCredentialService } from './services/pull-credentials.js';
import { createWebhookService } from './services/webhooks.js';
import { createLogService } from './services/logs.js';
import { createTokenService } from './services/tokens.js';
import type { DeploymentEventHub } from './logs/event-hub.js';
import type { AppTools } from './app.js';

export interface V1Deps {
  config: Env;
  db: Db;
  temporal: Client;
  logger: Logger;
  /** The process's LISTEN connection for live logs and step events. */
  hub: DeploymentEventHub;
  /** The outside systems the API calls itself: only GitHub (webhooks on project create and delete). */
  clients: Pick<Clients, 'github'>;
}

export function buildV1({ config, db, temporal, logger, hub, clients: { github } }: V1Deps): (tools: AppTools) => Hono {
  return ({ upgradeWebSocket }) => {
    const lane = createLaneClient(temporal, config);
    const undeploys = createUndeployClient(temporal, config);
    const projects = createProjectService({ db, config, github, logger, undeploys });
    const deployments = createDeploymentService({
      db,
      lane,
      projects,
      logger,
      caps: { perProject: config.MAX_QUEUED_PER_PROJECT, perWorkspace: config.MAX_QUEUED_PER_WORKSPACE },
    });
    const v1 = new Hono();
    // Webhooks (signature) and logs (a ticket instead of the header for browsers) authenticate
    // themselves, so they are mounted before the bearer middleware.
    const webhooks = createWebhookService({ db, deployments, logger });
    v1.route('/', webhookRoutes({ webhooks }));
    // Every other route takes small JSON bodies (webhooks, above, have their own larger limit).
    v1.use('*', bodyLimit({ maxBytes: config.MAX_BODY_BYTES, message: `Request bodies are limited to ${config.MAX_BODY_BYTES} bytes` }));
    const logs = createLogService({ db, hub, session: { maxBufferedBytes: config.LOG_VIEWER_MAX_BUFFER, pingIntervalMs: config.LOG_VIEWER_PING_INTERVAL } });
    v1.route('/', logRoutes({ logs, bearerAuth: bearerAuth(db), upgradeWebSocket }));
    // External Secrets authenticates with PULL_CREDENTIALS_TOKEN, not a workspace token.
    v1.route('/pull-credentials', pullCredentialRoutes({ credentials: createPullCredentialService({ db, config }), token: config.PULL_CREDENTIALS_TOKEN }));
    v1.use('*', bearerAuth(db));
    // One allowance per token shared by every route that starts a deploy.
    const deployLimit = rateLimit({ capacity: config.DEPLOY_RATE_BURST, refillPerSecond: config.DEPLOY_RATE_PER_MINUTE / 60, key: byTokenId });
    v1.route('/projects', projectRoutes({ projects, deployments, webhooks, deployLimit, allowLocalRepos: config.ALLOW_LOCAL_REPOS }));
    v1.route('/projects', repoCredentialRoutes({ credentials: createRepoCredentialService({ db, config, logger }) }));
    v1.route('/deployments', deploymentRoutes({ deployments, deployLimit }));
    v1.route('/tokens', tokenRoutes({ tokens: createTokenService(db) }));
    v1.route('/workspace/users', workspaceUserRoutes({ users: createWorkspaceUserService(db) }));
    return v1;
  };
}
