// What the worker (activities/pull-access.ts) and the API (api/services/pull-credentials.ts) must
// agree on about a workspace's pull-only Harbor robot: its name and how its stored secret is sealed.
import { decryptCredential, encryptCredential, rewrapCredential, type KeyRing } from './credential-crypto.js';
import type { Env } from './config.js';
import type { Db } from './db.js';

/** The robot's name inside the Harbor project (Harbor shows it as `robot$<project>+pull-<workspaceId>`). */
export function pullRobotName(workspaceId: string): string {
  return `pull-${workspaceId}`;
}

/**
 * The envelope's associated data: the secret opens only on its own workspace's row, so an
 * envelope copied onto another workspace's row does not (the same rule as repository credentials).
 */
const bindingOf = (workspaceId: string) => `pull-robot:${workspaceId}`;

export function sealPullSecret(ring: KeyRing, workspaceId: string, secret: string): { envelope: string; keyId: string } {
  return encryptCredential(ring, secret, bindingOf(workspaceId));
}

export function openPullSecret(ring: KeyRing, workspaceId: string, envelope: string): string {
  return decryptCredential(ring, envelope, bindingOf(workspaceId));
}

/** The registry host the cluster pulls from: the one written into image references (activities/gitops.ts). */
export function pullRegistryHost(config: Pick<Env, 'REGISTRY_HOST' | 'HARBOR_URL'>): string {
  return config.REGISTRY_HOST ?? new URL(config.HARBOR_URL).host;
}

/**
 * Re-wraps every stored pull-robot secret whose data key is not under the active master key, the
 * way lib/credential-rotation.ts does for repository credentials: only a row whose envelope is
 * still the one read is updated, so a secret refreshed meanwhile is never overwritten.
 */
export async function rewrapPullSecrets(db: Db, ring: KeyRing): Promise<{ rewrapped: number; current: number; skipped: number }> {
  const result = { rewrapped: 0, current: 0, skipped: 0 };
  const rows = await db.workspacePullRobot.findMany({ where: { secret: { not: null } }, select: { workspaceId: true, secret: true, secretKeyId: true } });
  for (const row of rows) {
    if (row.secretKeyId === ring.active.id) {
      result.current += 1;
      continue;
    }
    const next = rewrapCredential(ring, row.secret!, bindingOf(row.workspaceId));
    const { count } = await db.workspacePullRobot.updateMany({
      where: { workspaceId: row.workspaceId, secret: row.secret },
      data: { secret: next.envelope, secretKeyId: next.keyId },
    });
    if (count === 1) result.rewrapped += 1;
    else result.skipped += 1;
  }
  return result;
}

/** How many stored pull secrets each key id wraps (to know when an old key can be dropped). */
export async function pullSecretsByKey(db: Db): Promise<Record<string, number>> {
  const groups = await db.workspacePullRobot.groupBy({ by: ['secretKeyId'], where: { secret: { not: null } }, _count: { _all: true } });
  return Object.fromEntries(groups.map((g) => [g.secretKeyId ?? '(none)', g._count._all]));
}
