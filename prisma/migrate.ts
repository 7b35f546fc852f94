// Prisma migrations without the native schema engine: the `prisma` CLI downloads a native engine
// for `migrate`, which these machines cannot reach, so this script drives the same engine compiled
// to WebAssembly (@prisma/schema-engine-wasm) through the pg driver adapter. The migrations folder
// and the `_prisma_migrations` table stay standard: `prisma migrate deploy` works on them wherever
// the native engine is available.
//
//   npx tsx prisma/migrate.ts deploy          apply pending migrations      (npm run db:migrate)
//   npx tsx prisma/migrate.ts status          applied / pending / failed    (npm run db:migrate:status)
//   npx tsx prisma/migrate.ts create <name>   new migration from schema.prisma (npm run db:migrate:create -- <name>)
//
// All read DATABASE_URL. `create` diffs the migrations folder (replayed into a temporary shadow
// database it creates and drops on the same server; the role needs CREATEDB) against the schema.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import type { HistoryDiagnostic } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { parseDatabaseUrl } from './engine/adapter.js';
import { LOCKFILE_CONTENT, migrationTimestamp, normalizeMigrationName, readMigrationsFolder, writeMigration } from './engine/migrations-folder.js';
import { NO_FILTERS, withSession } from './engine/session.js';

const PRISMA_DIR = path.dirname(fileURLToPath(import.meta.url));
export const DEFAULT_MIGRATIONS_DIR = path.join(PRISMA_DIR, 'migrations');
export const DEFAULT_SCHEMA_PATH = path.join(PRISMA_DIR, 'schema.prisma');

export { MigrationEngineError } from './engine/session.js';

export interface ApplyOptions {
  migrationsDir?: string;
  log?: (line: string) => void;
}

/**
 * Applies every pending migration of the folder (`prisma migrate deploy`). Idempotent. A failing
 * migration is recorded as failed in `_prisma_migrations` (as Prisma does) and the returned promise
 * rejects with the engine's message, which includes the database error.
 */
export async function applyMigrations(databaseUrl: string, options: ApplyOptions = {}): Promise<{ applied: string[] }> {
  const migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const log = options.log ?? (() => {});
  const migrationsList = await readMigrationsFolder(migrationsDir);
  log(`${migrationsList.migrationDirectories.length} migration(s) found in ${migrationsDir}`);
  const engineLog = (line: string) => {
    const event = parseEngineLog(line);
    if (event && (event.level === 'WARN' || event.level === 'ERROR')) log(`engine ${event.level.toLowerCase()}: ${event.message}`);
  };
  const { appliedMigrationNames } = await withSession(databaseUrl, { engineLog }, ({ engine }) =>
    engine.applyMigrations({ migrationsList, filters: NO_FILTERS }),
  );
  for (const name of appliedMigrationNames) log(`Applied ${name}`);
  return { applied: appliedMigrationNames };
}

/** The engine logs JSON tracing events: `{"level":"INFO","fields":{"message":...},"target":...}`. */
function parseEngineLog(line: string): { level: string; message: string } | undefined {
  try {
    const event = JSON.parse(line) as { level?: unknown; fields?: { message?: unknown } };
    if (typeof event.level !== 'string') return undefined;
    return { level: event.level, message: typeof event.fields?.message === 'string' ? event.fields.message : line };
  } catch {
    return undefined;
  }
}

export interface MigrationStatus {
  /** Migrations recorded as finished (and not rolled back), in the order they were applied. */
  applied: string[];
  /** Migrations of the folder not yet applied. */
  pending: string[];
  /** Migrations recorded as started but never finished: fix and resolve before deploying again. */
  failed: string[];
  /** Applied migrations whose migration.sql changed since (checksum mismatch). */
  edited: string[];
  /** Migrations recorded in the database that the folder does not have. */
  notInFolder: string[];
}

