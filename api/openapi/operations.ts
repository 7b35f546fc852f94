// Every route of the API, described once: its auth, least role, inputs (the zod schemas the
// handlers validate with) and answers. The OpenAPI document is built from this list, and the
// route-matrix test checks that this list and the routes Hono serves are the same set.
import { z } from 'zod';
import { tokenIdSchema } from '../../lib/token-admin.js';
import type { Role } from '../middleware/auth.js';
import {
  autoDeploySchema,
  createDeploymentSchema,
  createProjectSchema,
  createTokenBodySchema,
  idParamSchema,
  listQuerySchema,
  logQuerySchema,
  rollbackSchema,
} from '../schemas.js';
import * as answer from './responses.js';
import { repoCredentialSchema } from '../repo-credential-schema.js';
import { userIdSchema } from '../../lib/workspace-users.js';
import { addedWorkspaceUserSchema, workspaceUserListSchema } from './workspace-user-responses.js';
import { undeploySchema } from './undeploy-responses.js';
import { workspaceIdSchema } from '../../lib/token-admin.js';

export type Auth = 'none' | 'bearer' | 'bearer-or-ticket' | 'signature' | 'pull-token';

export interface Operation {
  method: 'get' | 'post' | 'put' | 'delete';
  /** OpenAPI form: `/v1/projects/{projectId}`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: 'projects' | 'deployments' | 'logs' | 'tokens' | 'workspace' | 'webhooks' | 'health' | 'cluster';
  auth: Auth;
  /** The least role that may call it (bearer routes). */
  role?: Role;
  params?: Record<string, z.ZodType>;
  query?: z.ZodObject;
  /** A JSON body, validated by this schema. */
  body?: z.ZodType;
  /** A body read as bytes (webhooks): its media types. */
  rawBody?: string[];
  headers?: Record<string, { schema: z.ZodType; description: string; required?: boolean }>;
  /** Starts a deployment: per-token rate limit and queue caps apply (429). */
  startsDeploy?: boolean;
  /** Talks to Temporal: 503 when it is unavailable. */
  usesTemporal?: boolean;
  /** The success answer(s); errors are added from the facts above. */
  responses: Record<number, { description: string; schema?: z.ZodType; contentType?: string; headers?: Record<string, string> }>;
  /** Other errors this route answers, beyond those implied by the facts above. */
  errors?: Record<number, string>;
}

const projectId = { projectId: idParamSchema };
const deploymentId = { deploymentId: idParamSchema };

