// Bookkeeping in PostgreSQL: the deployment row, its steps and its final outcome. Every write is
// idempotent and guarded by the current status, so a retried activity never rewrites history.
import type { Prisma } from '../generated/prisma/client.js';
import type { Tx } from '../lib/db.js';
import type { ActivityDeps } from './deps.js';
import type { DeployActivities, DeploymentFacts, Outcome } from './types.js';
import { AUTO_ROLLBACK_REQUESTER, Trigger, deploymentWorkflowId, publicTrigger } from '../lib/workflow-ids.js';
import { terminal, TerminalFailure } from './errors.js';
import { liveUrlOf } from '../gitops/project-view.js';
import { pauseAutoDeploy, rollbackRow } from '../lib/deployment-rows.js';
import { FINAL_STATUSES, publishEvent } from '../lib/events.js';

export function createRecordActivities({
  db,
  config,
  logger,
}: ActivityDeps): Pick<DeployActivities, 'prepareDeployment' | 'markStep' | 'recordOutcome' | 'startAutoRollback'> {
  return {
    async prepareDeployment({ deploymentId, kind, steps }): Promise<DeploymentFacts> {
      const deployment = await db.deployment.findUnique({ where: { id: deploymentId } });
      if (!deployment) throw terminal(TerminalFailure.invalidInput, `Deployment ${deploymentId} does not exist`);
      // The workflow plans by kind: a run that disagrees with the row would run the wrong steps.
      if (deployment.kind !== kind) throw terminal(TerminalFailure.invalidInput, `Deployment ${deploymentId} is a ${deployment.kind}, not a ${kind}`);
      await db.$transaction([
        db.deployment.updateMany({ where: { id: deploymentId, status: 'queued' }, data: { status: 'running', startedAt: new Date() } }),
        db.deploymentStep.createMany({ data: steps.map((name, position) => ({ deploymentId, name, position })), skipDuplicates: true }),
      ]);
      await publishEvent(db, { type: 'status', deploymentId, status: 'running' });
      logger.info('deployment started', { deploymentId, projectId: deployment.projectId, kind: deployment.kind, trigger: deployment.trigger });
      return {
        projectId: deployment.projectId,
        workspaceId: deployment.workspaceId,
        trigger: publicTrigger(deployment.trigger),
        commitSha: deployment.commitSha ?? undefined,
      };
    },

    async markStep({ deploymentId, step, status, detail }) {
      const now = new Date();
      const data: Prisma.DeploymentStepUpdateManyMutationInput = { status, detail };
      if (status === 'running') data.startedAt = now;
      else data.finishedAt = now;
      // Never move a finished step back to running (a retried markStep after the step ended).
      const where: Prisma.DeploymentStepWhereInput = { deploymentId, name: step };
      if (status === 'running') where.status = { in: ['pending', 'running'] };
      const { count } = await db.deploymentStep.updateMany({ where, data });
      if (count > 0) await publishEvent(db, { type: 'step', deploymentId, name: step, status });
    },

    async recordOutcome({ deploymentId, outcome, autoRollback }) {
      await recordOutcome(db, config, deploymentId, outcome, { autoRollback });
      logger.info('deployment finished', { deploymentId, status: outcome.status, ...(outcome.error ? { error: outcome.error } : {}) });
    },

    /** The auto-rollback row recordOutcome wrote with the failure (made here if it did not). */
    async startAutoRollback({ deploymentId }) {
      return db.$transaction((tx) => autoRollbackRow(tx, deploymentId));
    },
  };
}

/** Finds or creates the rollback row of a failed deploy (none without an earlier release). */
async function autoRollbackRow(tx: Tx, deploymentId: string): Promise<{ rollbackId: string | null }> {
  const existing = await tx.deployment.findFirst({ where: { causeDeploymentId: deploymentId, trigger: Trigger.autoRollback } });
  if (existing) return { rollbackId: existing.id };
  const failed = await tx.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { project: { include: { liveDeployment: true } } } });
  const live = failed.project.liveDeployment;
  if (!live || live.id === deploymentId || !live.imageDigest) return { rollbackId: null };
  const rollback = await tx.deployment.create({
    data: rollbackRow(live, { trigger: Trigger.autoRollback, requestedBy: AUTO_ROLLBACK_REQUESTER, causeDeploymentId: deploymentId }),
  });
  await tx.deployment.update({ where: { id: rollback.id }, data: { workflowId: deploymentWorkflowId(rollback.id) } });
  await pauseAutoDeploy(
    tx,
    failed.projectId,
    `Automatic rollback to ${live.commitSha?.slice(0, 7) ?? live.id} after deployment ${deploymentId} failed: ${failed.errorMessage ?? failed.errorType ?? 'unknown error'}`,
  );
  return { rollbackId: rollback.id };
}

/**
 * Writes the outcome. With `autoRollback`, a failure and the rollback row that answers it are
 * written in one transaction: nobody ever reads the failure without the rollback.
 */
export async function recordOutcome(
  db: ActivityDeps['db'],
  config: ActivityDeps['config'],
  deploymentId: string,
  outcome: Outcome,
  { autoRollback = false }: { autoRollback?: boolean } = {},
): Promise<void> {
  await writeOutcome(db, config, deploymentId, outcome, autoRollback && outcome.status === 'failed');
  // Published even when an earlier attempt already wrote it: a viewer must never miss the end.
  await publishEvent(db, { type: 'status', deploymentId, status: outcome.status });
}

async function writeOutcome(
  db: ActivityDeps['db'],
  config: ActivityDeps['config'],
  deploymentId: string,
  outcome: Outcome,
  withAutoRollback: boolean,
): Promise<void> {
  const now = new Date();
  await db.$transaction(async (tx) => {
    const deployment = await tx.deployment.findUnique({ where: { id: deploymentId }, include: { project: true } });
    if (!deployment || FINAL_STATUSES.has(deployment.status)) return; // already recorded
    const error = outcome.error;
    await tx.deployment.update({
      where: { id: deploymentId },
      data: {
        status: outcome.status,
        finishedAt: now,
        errorStep: error?.step,
        errorType: error?.type,
        errorMessage: error?.message,
        ...(outcome.status === 'succeeded' ? { liveAt: now, liveUrl: liveUrlOf(deployment.project, config) } : {}),
      },
    });
    // Steps still open end with the deployment: the failing one failed, the rest skipped.
    const openStatus = outcome.status === 'cancelled' ? 'cancelled' : 'failed';
    await tx.deploymentStep.updateMany({ where: { deploymentId, status: 'running' }, data: { status: openStatus, finishedAt: now } });
    await tx.deploymentStep.updateMany({ where: { deploymentId, status: 'pending' }, data: { status: 'skipped' } });
    if (outcome.status === 'succeeded') {
      const previous = deployment.project.liveDeploymentId;
      if (previous && previous !== deploymentId) {
        await tx.deployment.update({ where: { id: previous }, data: { replacedAt: now } });
      }
      await tx.project.update({ where: { id: deployment.projectId }, data: { liveDeploymentId: deploymentId } });
    }
    if (withAutoRollback) await autoRollbackRow(tx, deploymentId);
  });
}