/** Compares the migrations folder with `_prisma_migrations` (`prisma migrate status`). Read-only. */
export async function migrationStatus(databaseUrl: string, options: { migrationsDir?: string } = {}): Promise<MigrationStatus> {
  const migrationsList = await readMigrationsFolder(options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR);
  const diagnostic = await withSession(databaseUrl, {}, ({ engine }) =>
    engine.diagnoseMigrationHistory({ migrationsList, optInToShadowDatabase: false, filters: NO_FILTERS }),
  );
  const failed = diagnostic.failedMigrationNames;
  const history: HistoryDiagnostic | null = diagnostic.history;
  const unapplied = history && history.diagnostic !== 'migrationsDirectoryIsBehind' ? history.unappliedMigrationNames : [];
  const notInFolder = history && history.diagnostic !== 'databaseIsBehind' ? history.unpersistedMigrationNames : [];
  const applied = diagnostic.hasMigrationsTable ? await readAppliedMigrations(databaseUrl) : [];
  return {
    applied,
    pending: unapplied.filter((name) => !failed.includes(name)),
    failed,
    edited: diagnostic.editedMigrationNames,
    notInFolder,
  };
}

async function readAppliedMigrations(databaseUrl: string): Promise<string[]> {
  const target = parseDatabaseUrl(databaseUrl);
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    const table = target.schema ? `"${target.schema.replaceAll('"', '""')}"._prisma_migrations` : '_prisma_migrations';
    const { rows } = await client.query<{ migration_name: string }>(
      `SELECT migration_name FROM ${table}
       WHERE finished_at IS NOT NULL AND rolled_back_at IS NULL
       ORDER BY started_at, migration_name`,
    );
    return [...new Set(rows.map((row) => row.migration_name))];
  } finally {
    await client.end();
  }
}

export interface CreateOptions {
  migrationsDir?: string;
  schemaPath?: string;
}

/**
 * Writes `<migrationsDir>/<UTC yyyymmddHHMMSS>_<name>/migration.sql` with the SQL that takes the
 * database from the migrations folder to the schema (`prisma migrate diff --from-migrations
 * --to-schema --script`), plus `migration_lock.toml` if missing. `created` is the new folder's
 * path. Nothing is written when the schema matches the folder.
 */
export async function createMigration(databaseUrl: string, name: string, options: CreateOptions = {}): Promise<{ created: string } | { noChanges: true }> {
  const suffix = normalizeMigrationName(name);
  const migrationsDir = options.migrationsDir ?? DEFAULT_MIGRATIONS_DIR;
  const schemaPath = path.resolve(options.schemaPath ?? DEFAULT_SCHEMA_PATH);
  const schema = { path: schemaPath, content: await readFile(schemaPath, 'utf8') };
  const migrationsList = await readMigrationsFolder(migrationsDir);
  // The engine needs the lockfile to know the connector; a first migration writes it.
  migrationsList.lockfile.content ??= LOCKFILE_CONTENT;

  const result = await withSession(databaseUrl, { schema }, ({ engine }) =>
    engine.diff({
      from: { tag: 'migrations', ...migrationsList },
      to: { tag: 'schemaDatamodel', files: [schema] },
      script: true,
      exitCode: true,
      filters: NO_FILTERS,
    }),
  );
  if (result.exitCode === 0) return { noChanges: true };
  if (result.exitCode !== 2 || !result.stdout) {
    throw new Error(`The schema engine's diff ended with exit code ${result.exitCode} and no script`);
  }
  const existing = migrationsList.migrationDirectories.map((dir) => dir.path);
  const folderName = `${nextTimestamp(existing)}_${suffix}`;
  return { created: await writeMigration(migrationsDir, folderName, result.stdout) };
}

/** Now, or one second after the newest timestamped migration if the clock is not past it. */
function nextTimestamp(existing: string[]): string {
  let date = new Date();
  const newest = existing
    .map((name) => /^(\d{14})/.exec(name)?.[1])
    .filter((ts): ts is string => !!ts)
    .sort()
    .at(-1);
  const parts = newest && newest >= migrationTimestamp(date) ? /^(\d{4})(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)$/.exec(newest) : null;
  if (parts) {
    const [y, mo, d, h, mi, s] = parts.slice(1).map(Number) as [number, number, number, number, number, number];
    date = new Date(Date.UTC(y, mo - 1, d, h, mi, s + 1));
  }
  return migrationTimestamp(date);
}

