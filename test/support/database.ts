// A fresh, migrated database on a given cluster (no vitest import: the benchmark uses it too).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { applyMigrations } from '../../prisma/migrate.js';

export interface TestDatabase {
  url: string;
  drop(): Promise<void>;
}

export async function createEmptyDatabaseOn(adminUrl: string, prefix = 't'): Promise<TestDatabase> {
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${name}"`);
  await admin.end();
  return {
    url: adminUrl.replace(/\/postgres$/, `/${name}`),
    drop: async () => {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      await client.end();
    },
  };
}

export async function createDatabase(adminUrl: string, prefix = 't'): Promise<TestDatabase> {
  const db = await createEmptyDatabaseOn(adminUrl, prefix);
  await applyMigrations(db.url);
  return db;
}
