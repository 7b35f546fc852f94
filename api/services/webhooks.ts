// GitHub push webhooks: verified with the secret of the project they are for, recorded, and
// turned into at most one deployment per push, started through the project's lane.
import type { Project } from '../../generated/prisma/client.js';
import { isUniqueViolation, lockForTransaction, type Db, type Prisma } from '../../lib/db.js';
import type { Logger } from '../../lib/logger.js';
import { repoKey } from '../../lib/repo-key.js';
import { ApiError } from '../errors.js';
import { anyPayloadSchema, decodeBody, pushPayloadSchema, repositoryNames } from '../webhooks/payload.js';
import { verifySignature } from '../webhooks/signature.js';
import { paginate, type PageQuery } from './paginate.js';
import type { DeploymentService } from './deployments.js';

export interface Delivery {
  event: string | undefined;
  deliveryId: string | undefined;
  signature: string | undefined;
  contentType: string | undefined;
  raw: Uint8Array;
  /** `?project=<id>`: the project the hook was registered for. */
  projectHint: string | undefined;
}

export interface DeliveryResult {
  event: string;
  results: Array<{ projectId: string; outcome: string; reason?: string; deploymentId?: string }>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function createWebhookService({ db, deployments, logger }: { db: Db; deployments: DeploymentService; logger: Logger }) {
  /**
   * The projects this delivery may be for: the hinted one (hooks the engine registers carry
   * `?project=`), else those whose repository matches the payload's. Only the repository is
   * read before the signature is checked; nothing acts on the body until one verifies.
   */
  async function candidates(delivery: Delivery): Promise<Project[]> {
    if (delivery.projectHint) {
      if (!UUID.test(delivery.projectHint)) return [];
      const project = await db.project.findFirst({ where: { id: delivery.projectHint, deletedAt: null } });
      return project ? [project] : [];
    }
    const body = anyPayloadSchema.safeParse(decodeBody(delivery.raw, delivery.contentType));
    if (!body.success) return [];
    const keys = [...new Set(repositoryNames(body.data).map(repoKey))];
    return keys.length ? db.project.findMany({ where: { repoKey: { in: keys }, deletedAt: null } }) : [];
  }

  async function reject(delivery: Delivery, claimed: Project[], reason: string): Promise<never> {
    // Recorded without its body: an unverified body is nobody's data.
    await db.webhookDelivery.create({
      data: {
        deliveryId: delivery.deliveryId?.slice(0, 100),
        event: delivery.event?.slice(0, 100),
        claimedProjectId: claimed[0]?.id ?? (UUID.test(delivery.projectHint ?? '') ? delivery.projectHint : undefined),
        signatureOk: false,
        outcome: 'rejected',
        reason,
      },
    });
    throw new ApiError(401, 'unauthorized', reason);
  }

  /** Records the delivery for one project, deduplicated; returns false if it was seen before. */
  async function record(
    project: Project,
    delivery: Delivery,
    data: Omit<Prisma.WebhookDeliveryUncheckedCreateInput, 'projectId' | 'deliveryId' | 'event' | 'signatureOk'>,
  ): Promise<{ id: string } | undefined> {
    try {
      return await db.webhookDelivery.create({
        data: { ...data, projectId: project.id, deliveryId: delivery.deliveryId, event: delivery.event, signatureOk: true },
        select: { id: true },
      });
    } catch (error) {
      if (isUniqueViolation(error)) return undefined;
      throw error;
    }
  }

  async function onPush(project: Project, delivery: Delivery, body: unknown): Promise<DeliveryResult['results'][number]> {
    const parsed = pushPayloadSchema.safeParse(body);
    if (!parsed.success) {
      await record(project, delivery, { outcome: 'ignored', reason: 'Not a valid push payload' });
      return { projectId: project.id, outcome: 'ignored', reason: 'Not a valid push payload' };
    }
    const push = parsed.data;
    const base = { repository: push.repository.full_name ?? push.repository.clone_url, ref: push.ref, afterSha: push.after };
    const ignore = async (reason: string) => {
      const row = await record(project, delivery, { ...base, outcome: 'ignored', reason });
      return { projectId: project.id, outcome: row ? 'ignored' : 'duplicate', reason: row ? reason : 'Delivery already received' };
    };
    if (push.ref.startsWith('refs/tags/')) return ignore('Tag push: only branch pushes deploy');
    if (push.deleted || /^0{40}$/.test(push.after)) return ignore('The branch was deleted');
    const branch = push.ref.replace(/^refs\/heads\//, '');
    if (branch !== project.branch) return ignore(`Branch ${branch} is not the tracked branch ${project.branch}`);
    if (!project.autoDeploy) return ignore('Auto-deploy is off for this project');
    if (project.autoDeployPausedAt) return ignore(`auto-deploy paused: ${project.autoDeployPauseReason ?? 'after a rollback'}`);

    // The same push through two hooks deploys once: serialize on (project, ref, after).
    const claim = await db.$transaction(async (tx) => {
      await lockForTransaction(tx, `${project.id}:${push.ref}:${push.after}`);
      const seen = await tx.webhookDelivery.findFirst({
        where: { projectId: project.id, ref: push.ref, afterSha: push.after, outcome: { in: ['deploying', 'deployed'] } },
      });
      if (seen) return { duplicateOf: seen.deploymentId ?? seen.id };
      // A redelivery of a delivery that failed to start (queue full, Temporal down) tries again.
      const failed = delivery.deliveryId
        ? await tx.webhookDelivery.findFirst({ where: { projectId: project.id, deliveryId: delivery.deliveryId, outcome: 'failed' }, select: { id: true } })
        : null;
      if (failed)
        return { row: await tx.webhookDelivery.update({ where: { id: failed.id }, data: { outcome: 'deploying', reason: null }, select: { id: true } }) };
      try {
        return {
          row: await tx.webhookDelivery.create({
            data: { ...base, projectId: project.id, deliveryId: delivery.deliveryId, event: delivery.event, signatureOk: true, outcome: 'deploying' },
            select: { id: true },
          }),
        };
      } catch (error) {
        if (isUniqueViolation(error)) return { duplicateOf: 'delivery' };
        throw error;
      }
    });
    if (!claim.row) {
      const row = await record(project, delivery, {
        ...base,
        outcome: 'duplicate',
        reason: 'This push was already received (same repository, ref and commit)',
      });
      return { projectId: project.id, outcome: 'duplicate', reason: row ? 'This push was already received' : 'Delivery already received' };
    }
    try {
      const deployment = await deployments.request(project.workspaceId, project.id, {
        commitSha: push.after,
        branch,
        trigger: 'webhook',
        requestedBy: `github:${push.pusher?.name ?? push.sender?.login ?? 'push'}`,
      });
      await db.webhookDelivery.update({ where: { id: claim.row.id }, data: { outcome: 'deployed', deploymentId: deployment.id } });
      return { projectId: project.id, outcome: 'deployed', deploymentId: deployment.id };
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      await db.webhookDelivery.update({ where: { id: claim.row.id }, data: { outcome: 'failed', reason } });
      // A full queue is the caller's limit, not the engine's fault.
      const level = error instanceof ApiError && error.status < 500 ? 'warn' : 'error';
      logger[level]('webhook deploy failed to start', { projectId: project.id, error });
      throw error;
    }
  }

  return {
    async receive(delivery: Delivery): Promise<DeliveryResult> {
      const projects = await candidates(delivery);
      if (!delivery.signature) return reject(delivery, projects, 'Missing X-Hub-Signature-256 header');
      const now = new Date();
      const verified = projects.filter((p) => acceptedSecrets(p, now).some((secret) => verifySignature(secret, delivery.raw, delivery.signature)));
      if (verified.length === 0)
        return reject(
          delivery,
          projects,
          projects.length
            ? 'The signature does not match the secret of the project this repository belongs to'
            : 'No project of this engine matches this delivery',
        );
      const event = delivery.event ?? 'unknown';
      const body = decodeBody(delivery.raw, delivery.contentType);
      const results: DeliveryResult['results'] = [];
      for (const project of verified) {
        if (event === 'ping') {
          const row = await record(project, delivery, { outcome: 'ping', reason: 'Webhook ping' });
          results.push({ projectId: project.id, outcome: row ? 'ping' : 'duplicate' });
        } else if (event === 'push') {
          results.push(await onPush(project, delivery, body));
        } else {
          await record(project, delivery, { outcome: 'ignored', reason: `Event ${event} does not deploy` });
          results.push({ projectId: project.id, outcome: 'ignored', reason: `Event ${event} does not deploy` });
        }
      }
      return { event, results };
    },

    /** Deliveries of a project (the caller has checked the project is in its workspace). */
    async list(projectId: string, query: PageQuery) {
      const where = { OR: [{ projectId }, { claimedProjectId: projectId }] };
      const result = await paginate(query, (pageArgs) =>
        db.webhookDelivery.findMany({ where, orderBy: [{ receivedAt: 'desc' }, { id: 'desc' }], ...pageArgs }),
      );
      const items = result.items.map((d) => ({
        id: d.id,
        deliveryId: d.deliveryId,
        event: d.event,
        repository: d.repository,
        ref: d.ref,
        afterSha: d.afterSha,
        signatureOk: d.signatureOk,
        outcome: d.outcome,
        reason: d.reason,
        deploymentId: d.deploymentId,
        receivedAt: d.receivedAt,
      }));
      return { items, nextCursor: result.nextCursor };
    },
  };
}

export type WebhookService = ReturnType<typeof createWebhookService>;

/** The project's secret, and after a rotation the previous one until its grace period ends. */
function acceptedSecrets(project: Pick<Project, 'webhookSecret' | 'previousWebhookSecret' | 'previousWebhookSecretUntil'>, now: Date): string[] {
  const secrets = project.webhookSecret ? [project.webhookSecret] : [];
  if (project.previousWebhookSecret && project.previousWebhookSecretUntil && project.previousWebhookSecretUntil > now)
    secrets.push(project.previousWebhookSecret);
  return secrets;
}
