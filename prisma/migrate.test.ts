// The offline migration path (WebAssembly schema engine + pg adapter) against real PostgreSQL
// databases of the test cluster. The real migrations folder and schema are only ever read: every
// test that writes works on a copy in the run's scratch folder.
import { createHash, randomBytes } from 'node:crypto';
import { execFile } from 'node:child_process';
import { cp, mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, describe, expect, inject, it } from 'vitest';
import pg from 'pg';
import { createEmptyDatabase, type TestDatabase } from '../test/support/db.js';
import { applyMigrations, createMigration, DEFAULT_MIGRATIONS_DIR, DEFAULT_SCHEMA_PATH, migrationStatus } from './migrate.js';

const run = promisify(execFile);
const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

// The tables prisma/schema.prisma defines, spelled out so that a schema or migration that loses
// one makes this test fail (the list is also cross-checked against the schema's models below).
const EXPECTED_TABLES = [
  'ApiToken',
  'BuildLogChunk',
  'Deployment',
  'DeploymentStep',
  'LogTicket',
  'Project',
  'WebhookDelivery',
  'Workspace',
  'WorkspacePullRobot',
  'WorkspaceUser',
  '_prisma_migrations',
];

const databases: TestDatabase[] = [];
afterAll(async () => {
  await Promise.all(databases.map((db) => db.drop()));
});

async function emptyDatabase(): Promise<TestDatabase> {
  const db = await createEmptyDatabase('mig');
  databases.push(db);
  return db;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

async function tables(url: string): Promise<string[]> {
  const rows = await query<{ table_name: string }>(
    url,
    `SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY table_name`,
  );
  return rows.map((row) => row.table_name).sort();
}

async function realMigrationNames(): Promise<string[]> {
  const entries = await readdir(DEFAULT_MIGRATIONS_DIR, { withFileTypes: true });
  return entries
    .filter((e) => e.isDirectory())
    .map((e) => e.name)
    .sort();
}

/** A private copy of the real migrations folder, optionally with extra migrations. */
async function migrationsCopy(extra: Record<string, string> = {}): Promise<string> {
  const dir = path.join(inject('scratchDir'), `migrations-${randomBytes(4).toString('hex')}`);
  await cp(DEFAULT_MIGRATIONS_DIR, dir, { recursive: true });
  for (const [name, sql] of Object.entries(extra)) {
    await mkdir(path.join(dir, name));
    await writeFile(path.join(dir, name, 'migration.sql'), sql);
  }
  return dir;
}

describe('the migrations folder', () => {
  it('is standard: migration_lock.toml for postgresql and timestamped folders with migration.sql', async () => {
    const lock = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, 'migration_lock.toml'), 'utf8');
    expect(lock).toMatch(/^provider = "postgresql"$/m);
    const names = await realMigrationNames();
    expect(names.length).toBeGreaterThan(0);
    for (const name of names) {
      expect(name).toMatch(/^\d{14}_[a-z0-9_]+$/);
      await expect(readFile(path.join(DEFAULT_MIGRATIONS_DIR, name, 'migration.sql'), 'utf8')).resolves.toMatch(/^(CREATE|ALTER|DROP) /m);
    }
  });

  it('matches prisma/schema.prisma (a schema change needs `npm run db:migrate:create -- <name>`)', async () => {
    const schema = await readFile(DEFAULT_SCHEMA_PATH, 'utf8');
    const models = [...schema.matchAll(/^model\s+(\w+)\s*\{/gm)].map((m) => m[1]!);
    expect([...models, '_prisma_migrations'].sort()).toEqual(EXPECTED_TABLES);
    // Diffed on a copy so that a drifted schema can never write into the real folder.
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    await expect(createMigration(db.url, 'drift', { migrationsDir: dir })).resolves.toEqual({ noChanges: true });
    // The migrations were replayed into a temporary shadow database, never into the target one.
    expect(await tables(db.url)).toEqual([]);
    expect(await readdir(dir)).toEqual(await readdir(DEFAULT_MIGRATIONS_DIR));
  });
});

