// Projects: created, listed and read within the caller's workspace only.
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { isUniqueViolation, lockForTransaction, type Db } from '../../lib/db.js';
import { assertWorkspaceUser, PROJECT_NAMES_LOCK, UserNotInWorkspaceError } from '../../lib/workspace-users.js';
import type { Env } from '../../lib/config.js';
import { repoKey } from '../../lib/repo-key.js';
import { checkRepoUrl, repoHostPolicy, RepoAddressRefusedError, type RepoHostPolicy } from '../../lib/repo-address.js';
import { ApiError, badRequest, conflict, notFound } from '../errors.js';
import type { GitHubClient } from '../../clients/github.js';
import type { Logger } from '../../lib/logger.js';
import type { createProjectSchema } from '../schemas.js';
import { projectView, releaseView } from '../views.js';
import { paginate, type PageQuery } from './paginate.js';
import { undeployView } from '../undeploy-view.js';
import { projectNames } from '../../gitops/project-view.js';
import { checkCustomDomain, claimNames } from './name-claims.js';
import type { UndeployClient } from './undeploy-client.js';

export type CreateProjectInput = z.output<ReturnType<typeof createProjectSchema>>;

/**
 * The repository host rules that need the configuration (the URL's shape is the schema's). No
 * DNS here: a listed name is accepted, and its addresses are checked when the worker connects.
 */
function checkRepoHost(repoUrl: string, policy: RepoHostPolicy): void {
  try {
    checkRepoUrl(repoUrl, policy);
  } catch (error) {
    if (error instanceof RepoAddressRefusedError)
      throw badRequest(`Invalid request body: repoUrl ${error.message}`, [{ field: 'repoUrl', rule: error.message }]);
    throw error;
  }
}

const withLive = { liveDeployment: { include: { steps: true } } } as const;

/** How long the secret before a rotation is still accepted. */
const PREVIOUS_SECRET_GRACE_MS = 3_600_000;
const newWebhookSecret = () => randomBytes(24).toString('base64url');

export interface ProjectServiceDeps {
  db: Db;
  config: Env;
  /** On when a GitHub token is configured: hooks are registered and removed with projects. */
  github?: GitHubClient;
  logger?: Logger;
  /** Starts undeploy workflows (DELETE). */
  undeploys: UndeployClient;
}