// ---------------------------------------------------------------------------------------------
// CLI

const USAGE = `Usage: tsx prisma/migrate.ts <command> [--migrations-dir <dir>] [--schema <file>]

  deploy          apply every pending migration of prisma/migrations
  status          list applied, pending and failed migrations (exit 1 unless up to date)
  create <name>   write a new migration from prisma/schema.prisma

DATABASE_URL must point at the PostgreSQL database (postgresql://user:password@host:port/db).`;

interface CliArgs {
  command?: string;
  positional: string[];
  migrationsDir?: string;
  schemaPath?: string;
}

function parseArgs(args: string[]): CliArgs {
  const parsed: CliArgs = { positional: [] };
  for (let i = 0; i < args.length; i += 1) {
    const arg = args[i]!;
    const [flag, inline] = arg.startsWith('--') ? (arg.split(/=(.*)/s, 2) as [string, string?]) : [arg, undefined];
    if (flag === '--migrations-dir' || flag === '--schema') {
      const value = inline ?? args[++i];
      if (!value) throw new Error(`${flag} needs a value`);
      if (flag === '--schema') parsed.schemaPath = value;
      else parsed.migrationsDir = value;
    } else if (parsed.command === undefined) {
      parsed.command = arg;
    } else {
      parsed.positional.push(arg);
    }
  }
  return parsed;
}

async function cli(args: string[], out: (line: string) => void): Promise<number> {
  const { command, positional, migrationsDir, schemaPath } = parseArgs(args);
  if (command === '--help' || command === '-h') {
    out(USAGE);
    return 0;
  }
  if (!command || !['deploy', 'status', 'create'].includes(command)) {
    out(USAGE);
    return 2;
  }
  const databaseUrl = process.env.DATABASE_URL;
  if (!databaseUrl) throw new Error('DATABASE_URL is not set: export DATABASE_URL=postgresql://user:password@host:port/database');

  if (command === 'deploy') {
    const { applied } = await applyMigrations(databaseUrl, { migrationsDir });
    out(applied.length ? `Applied ${applied.length} migration(s):\n${applied.map((n) => `  - ${n}`).join('\n')}` : 'No pending migrations');
    return 0;
  }
  if (command === 'status') {
    const status = await migrationStatus(databaseUrl, { migrationsDir });
    const section = (title: string, names: string[]) => out(`${title} (${names.length})${names.map((n) => `\n  - ${n}`).join('')}`);
    section('Applied', status.applied);
    section('Pending', status.pending);
    section('Failed', status.failed);
    if (status.edited.length) section('Edited after being applied', status.edited);
    if (status.notInFolder.length) section('In the database but not in the folder', status.notInFolder);
    const upToDate = !status.pending.length && !status.failed.length && !status.notInFolder.length;
    out(upToDate ? 'Database schema is up to date' : 'Database schema is NOT up to date');
    return upToDate ? 0 : 1;
  }
  const name = positional.join(' ').trim();
  if (!name) throw new Error('create needs a migration name: tsx prisma/migrate.ts create <name>');
  const result = await createMigration(databaseUrl, name, { migrationsDir, schemaPath });
  out(
    'created' in result
      ? `Created ${path.join(path.relative(process.cwd(), result.created) || result.created, 'migration.sql')}`
      : 'No changes: the schema matches the migrations folder',
  );
  return 0;
}

function isMainModule(): boolean {
  const entry = process.argv[1];
  if (!entry) return false;
  const self = fileURLToPath(import.meta.url);
  return path.resolve(entry) === self || path.resolve(entry) === self.replace(/\.ts$/, '');
}

if (isMainModule()) {
  // The engine's pending timers are unref'd; keep the loop alive until we are done, then exit
  // explicitly (connections and timers must not decide when the CLI ends).
  const keepAlive = setInterval(() => {}, 1 << 30);
  cli(process.argv.slice(2), (line) => console.log(line))
    .then((code) => {
      clearInterval(keepAlive);
      process.exit(code);
    })
    .catch((error: unknown) => {
      clearInterval(keepAlive);
      console.error(`Error: ${error instanceof Error ? error.message : String(error)}`);
      process.exit(1);
    });
}
