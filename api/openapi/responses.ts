// What the API answers, as zod schemas: the source of the OpenAPI document's response bodies,
// and what the route-matrix test checks every real answer against (strict objects, so a field
// added to a view without being documented fails that test).
import { z } from 'zod';

const id = z.string().uuid();
const time = z.iso.datetime();
const maybe = <T extends z.ZodType>(schema: T) => schema.nullable();

export const issueSchema = z.object({ field: z.string(), rule: z.string() }).strict();

export const errorSchema = z
  .object({
    error: z
      .object({
        code: z.string().meta({ description: 'Stable machine-readable code, e.g. invalid_request, not_found, queue_full' }),
        message: z.string(),
        details: z.array(issueSchema).optional().meta({ description: 'For invalid_request: each bad field and the rule it broke' }),
      })
      .strict(),
  })
  .strict()
  .meta({ id: 'Error' });

const stepSchema = z
  .object({
    name: z.enum(['resolve_source', 'build', 'verify_image', 'commit_release', 'await_live']),
    status: z.enum(['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled']),
    startedAt: maybe(time),
    finishedAt: maybe(time),
    detail: maybe(z.string()),
  })
  .strict()
  .meta({ id: 'Step' });

const deploymentKind = z.enum(['deploy', 'rollback']);
const deploymentTrigger = z.enum(['manual', 'webhook', 'rollback', 'auto-rollback', 'retry']);

const deploymentFields = {
  id,
  projectId: id,
  kind: deploymentKind,
  trigger: deploymentTrigger,
  status: z.enum(['queued', 'running', 'succeeded', 'failed', 'cancelled', 'superseded']),
  branch: maybe(z.string()),
  commitSha: maybe(z.string()),
  framework: maybe(z.string()),
  imageRepository: maybe(z.string()),
  imageTag: maybe(z.string()),
  imageDigest: maybe(z.string()),
  jenkinsBuildNumber: maybe(z.number().int()),
  gitopsCommitSha: maybe(z.string()),
  liveUrl: maybe(z.string()),
  workflowId: maybe(z.string()),
  error: maybe(z.object({ step: maybe(z.string()), type: z.string(), message: maybe(z.string()) }).strict()),
  requestedBy: maybe(z.string()),
  targetDeploymentId: maybe(id),
  causeDeploymentId: maybe(id),
  queuedAt: time,
  startedAt: maybe(time),
  finishedAt: maybe(time),
  liveAt: maybe(time),
  replacedAt: maybe(time),
  steps: z.array(stepSchema).optional(),
};

export const deploymentSchema = z.object(deploymentFields).strict().meta({ id: 'Deployment' });

export const cancelledDeploymentSchema = z
  .object({
    ...deploymentFields,
    cancel: z
      .enum(['cancelling', 'cancelled', 'not-in-lane'])
      .meta({ description: 'What the lane did: stopping a running deploy, dropped a queued one, or did not know it' }),
  })
  .strict()
  .meta({ id: 'CancelledDeployment' });

const githubHookSchema = z
  .object({ registered: z.boolean(), hookId: z.number().int().optional(), error: z.string().optional() })
  .strict()
  .meta({ id: 'GitHubHook', description: 'Present when the engine manages the GitHub hook (GITHUB_TOKEN set)' });

const projectFields = {
  id,
  workspaceId: z.string(),
  userId: z.string(),
  name: z.string(),
  repoUrl: z.string(),
  branch: z.string(),
  appPort: z.number().int(),
  customDomain: maybe(z.string()),
  autoDeploy: z.boolean(),
  autoDeployPaused: maybe(z.object({ since: time, reason: maybe(z.string()) }).strict()),
  repoCredential: maybe(z.object({ username: maybe(z.string()), setAt: time }).strict()).meta({
    description: 'Whether a repository credential is set (never the credential itself)',
  }),
  appName: z.string(),
  releaseName: z.string(),
  namespace: z.string(),
  host: z.string(),
  gitopsPath: z.string(),
  liveUrl: maybe(z.string()),
  liveDeploymentId: maybe(id),
  liveDeployment: maybe(deploymentSchema),
  createdAt: time,
  updatedAt: time,
};

export const projectSchema = z.object(projectFields).strict().meta({ id: 'Project' });

export const createdProjectSchema = z
  .object({
    ...projectFields,
    webhookUrl: z.string().meta({ description: 'Where GitHub sends pushes for this project' }),
    webhookSecret: z.string().meta({ description: 'The HMAC secret for the webhook. Shown only in this answer.' }),
    githubHook: githubHookSchema.optional(),
  })
  .strict()
  .meta({ id: 'CreatedProject' });