export function createProjectService({ db, config, github, logger, undeploys }: ProjectServiceDeps) {
  const apiBase = (config.PUBLIC_API_URL ?? `http://${config.API_HOST}:${config.API_PORT}`).replace(/\/+$/, '');
  const webhookUrl = (projectId: string) => `${apiBase}/v1/webhooks/github?project=${projectId}`;
  const repoHosts = repoHostPolicy(config, github?.webHost);

  /** Registers the push hook on GitHub; a failure is reported, not fatal (the URL works by hand too). */
  async function registerHook(
    projectId: string,
    repoUrl: string,
    secret: string,
  ): Promise<{ registered: boolean; hookId?: number; error?: string } | undefined> {
    const repo = github?.parseRepo(repoUrl);
    if (!github || !repo) return undefined;
    try {
      const hookId = await github.createWebhook(repo.owner, repo.repo, { url: webhookUrl(projectId), secret, contentType: 'json' });
      await db.project.update({ where: { id: projectId }, data: { githubHookId: BigInt(hookId) } });
      return { registered: true, hookId };
    } catch (error) {
      logger?.warn('webhook registration failed', { projectId, error });
      return { registered: false, error: error instanceof Error ? error.message : String(error) };
    }
  }

  return {
    async create(workspaceId: string, input: CreateProjectInput) {
      // The webhook secret is returned once, here; later reads never show it.
      const webhookSecret = newWebhookSecret();
      checkRepoHost(input.repoUrl, repoHosts);
      checkCustomDomain(input.customDomain, config);
      try {
        const project = await db.$transaction(async (tx) => {
          // Under the lock that removing a workspace user also takes: membership cannot change
          // between this check and the insert.
          await lockForTransaction(tx, PROJECT_NAMES_LOCK);
          await assertWorkspaceUser(tx, workspaceId, input.userId);
          await claimNames(tx, { workspaceId, userId: input.userId, name: input.name, customDomain: input.customDomain ?? null }, config);
          return tx.project.create({
            data: {
              workspaceId,
              userId: input.userId,
              name: input.name,
              repoUrl: input.repoUrl,
              repoKey: repoKey(input.repoUrl),
              branch: input.branch,
              appPort: input.appPort,
              customDomain: input.customDomain,
              autoDeploy: input.autoDeploy,
              webhookSecret,
            },
            include: withLive,
          });
        });
        const githubHook = await registerHook(project.id, project.repoUrl, webhookSecret);
        return { ...projectView(project, config), webhookUrl: webhookUrl(project.id), webhookSecret, ...(githubHook ? { githubHook } : {}) };
      } catch (error) {
        if (error instanceof UserNotInWorkspaceError) throw new ApiError(403, 'user_not_in_workspace', error.message);
        if (isUniqueViolation(error)) {
          throw conflict(`Project ${input.name} of user ${input.userId} already exists in this workspace`);
        }
        throw error;
      }
    },

    async list(workspaceId: string, query: PageQuery) {
      const result = await paginate(query, (pageArgs) =>
        db.project.findMany({ where: { workspaceId, deletedAt: null }, orderBy: [{ createdAt: 'desc' }, { id: 'desc' }], include: withLive, ...pageArgs }),
      );
      return { items: result.items.map((p) => projectView(p, config)), nextCursor: result.nextCursor };
    },

    /** The project row, or a 404 when it is missing or belongs to another workspace. */
    async find(workspaceId: string, projectId: string) {
      const project = await db.project.findFirst({ where: { id: projectId, workspaceId, deletedAt: null }, include: withLive });
      if (!project) throw notFound('Project');
      return project;
    },

    async get(workspaceId: string, projectId: string) {
      return projectView(await this.find(workspaceId, projectId), config);
    },

    /**
     * Deletes a project: from this call on it is gone from the API (no new deploys, no webhooks),
     * its GitHub hook is removed, and its undeploy starts (docs/undeploy.md): the lane cancels
     * what is queued or running, the folder leaves the GitOps repository in one commit, Argo CD
     * deletes the app and what it ran, then the names are released. Answers the undeploy's state.
     * Idempotent: a DELETE while it runs answers the same undeploy; after a failed one it starts
     * again; after a finished one it answers that one. Its deployments stay in the database.
     */
    async remove(workspaceId: string, projectId: string, requestedBy: string) {
      let project = await db.project.findFirst({ where: { id: projectId, workspaceId } });
      // Deleted before undeploys existed: nothing to show or do (its names stay taken).
      if (!project || (project.deletedAt && !project.undeployStatus)) throw notFound('Project');
      if (!project.deletedAt) {
        const repo = github?.parseRepo(project.repoUrl);
        if (github && repo && project.githubHookId !== null) await github.deleteWebhook(repo.owner, repo.repo, Number(project.githubHookId));
        const now = new Date();
        // Guarded by deletedAt: of two racing DELETEs one marks it, both start the same workflow.
        await db.project.updateMany({
          where: { id: projectId, deletedAt: null },
          data: {
            deletedAt: now,
            githubHookId: null,
            autoDeploy: false,
            undeployStatus: 'running',
            undeployRequestedAt: now,
            undeployRequestedBy: requestedBy,
          },
        });
      } else if (project.undeployStatus === 'failed') {
        await db.project.updateMany({
          where: { id: projectId, undeployStatus: 'failed' },
          data: { undeployStatus: 'running', undeployErrorType: null, undeployErrorMessage: null, undeployRequestedBy: requestedBy },
        });
      }
      project = await db.project.findUniqueOrThrow({ where: { id: projectId } });
      if (project.undeployStatus === 'running') {
        try {
          await undeploys.start(project);
        } catch (error) {
          // The project stays deleted and its undeploy `running`: the next DELETE starts it.
          logger?.error('undeploy start failed', { projectId, error });
          throw new ApiError(
            503,
            'unavailable',
            'The workflow service is unavailable: the project is deleted but its undeploy has not started; repeat the DELETE',
          );
        }
      }
      return undeployView(project, projectNames(project, config).appName);
    },

    /** The undeploy of a project (deleted or being deleted), or 404 when it has none. */
    async undeployStatus(workspaceId: string, projectId: string) {
      const project = await db.project.findFirst({ where: { id: projectId, workspaceId, undeployStatus: { not: null } } });
      if (!project) throw notFound('Undeploy');
      return undeployView(project, projectNames(project, config).appName);
    },

    /**
     * A new webhook secret, shown in this answer only. The GitHub hook (when the engine manages
     * it) is updated to it; the old secret stays valid for an hour, so deliveries signed before
     * the hook changed, and hooks set up by hand, keep working while they are updated.
     */
    async rotateWebhookSecret(workspaceId: string, projectId: string) {
      const project = await this.find(workspaceId, projectId);
      const webhookSecret = newWebhookSecret();
      const previousSecretValidUntil = project.webhookSecret ? new Date(Date.now() + PREVIOUS_SECRET_GRACE_MS) : null;
      await db.project.update({
        where: { id: project.id },
        data: { webhookSecret, previousWebhookSecret: project.webhookSecret, previousWebhookSecretUntil: previousSecretValidUntil },
      });
      const githubHook = await registerHook(project.id, project.repoUrl, webhookSecret);
      return { webhookUrl: webhookUrl(project.id), webhookSecret, previousSecretValidUntil, ...(githubHook ? { githubHook } : {}) };
    },

    /** `enabled: true` turns auto-deploy on and lifts a pause; `false` turns it off. */
    async setAutoDeploy(workspaceId: string, projectId: string, enabled: boolean) {
      await this.find(workspaceId, projectId);
      await db.project.update({
        where: { id: projectId },
        data: enabled ? { autoDeploy: true, autoDeployPausedAt: null, autoDeployPauseReason: null } : { autoDeploy: false },
      });
      return this.get(workspaceId, projectId);
    },

    /** Every deployment that went live, newest first, and which one is live now. */
    async releases(workspaceId: string, projectId: string, query: PageQuery) {
      const project = await this.find(workspaceId, projectId);
      const result = await paginate(query, (pageArgs) =>
        db.deployment.findMany({ where: { projectId, workspaceId, liveAt: { not: null } }, orderBy: [{ liveAt: 'desc' }, { id: 'desc' }], ...pageArgs }),
      );
      return {
        items: result.items.map((d) => releaseView(d, project.liveDeploymentId)),
        nextCursor: result.nextCursor,
        liveDeploymentId: project.liveDeploymentId,
      };
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