describe('applyMigrations', () => {
  it('creates every table of the schema in an empty database, records checksums, then applies nothing', async () => {
    const db = await emptyDatabase();
    expect(await tables(db.url)).toEqual([]);
    const names = await realMigrationNames();
    const lines: string[] = [];

    const first = await applyMigrations(db.url, { log: (line) => lines.push(line) });
    expect(first.applied).toEqual(names);
    expect(lines).toContain(`Applied ${names[0]!}`);
    expect(await tables(db.url)).toEqual(EXPECTED_TABLES);
    const enums = await query<{ typname: string }>(db.url, `SELECT typname FROM pg_type WHERE typtype = 'e' ORDER BY typname`);
    expect(enums.map((r) => r.typname)).toEqual(['DeploymentKind', 'DeploymentStatus', 'DeploymentTrigger', 'StepStatus', 'TokenRole', 'UndeployStatus']);

    const rows = await query<{ migration_name: string; checksum: string; finished_at: Date | null; applied_steps_count: number }>(
      db.url,
      'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations ORDER BY migration_name',
    );
    expect(rows.map((r) => r.migration_name)).toEqual(names);
    for (const row of rows) {
      const file = await readFile(path.join(DEFAULT_MIGRATIONS_DIR, row.migration_name, 'migration.sql'));
      expect(row.checksum).toBe(createHash('sha256').update(file).digest('hex'));
      expect(row.finished_at).toBeInstanceOf(Date);
      expect(row.applied_steps_count).toBe(1);
    }

    const second = await applyMigrations(db.url);
    expect(second.applied).toEqual([]);
    const after = await query<{ n: string }>(db.url, 'SELECT count(*) AS n FROM _prisma_migrations');
    expect(Number(after[0]!.n)).toBe(names.length);
  });

  it('runs a script with $$ bodies and literal semicolons as one script', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy({
      '29990101000000_trigger': [
        '-- keeps updatedAt fresh; the body has semicolons',
        'CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$',
        'BEGIN',
        '  NEW."updatedAt" := now();',
        '  RETURN NEW;',
        'END;',
        '$$ LANGUAGE plpgsql;',
        `CREATE TABLE "Note" ("id" TEXT PRIMARY KEY, "body" TEXT NOT NULL DEFAULT 'a;b');`,
        '',
      ].join('\n'),
    });
    const { applied } = await applyMigrations(db.url, { migrationsDir: dir });
    expect(applied.at(-1)).toBe('29990101000000_trigger');
    expect(await query(db.url, `SELECT 1 FROM pg_proc WHERE proname = 'touch_updated_at'`)).toHaveLength(1);
    const defaults = await query<{ column_default: string }>(
      db.url,
      `SELECT column_default FROM information_schema.columns WHERE table_name = 'Note' AND column_name = 'body'`,
    );
    expect(defaults[0]?.column_default).toBe(`'a;b'::text`);
  });

  it('records a failing migration as failed, rolls its script back and throws the database message', async () => {
    const db = await emptyDatabase();
    const broken = '29990101000000_broken';
    const dir = await migrationsCopy({ [broken]: 'CREATE TABLE "ShouldNotExist" ("id" INTEGER);\nSELEC 1;\n' });

    const failure = await applyMigrations(db.url, { migrationsDir: dir }).then(
      () => undefined,
      (error: unknown) => error as Error,
    );
    expect(failure).toBeInstanceOf(Error);
    expect(failure!.message).toContain('syntax error at or near "SELEC"');
    expect(failure!.message).toContain(broken);

    // The earlier migrations were applied; the broken one left nothing behind but its record.
    expect(await tables(db.url)).toEqual(EXPECTED_TABLES);
    const rows = await query<{ finished_at: Date | null; rolled_back_at: Date | null; logs: string | null; applied_steps_count: number }>(
      db.url,
      'SELECT finished_at, rolled_back_at, logs, applied_steps_count FROM _prisma_migrations WHERE migration_name = $1',
      [broken],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0]!.finished_at).toBeNull();
    expect(rows[0]!.rolled_back_at).toBeNull();
    expect(rows[0]!.applied_steps_count).toBe(0);
    expect(rows[0]!.logs).toContain('SELEC');

    const status = await migrationStatus(db.url, { migrationsDir: dir });
    expect(status.failed).toEqual([broken]);
    expect(status.pending).toEqual([]);
    expect(status.applied).toEqual(await realMigrationNames());

    // Like `prisma migrate deploy`: nothing more is applied until the failure is resolved.
    await expect(applyMigrations(db.url, { migrationsDir: dir })).rejects.toThrow(/failed migrations/);
  });

  it('can be called for many databases at once in one process', async () => {
    const dbs = await Promise.all([emptyDatabase(), emptyDatabase(), emptyDatabase(), emptyDatabase()]);
    const results = await Promise.all(dbs.map((db) => applyMigrations(db.url)));
    const names = await realMigrationNames();
    expect(results.map((r) => r.applied)).toEqual(dbs.map(() => names));
    for (const db of dbs) expect(await tables(db.url)).toEqual(EXPECTED_TABLES);
  });

  it('fails with the database message when the database does not exist', async () => {
    const url = inject('pgAdminUrl').replace(/\/postgres$/, '/no_such_database_here');
    await expect(applyMigrations(url)).rejects.toThrow(/no_such_database_here/);
  });
});

describe('migrationStatus', () => {
  it('reports pending migrations before and applied ones after', async () => {
    const db = await emptyDatabase();
    const names = await realMigrationNames();
    expect(await migrationStatus(db.url)).toMatchObject({ applied: [], pending: names, failed: [] });

    await applyMigrations(db.url);
    expect(await migrationStatus(db.url)).toMatchObject({ applied: names, pending: [], failed: [], edited: [], notInFolder: [] });

    const dir = await migrationsCopy({ '29990101000000_next': 'CREATE TABLE "Later" ("id" INTEGER PRIMARY KEY);\n' });
    expect(await migrationStatus(db.url, { migrationsDir: dir })).toMatchObject({
      applied: names,
      pending: ['29990101000000_next'],
      failed: [],
    });
  });
});

