// A workspace's pull-only Harbor robot account: made once, before the workspace's first release
// needs to pull, and kept in PostgreSQL with its secret encrypted (lib/credential-crypto.ts via
// lib/pull-robot.ts). External Secrets reads it back through GET /v1/pull-credentials/:workspaceId
// (docs/pull-credentials.md); nothing of the secret reaches Temporal or the logs.
//
// Exactly one robot per workspace, whoever asks and however often:
//   - the row's primary key is the workspace id, and callers serialize on a transaction-scoped
//     advisory lock, so concurrent first deploys (any worker) create one robot, not two;
//   - Harbor shows a secret only in the answer that made it. A caller that dies after Harbor
//     created the robot but before the row was written leaves a robot whose secret nobody has:
//     the next caller's create gets 409, finds the robot by name and refreshes its secret.
import { ClientError } from '../clients/errors.js';
import type { HarborClient, HarborRobot } from '../clients/harbor.js';
import type { Env } from '../lib/config.js';
import { lockForTransaction, type Db } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';
import { pullRegistryHost, pullRobotName, sealPullSecret } from '../lib/pull-robot.js';
import { keyRingOf } from './repo-credentials.js';
import { terminal, TerminalFailure, toActivityFailure, transient, TransientFailure } from './errors.js';

export interface PullAccessDeps {
  db: Db;
  config: Env;
  logger: Logger;
  /** Harbor with HARBOR_ROBOT_ADMIN_* (an account that may create robots): createClients' harborRobotAdmin. */
  harbor: HarborClient;
}

/** What the caller learns: which robot pulls for the workspace. Never its secret. */
export interface WorkspacePullAccess {
  workspaceId: string;
  /** e.g. harbor.example.com: the `registry` of the pull secret */
  registry: string;
  /** robot$<project>+pull-<workspaceId> */
  robotName: string;
  robotId: number;
  /** true when this call made (or re-keyed) the robot, false when it was already in place */
  created: boolean;
}

/** Harbor calls inside the lock take up to three requests of at most 15 s each. */
const TRANSACTION_TIMEOUT_MS = 60_000;

export async function ensureWorkspacePullAccess(deps: PullAccessDeps, workspaceId: string): Promise<WorkspacePullAccess> {
  const { db, config, logger, harbor } = deps;
  const registry = pullRegistryHost(config);
  const ready = (row: { robotName: string; robotId: number | null; secret: string | null }) => row.robotId !== null && row.secret !== null;

  const existing = await db.workspacePullRobot.findUnique({ where: { workspaceId } });
  if (existing && ready(existing)) return { workspaceId, registry, robotName: existing.robotName, robotId: existing.robotId!, created: false };

  const ring = keyRingOf(config);
  if (!ring)
    throw terminal(
      TerminalFailure.invalidInput,
      "The worker cannot store the workspace's pull credential: CREDENTIAL_KEYS is not set (docs/pull-credentials.md)",
    );
  if (!(await db.workspace.findUnique({ where: { id: workspaceId }, select: { id: true } }))) {
    throw terminal(TerminalFailure.invalidInput, `Workspace ${workspaceId} does not exist`);
  }
  const name = pullRobotName(workspaceId);

  return db.$transaction(
    async (tx) => {
      await lockForTransaction(tx, `pull-robot:${workspaceId}`);
      // Another caller may have finished while this one waited for the lock.
      const row = await tx.workspacePullRobot.findUnique({ where: { workspaceId } });
      if (row && ready(row)) return { workspaceId, registry, robotName: row.robotName, robotId: row.robotId!, created: false };

      const robot = await withHarborFailures(() => createOrRekey(harbor, name, config.HARBOR_PROJECT));
      const { envelope, keyId } = sealPullSecret(ring, workspaceId, robot.secret);
      const data = { robotName: robot.name, robotId: robot.id, secret: envelope, secretKeyId: keyId, secretSetAt: new Date() };
      await tx.workspacePullRobot.upsert({ where: { workspaceId }, create: { workspaceId, ...data }, update: data });
      logger.info('workspace pull robot ready', { workspaceId, robot: robot.name, robotId: robot.id, how: robot.how, keyId });
      return { workspaceId, registry, robotName: robot.name, robotId: robot.id, created: true };
    },
    { timeout: TRANSACTION_TIMEOUT_MS, maxWait: TRANSACTION_TIMEOUT_MS },
  );
}

/** A new robot with its secret; or, when Harbor has one of that name already (409), that one with a fresh secret. */
async function createOrRekey(
  harbor: HarborClient,
  name: string,
  project: string,
): Promise<{ id: number; name: string; secret: string; how: 'created' | 'rekeyed' }> {
  try {
    const created = await harbor.createProjectRobot({
      name,
      repositoryActions: ['pull'],
      description: "deploy-engine: pulls this workspace's images (docs/pull-credentials.md)",
    });
    return { id: created.id, name: created.name, secret: created.secret, how: 'created' };
  } catch (error) {
    if (!(error instanceof ClientError && error.kind === 'conflict')) throw error;
  }
  const found = await harbor.findProjectRobot(name);
  if (!found) throw transient(TransientFailure.unavailable, `Harbor says robot ${name} exists in project ${project} but does not list it`);
  if (!isPullOnly(found, project)) {
    // Never hand out a robot that can do more than pull: someone made or edited it by hand.
    throw terminal(
      TerminalFailure.invalidInput,
      `Harbor robot ${found.name} exists with permissions other than pulling from project ${project}: delete it in Harbor and retry`,
    );
  }
  return { id: found.id, name: found.name, secret: await harbor.refreshRobotSecret(found.id), how: 'rekeyed' };
}

function isPullOnly(robot: HarborRobot, project: string): boolean {
  const permissions = robot.permissions ?? [];
  return (
    permissions.length > 0 &&
    permissions.every(
      (p) =>
        p.kind === 'project' && p.namespace === project && p.access.length > 0 && p.access.every((a) => a.resource === 'repository' && a.action === 'pull'),
    )
  );
}

/** Harbor's failures as the deploy chain names them: transient ones retried, the rest terminal with the reason. */
async function withHarborFailures<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toActivityFailure(error, 'pull_access');
  }
}