export const repoCredentialSchema = z
  .object({ username: z.string(), setAt: time })
  .strict()
  .meta({ id: 'RepoCredential', description: 'The credential is stored encrypted and never shown again' });

export const pullCredentialsSchema = z
  .object({
    registry: z.string().meta({ description: 'The registry host images are pulled from (REGISTRY_HOST, or the host of HARBOR_URL)' }),
    username: z.string().meta({ description: 'The robot account, robot$<project>+pull-<workspaceId>' }),
    password: z.string().meta({ description: "The robot's secret" }),
  })
  .strict()
  .meta({ id: 'PullCredentials', description: 'What the ExternalSecret templates into a kubernetes.io/dockerconfigjson Secret' });

export const rotatedSecretSchema = z
  .object({
    webhookUrl: z.string(),
    webhookSecret: z.string().meta({ description: 'The new secret. Shown only in this answer.' }),
    previousSecretValidUntil: maybe(time).meta({ description: 'Until when deliveries signed with the old secret are still accepted' }),
    githubHook: githubHookSchema.optional(),
  })
  .strict()
  .meta({ id: 'RotatedWebhookSecret' });

export const releaseSchema = z
  .object({
    deploymentId: id,
    kind: deploymentKind,
    trigger: deploymentTrigger,
    commitSha: maybe(z.string()),
    imageRepository: maybe(z.string()),
    imageTag: maybe(z.string()),
    imageDigest: maybe(z.string()),
    gitopsCommitSha: maybe(z.string()),
    requestedBy: maybe(z.string()),
    liveAt: maybe(time),
    replacedAt: maybe(time),
    live: z.boolean(),
    restoredDeploymentId: maybe(id),
  })
  .strict()
  .meta({ id: 'Release' });

export const webhookDeliverySchema = z
  .object({
    id,
    deliveryId: maybe(z.string()),
    event: maybe(z.string()),
    repository: maybe(z.string()),
    ref: maybe(z.string()),
    afterSha: maybe(z.string()),
    signatureOk: z.boolean(),
    outcome: z.string().meta({ description: 'deploying, deployed, duplicate, ignored, rejected, ping or failed' }),
    reason: maybe(z.string()),
    deploymentId: maybe(id),
    receivedAt: time,
  })
  .strict()
  .meta({ id: 'WebhookDelivery' });

export const webhookResultSchema = z
  .object({
    event: z.string(),
    results: z.array(z.object({ projectId: id, outcome: z.string(), reason: z.string().optional(), deploymentId: id.optional() }).strict()),
  })
  .strict()
  .meta({ id: 'WebhookResult' });

const tokenFields = {
  id,
  workspaceId: z.string(),
  name: z.string(),
  role: z.enum(['viewer', 'deployer', 'admin']),
  prefix: z.string().meta({ description: 'The first characters of the token, to tell tokens apart' }),
  status: z.enum(['active', 'expired', 'revoked']),
  createdAt: time,
  expiresAt: maybe(time),
  lastUsedAt: maybe(time),
  revokedAt: maybe(time),
};

export const apiTokenSchema = z.object(tokenFields).strict().meta({ id: 'ApiToken' });
export const createdApiTokenSchema = z
  .object({ ...tokenFields, token: z.string().meta({ description: 'The token. Shown only in this answer; only its hash is stored.' }) })
  .strict()
  .meta({ id: 'CreatedApiToken' });

export const logTicketSchema = z.object({ ticket: z.string(), expiresAt: time }).strict().meta({ id: 'LogTicket' });

const dependencyState = z.object({ status: z.enum(['up', 'down']), error: z.string().optional() }).strict();
export const healthSchema = z
  .object({
    status: z.enum(['ok', 'degraded']),
    checks: z.object({ database: dependencyState, temporal: dependencyState }).strict(),
    down: z.array(z.string()),
  })
  .strict()
  .meta({ id: 'Health' });

/** A page of a listing: pass `nextCursor` as `cursor` to read on. */
export function pageOf<T extends z.ZodType>(item: T, extra: z.ZodRawShape = {}) {
  return z.object({ items: z.array(item), nextCursor: maybe(id), ...extra }).strict();
}

export const releasesPageSchema = pageOf(releaseSchema, { liveDeploymentId: maybe(id) });
export const tokenListSchema = z.object({ items: z.array(apiTokenSchema) }).strict();
