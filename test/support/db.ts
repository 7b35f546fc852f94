// A fresh, migrated database per test file, on the run's private cluster.
import { randomBytes } from 'node:crypto';
import { inject } from 'vitest';
import pg from 'pg';
import { applyMigrations } from '../../prisma/migrate.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

/** Creates an empty database (no migrations applied). */
export async function createEmptyDatabase(prefix = 't'): Promise<TestDatabase> {
  const adminUrl = inject('pgAdminUrl');
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  const url = adminUrl.replace(/\/postgres$/, `/${name}`);
  return {
    url,
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

/** Creates a database with every migration applied. */
export async function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  const db = await createEmptyDatabase(prefix);
  await applyMigrations(db.url);
  return db;
}