export function apiOperations({ allowLocalRepos }: { allowLocalRepos: boolean }): Operation[] {
  return [
    {
      method: 'get',
      path: '/healthz',
      operationId: 'health',
      tag: 'health',
      auth: 'none',
      summary: 'Whether PostgreSQL and Temporal answer',
      responses: {
        200: { description: 'Both answer', schema: answer.healthSchema },
        503: { description: 'One is down (named in `down`)', schema: answer.healthSchema },
      },
    },
    {
      method: 'get',
      path: '/openapi.json',
      operationId: 'openapi',
      tag: 'health',
      auth: 'none',
      summary: 'This document',
      responses: { 200: { description: 'The OpenAPI 3.1 document', schema: z.object({ openapi: z.string() }).passthrough() } },
    },
    {
      method: 'post',
      path: '/v1/projects',
      operationId: 'createProject',
      tag: 'projects',
      auth: 'bearer',
      role: 'admin',
      summary: 'Create a project',
      description:
        'The answer holds the webhook secret, the only time it is shown. Application name, Helm release and host are shared by all workspaces on the cluster: a name another project has is a 409 `name_taken`.',
      body: createProjectSchema(allowLocalRepos),
      responses: { 201: { description: 'Created', schema: answer.createdProjectSchema } },
      errors: {
        403: 'The token may not create projects, or `userId` is not one of the users of the workspace (`user_not_in_workspace`: add it with PUT /v1/workspace/users/{userId})',
        409: 'The project exists in this workspace, a cluster name is taken (`name_taken`), or a deleted project of this workspace holds the names until its undeploy has finished (`undeploy_pending`)',
      },
    },
    {
      method: 'get',
      path: '/v1/projects',
      operationId: 'listProjects',
      tag: 'projects',
      auth: 'bearer',
      role: 'viewer',
      summary: "The workspace's projects, newest first",
      query: listQuerySchema,
      responses: { 200: { description: 'A page of projects', schema: answer.pageOf(answer.projectSchema) } },
    },
    {
      method: 'get',
      path: '/v1/projects/{projectId}',
      operationId: 'getProject',
      tag: 'projects',
      auth: 'bearer',
      role: 'viewer',
      summary: 'A project, with its live release',
      params: projectId,
      responses: { 200: { description: 'The project', schema: answer.projectSchema } },
    },
    {
      method: 'delete',
      path: '/v1/projects/{projectId}',
      operationId: 'deleteProject',
      tag: 'projects',
      auth: 'bearer',
      role: 'admin',
      summary: 'Delete a project and undeploy its app',
      params: projectId,
      usesTemporal: true,
      description:
        'The project leaves the API at once and its GitHub hook is removed. Its undeploy then cancels its queued and running deployments, removes its folder from the GitOps repository in one commit, waits until Argo CD has deleted the app and what it ran (`UNDEPLOY_TIMEOUT`), and releases its names. Idempotent: a DELETE while it runs answers the same undeploy, one after a failed undeploy starts it again. Its deployments stay readable by id (docs/undeploy.md).',
      responses: { 202: { description: 'The undeploy, running or finished; `Location` is its GET /v1/projects/{projectId}/undeploy', schema: undeploySchema } },
    },
    {
      method: 'get',
      path: '/v1/projects/{projectId}/undeploy',
      operationId: 'getUndeploy',
      tag: 'projects',
      auth: 'bearer',
      role: 'viewer',
      summary: "A deleted project's undeploy: its step, GitOps commit and outcome",
      params: projectId,
      responses: { 200: { description: 'The undeploy', schema: undeploySchema } },
    },
    {
      method: 'post',
      path: '/v1/projects/{projectId}/deployments',
      operationId: 'deploy',
      tag: 'deployments',
      auth: 'bearer',
      role: 'deployer',
      summary: 'Deploy the tracked branch, another branch, or an exact commit',
      params: projectId,
      body: createDeploymentSchema,
      startsDeploy: true,
      usesTemporal: true,
      responses: { 202: { description: 'Queued in the project lane', schema: answer.deploymentSchema } },
    },
    {
      method: 'get',
      path: '/v1/projects/{projectId}/deployments',
      operationId: 'listDeployments',
      tag: 'deployments',
      auth: 'bearer',
      role: 'viewer',
      summary: "The project's deployments, newest first",
      params: projectId,
      query: listQuerySchema,
      responses: { 200: { description: 'A page of deployments', schema: answer.pageOf(answer.deploymentSchema) } },
    },
    {
      method: 'post',
      path: '/v1/projects/{projectId}/rollback',
      operationId: 'rollback',
      tag: 'deployments',
      auth: 'bearer',
      role: 'deployer',
      summary: 'Restore an earlier release (by default the one before the live one)',
      params: projectId,
      body: rollbackSchema,
      startsDeploy: true,
      usesTemporal: true,
      description: 'Cancels what is running in the lane and pauses auto-deploy.',
      responses: { 202: { description: 'The rollback deployment, queued', schema: answer.deploymentSchema } },
      errors: {
        409: 'No release to roll back to, or the target is live already',
        422: 'The target never went live, has no image, or belongs to another project',
      },
    },
    {
      method: 'post',
      path: '/v1/projects/{projectId}/auto-deploy',
      operationId: 'setAutoDeploy',
      tag: 'projects',
      auth: 'bearer',
      role: 'deployer',
      summary: 'Turn deploy-on-push on (lifting a pause) or off',
      params: projectId,
      body: autoDeploySchema,
      responses: { 200: { description: 'The project', schema: answer.projectSchema } },
    },
    {
      method: 'post',
      path: '/v1/projects/{projectId}/webhook-secret',
      operationId: 'rotateWebhookSecret',
      tag: 'webhooks',
      auth: 'bearer',
      role: 'admin',
      summary: 'Replace the webhook secret (the old one is accepted for one more hour)',
      params: projectId,
      description: 'The GitHub hook is updated to the new secret when the engine manages it.',
      responses: {
        200: { description: 'The new secret, shown only in this answer', schema: answer.rotatedSecretSchema, headers: { 'Cache-Control': 'no-store' } },
      },
    },
    {
      method: 'put',
      path: '/v1/projects/{projectId}/repo-credential',
      operationId: 'setRepoCredential',
      tag: 'projects',
      auth: 'bearer',
      role: 'admin',
      summary: "Set the credential that reads the project's repository (write-only)",
      params: projectId,
      description:
        "A read-only token for a private https repository (a fine-grained personal access token, a deploy token, or what the platform's frontend holds for the user). Stored encrypted; sent to git and Jenkins as an HTTP Basic header, never in a URL; never shown again. A GitHub App installation token, when the platform has one for the repository, is preferred to it.",
      body: repoCredentialSchema,
      responses: { 200: { description: 'Stored', schema: answer.repoCredentialSchema, headers: { 'Cache-Control': 'no-store' } } },
      errors: { 503: 'The engine has no CREDENTIAL_KEYS to encrypt with (`credential_storage_off`)' },
    },
    {
      method: 'delete',
      path: '/v1/projects/{projectId}/repo-credential',
      operationId: 'deleteRepoCredential',
      tag: 'projects',
      auth: 'bearer',
      role: 'admin',
      summary: "Remove the project's repository credential",
      params: projectId,
      responses: { 204: { description: 'Removed (or there was none)' } },
    },
    {
      method: 'get',
      path: '/v1/projects/{projectId}/webhook-deliveries',
      operationId: 'listWebhookDeliveries',
      tag: 'webhooks',
      auth: 'bearer',
      role: 'viewer',
      summary: 'Webhook deliveries for the project and what came of each',
      params: projectId,
      query: listQuerySchema,
      responses: { 200: { description: 'A page of deliveries', schema: answer.pageOf(answer.webhookDeliverySchema) } },
    },
    {
      method: 'get',
      path: '/v1/projects/{projectId}/releases',
      operationId: 'listReleases',
      tag: 'projects',
      auth: 'bearer',
      role: 'viewer',
      summary: 'Every deployment that went live, newest first, and which is live now',
      params: projectId,
      query: listQuerySchema,
      responses: { 200: { description: 'A page of releases', schema: answer.releasesPageSchema } },
    },
    {
      method: 'get',
      path: '/v1/deployments/{deploymentId}',
      operationId: 'getDeployment',
      tag: 'deployments',
      auth: 'bearer',
      role: 'viewer',
      summary: 'A deployment with its steps',
      params: deploymentId,
      responses: { 200: { description: 'The deployment', schema: answer.deploymentSchema } },
    },
    {
      method: 'post',
      path: '/v1/deployments/{deploymentId}/retry',
      operationId: 'retryDeployment',
      tag: 'deployments',
      auth: 'bearer',
      role: 'deployer',
      summary: 'Deploy the same commit again (reusing a valid image)',
      params: deploymentId,
      startsDeploy: true,
      usesTemporal: true,
      responses: { 202: { description: 'The new deployment, queued', schema: answer.deploymentSchema } },
      errors: { 409: 'Only failed or cancelled deploys can be retried' },
    },
    {
      method: 'post',
      path: '/v1/deployments/{deploymentId}/cancel',
      operationId: 'cancelDeployment',
      tag: 'deployments',
      auth: 'bearer',
      role: 'deployer',
      summary: 'Cancel a queued or running deployment',
      params: deploymentId,
      usesTemporal: true,
      responses: { 202: { description: 'What the lane did', schema: answer.cancelledDeploymentSchema } },
      errors: { 409: 'The deployment has finished already' },
    },
    {
      method: 'post',
      path: '/v1/deployments/{deploymentId}/log-tickets',
      operationId: 'createLogTicket',
      tag: 'logs',
      auth: 'bearer',
      role: 'viewer',
      summary: 'A single-use, one-minute ticket for opening the log from a browser',
      params: deploymentId,
      responses: { 201: { description: 'The ticket', schema: answer.logTicketSchema } },
    },
    {
      method: 'get',
      path: '/v1/deployments/{deploymentId}/logs',
      operationId: 'getLogs',
      tag: 'logs',
      auth: 'bearer-or-ticket',
      role: 'viewer',
      summary: 'The build log: text/plain from `offset`, or live over a WebSocket (Upgrade: websocket)',
      params: deploymentId,
      query: logQuerySchema,
      description:
        'As a WebSocket it sends `log`, `step`, `status` and `end` messages; a viewer too slow to keep up is closed with 4008 and the offset to resume from.',
      responses: {
        200: { description: 'The log from `offset` (at most 100 000 bytes)', contentType: 'text/plain', schema: z.string() },
        101: { description: 'Switching to the WebSocket protocol' },
      },
    },
    {
      method: 'get',
      path: '/v1/tokens',
      operationId: 'listTokens',
      tag: 'tokens',
      auth: 'bearer',
      role: 'admin',
      summary: "The workspace's API tokens (never the tokens themselves)",
      responses: { 200: { description: 'The tokens', schema: answer.tokenListSchema } },
    },
    {
      method: 'post',
      path: '/v1/tokens',
      operationId: 'createToken',
      tag: 'tokens',
      auth: 'bearer',
      role: 'admin',
      summary: 'Create an API token in the caller’s workspace',
      body: createTokenBodySchema,
      responses: {
        201: { description: 'The token, shown only in this answer', schema: answer.createdApiTokenSchema, headers: { 'Cache-Control': 'no-store' } },
      },
    },
    {
      method: 'delete',
      path: '/v1/tokens/{tokenId}',
      operationId: 'revokeToken',
      tag: 'tokens',
      auth: 'bearer',
      role: 'admin',
      summary: 'Revoke a token',
      params: { tokenId: tokenIdSchema },
      responses: { 204: { description: 'Revoked' } },
    },
    {
      method: 'get',
      path: '/v1/workspace/users',
      operationId: 'listWorkspaceUsers',
      tag: 'workspace',
      auth: 'bearer',
      role: 'admin',
      summary: 'The users the workspace may create projects for',
      responses: { 200: { description: 'The users, by id', schema: workspaceUserListSchema } },
    },
    {
      method: 'put',
      path: '/v1/workspace/users/{userId}',
      operationId: 'addWorkspaceUser',
      tag: 'workspace',
      auth: 'bearer',
      role: 'admin',
      summary: 'Let the workspace create projects for a user (idempotent)',
      params: { userId: userIdSchema },
      responses: {
        201: { description: 'Added', schema: addedWorkspaceUserSchema },
        200: { description: 'Already a member: nothing changed', schema: addedWorkspaceUserSchema },
      },
    },
    {
      method: 'delete',
      path: '/v1/workspace/users/{userId}',
      operationId: 'removeWorkspaceUser',
      tag: 'workspace',
      auth: 'bearer',
      role: 'admin',
      summary: 'Stop the workspace from creating projects for a user',
      params: { userId: userIdSchema },
      responses: { 204: { description: 'Removed' } },
      errors: { 409: 'The user still owns projects of this workspace that are not deleted' },
    },
    {
      method: 'post',
      path: '/v1/webhooks/github',
      operationId: 'githubWebhook',
      tag: 'webhooks',
      auth: 'signature',
      summary: 'GitHub push and ping deliveries, verified with the project’s webhook secret',
      query: z.object({ project: z.string().optional().meta({ description: 'The project the hook was registered for (in the URL the engine gives)' }) }),
      rawBody: ['application/json', 'application/x-www-form-urlencoded'],
      headers: {
        'X-GitHub-Event': { schema: z.string(), description: 'push or ping (others are recorded and ignored)', required: true },
        'X-GitHub-Delivery': { schema: z.string(), description: 'The delivery id: a redelivery is recognised by it' },
        'X-Hub-Signature-256': { schema: z.string(), description: '`sha256=` and the HMAC-SHA256 of the raw body', required: true },
      },
      startsDeploy: true,
      usesTemporal: true,
      responses: { 200: { description: 'Recorded; any deploy is queued', schema: answer.webhookResultSchema } },
    },
    {
      method: 'get',
      path: '/v1/pull-credentials/{workspaceId}',
      operationId: 'getPullCredentials',
      tag: 'cluster',
      auth: 'pull-token',
      summary: "The registry credential of a workspace's pull-only Harbor robot (for External Secrets)",
      description:
        "Asked by the `deploy-engine-registry` ClusterSecretStore (External Secrets webhook provider) with `Authorization: Bearer <PULL_CREDENTIALS_TOKEN>`, not a workspace token. The robot may pull from the Harbor project and nothing else; it is made by the workspace's first deploy (docs/pull-credentials.md). Never cached (`Cache-Control: no-store`).",
      params: { workspaceId: workspaceIdSchema },
      responses: { 200: { description: 'The credential', schema: answer.pullCredentialsSchema, headers: { 'Cache-Control': 'no-store' } } },
      errors: {
        401: 'Missing or wrong PULL_CREDENTIALS_TOKEN',
        404: 'No such workspace; its pull robot is not made yet (`pull_credentials_pending`); or the engine serves no pull credentials (`pull_credentials_off`: PULL_CREDENTIALS_TOKEN is not set)',
        503: 'The engine cannot decrypt stored credentials (`credential_storage_off`, `credential_unreadable`)',
      },
    },
  ];
}
