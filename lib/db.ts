// The Prisma client over the pg driver adapter (Prisma 7 needs no native engine for queries).
import { PrismaPg } from '@prisma/adapter-pg';
import { Prisma, PrismaClient } from '../generated/prisma/client.js';

export type Db = PrismaClient;
export { Prisma };
/** The client inside `db.$transaction(async (tx) => ...)`. */
export type Tx = Prisma.TransactionClient;

/**
 * Takes a transaction-scoped advisory lock named by `key` (released at commit or rollback):
 * work under the same key, in any API replica, runs one at a time.
 */
export async function lockForTransaction(tx: Tx, key: string): Promise<void> {
  await tx.$executeRaw`SELECT pg_advisory_xact_lock(hashtext(${key}))`;
}

/** True for Prisma's unique-constraint violation (P2002): the row already exists. */
export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

export function createDb(databaseUrl: string, { max = 10 }: { max?: number } = {}): Db {
  return new PrismaClient({ adapter: new PrismaPg({ connectionString: databaseUrl, max }) });
}

/** True when the database answers a trivial query within `timeoutMs`. */
export async function databaseIsUp(db: Db, timeoutMs = 2000): Promise<{ up: boolean; error?: string }> {
  try {
    await withTimeout(db.$queryRaw`SELECT 1`, timeoutMs);
    return { up: true };
  } catch (error) {
    return { up: false, error: error instanceof Error ? error.message : String(error) };
  }
}

export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