describe('createMigration', () => {
  it('writes the migration for a schema change, then reports no changes', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    const schemaPath = path.join(dir, '..', `schema-${randomBytes(4).toString('hex')}.prisma`);
    const schema = await readFile(DEFAULT_SCHEMA_PATH, 'utf8');
    await writeFile(
      schemaPath,
      `${schema}\nmodel AuditEvent {\n  id        String   @id @default(uuid())\n  message   String\n  createdAt DateTime @default(now())\n\n  @@index([createdAt])\n}\n`,
    );
    const before = await readdir(dir);

    const result = await createMigration(db.url, 'Add audit events', { migrationsDir: dir, schemaPath });
    expect(result).toHaveProperty('created');
    const created = (result as { created: string }).created;
    expect(path.dirname(created)).toBe(dir);
    expect(path.basename(created)).toMatch(/^\d{14}_add_audit_events$/);
    expect(
      path.basename(created) >
        before
          .filter((n) => /^\d{14}_/.test(n))
          .sort()
          .at(-1)!,
    ).toBe(true);
    const sql = await readFile(path.join(created, 'migration.sql'), 'utf8');
    expect(sql).toContain('CREATE TABLE "AuditEvent"');
    expect(sql).toContain('CREATE INDEX "AuditEvent_createdAt_idx"');
    expect(sql).not.toContain('CREATE TABLE "Workspace"');

    const again = await createMigration(db.url, 'again', { migrationsDir: dir, schemaPath });
    expect(again).toEqual({ noChanges: true });
    expect(await tables(db.url)).toEqual([]);
    expect((await readdir(dir)).sort()).toEqual([...before, path.basename(created)].sort());

    // The new folder applies on top of the others.
    const target = await emptyDatabase();
    await applyMigrations(target.url, { migrationsDir: dir });
    expect(await tables(target.url)).toEqual([...EXPECTED_TABLES, 'AuditEvent'].sort());

    // The shadow databases were dropped again.
    const shadows = await query(inject('pgAdminUrl'), `SELECT datname FROM pg_database WHERE datname LIKE 'prisma_shadow_%'`);
    expect(shadows).toEqual([]);
  });

  it('writes migration_lock.toml with the first migration of an empty folder', async () => {
    const db = await emptyDatabase();
    const dir = path.join(inject('scratchDir'), `fresh-${randomBytes(4).toString('hex')}`);
    const result = await createMigration(db.url, 'init', { migrationsDir: dir });
    expect(result).toHaveProperty('created');
    expect(await readFile(path.join(dir, 'migration_lock.toml'), 'utf8')).toMatch(/^provider = "postgresql"$/m);
    const sql = await readFile(path.join((result as { created: string }).created, 'migration.sql'), 'utf8');
    for (const table of EXPECTED_TABLES.filter((t) => t !== '_prisma_migrations')) expect(sql).toContain(`CREATE TABLE "${table}"`);
  });

  it('rejects a name without letters or digits and writes nothing', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy();
    const before = await readdir(dir);
    await expect(createMigration(db.url, ' -- ', { migrationsDir: dir })).rejects.toThrow(/Invalid migration name/);
    expect(await readdir(dir)).toEqual(before);
  });
});

describe('the CLI', () => {
  const cli = (args: string[], env: NodeJS.ProcessEnv) =>
    run(process.execPath, ['--import', 'tsx', 'prisma/migrate.ts', ...args], { cwd: ROOT, env: { ...process.env, ...env } }).then(
      ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
      (error: { code?: number; stdout?: string; stderr?: string }) => ({ code: error.code ?? -1, stdout: error.stdout ?? '', stderr: error.stderr ?? '' }),
    );

  it('deploys, reports nothing pending, and shows the status', async () => {
    const db = await emptyDatabase();
    const names = await realMigrationNames();
    const first = await cli(['deploy'], { DATABASE_URL: db.url });
    expect(first).toMatchObject({ code: 0 });
    expect(first.stdout).toContain(`Applied ${names.length} migration(s)`);
    expect(first.stdout).toContain(names[0]);

    const second = await cli(['deploy'], { DATABASE_URL: db.url });
    expect(second).toMatchObject({ code: 0 });
    expect(second.stdout.trim()).toBe('No pending migrations');

    const status = await cli(['status'], { DATABASE_URL: db.url });
    expect(status).toMatchObject({ code: 0 });
    expect(status.stdout).toContain('Database schema is up to date');
  });

  it('exits non-zero naming DATABASE_URL when it is missing', async () => {
    const result = await cli(['deploy'], { DATABASE_URL: '' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('DATABASE_URL');
  });

  it('exits non-zero with the database message when a migration fails', async () => {
    const db = await emptyDatabase();
    const dir = await migrationsCopy({ '29990101000000_broken': 'SELEC 1;\n' });
    const result = await cli(['deploy', '--migrations-dir', dir], { DATABASE_URL: db.url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('syntax error at or near "SELEC"');

    const status = await cli(['status', `--migrations-dir=${dir}`], { DATABASE_URL: db.url });
    expect(status.code).toBe(1);
    expect(status.stdout).toMatch(/Failed \(1\)\n {2}- 29990101000000_broken/);
  });
});
