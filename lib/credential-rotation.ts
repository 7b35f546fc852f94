// Re-wraps every stored credential whose data key is not under the active master key. Safe to
// run while the engine serves: each row is updated only if its envelope is still the one read,
// so a credential replaced meanwhile (PUT) is never overwritten with an older one.
import { rewrapCredential, type KeyRing } from './credential-crypto.js';
import type { Db } from './db.js';

export interface RotationResult {
  /** Rows moved to the active key. */
  rewrapped: number;
  /** Rows already under it. */
  current: number;
  /** Rows replaced by someone else while this ran (they were written with the active key). */
  skipped: number;
}

export async function rotateCredentialKeys(db: Db, ring: KeyRing, batchSize = 200): Promise<RotationResult> {
  const result: RotationResult = { rewrapped: 0, current: 0, skipped: 0 };
  result.current = await db.project.count({ where: { repoCredential: { not: null }, repoCredentialKeyId: ring.active.id } });
  let cursor: string | undefined;
  for (;;) {
    const rows = await db.project.findMany({
      where: { repoCredential: { not: null }, NOT: { repoCredentialKeyId: ring.active.id }, ...(cursor ? { id: { gt: cursor } } : {}) },
      select: { id: true, repoCredential: true },
      orderBy: { id: 'asc' },
      take: batchSize,
    });
    if (rows.length === 0) return result;
    for (const row of rows) {
      const next = rewrapCredential(ring, row.repoCredential!, row.id);
      const { count } = await db.project.updateMany({
        where: { id: row.id, repoCredential: row.repoCredential },
        data: { repoCredential: next.envelope, repoCredentialKeyId: next.keyId },
      });
      if (count === 1) result.rewrapped += 1;
      else result.skipped += 1;
    }
    cursor = rows[rows.length - 1]!.id;
  }
}

/** How many stored credentials each key id wraps (to know when an old key can be dropped). */
export async function credentialsByKey(db: Db): Promise<Record<string, number>> {
  const groups = await db.project.groupBy({ by: ['repoCredentialKeyId'], where: { repoCredential: { not: null } }, _count: { _all: true } });
  return Object.fromEntries(groups.map((g) => [g.repoCredentialKeyId ?? '(none)', g._count._all]));
}
