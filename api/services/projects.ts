// Projects: created, listed and read within the caller's workspace only.
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import { Prisma, type Db } from '../../lib/db.js';
import type { Env } from '../../lib/config.js';
import { repoKey } from '../../lib/repo-key.js';
import { conflict, notFound } from '../errors.js';
import type { createProjectSchema } from '../schemas.js';
import { page, projectView, releaseView } from '../views.js';

export type CreateProjectInput = z.output<ReturnType<typeof createProjectSchema>>;

const withLive = { liveDeployment: { include: { steps: true } } } as const;

export function createProjectService({ db, config }: { db: Db; config: Env }) {
  return {
    async create(workspaceId: string, input: CreateProjectInput) {
      // The webhook secret is returned once, here; later reads never show it.
      const webhookSecret = randomBytes(24).toString('base64url');
      try {
        const project = await db.project.create({
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
        return { ...projectView(project, config), webhookSecret };
      } catch (error) {
        if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
          throw conflict(`Project ${input.name} of user ${input.userId} already exists in this workspace`);
        }
        throw error;
      }
    },

    async list(workspaceId: string, { limit, cursor }: { limit: number; cursor?: string }) {
      const rows = await db.project.findMany({
        where: { workspaceId, deletedAt: null },
        orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
        include: withLive,
      });
      const result = page(rows, limit);
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
    async releases(workspaceId: string, projectId: string, { limit, cursor }: { limit: number; cursor?: string }) {
      const project = await this.find(workspaceId, projectId);
      const rows = await db.deployment.findMany({
        where: { projectId, workspaceId, liveAt: { not: null } },
        orderBy: [{ liveAt: 'desc' }, { id: 'desc' }],
        take: limit + 1,
        ...(cursor ? { cursor: { id: cursor }, skip: 1 } : {}),
      });
      const result = page(rows, limit);
      return { items: result.items.map((d) => releaseView(d, project.liveDeploymentId)), nextCursor: result.nextCursor, liveDeploymentId: project.liveDeploymentId };
    },
  };
}

export type ProjectService = ReturnType<typeof createProjectService>;
