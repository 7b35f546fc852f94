// One schema-engine instance for one command against one database: construct, run, free, close
// every connection (and drop every shadow database), and turn engine failures into plain Errors
// carrying the engine's (and so the database's) message.
import { bindMigrationAwareSqlAdapterFactory, type ErrorRegistry } from '@prisma/driver-adapter-utils';
import type { SchemaFilter } from '@prisma/schema-engine-wasm/schema_engine_bg';
import { PgMigrationAdapterFactory } from './adapter.js';
import { loadSchemaEngine, type SchemaEngineInstance } from './wasm.js';

/** No externally managed tables or enums (prisma.config.ts declares none). */
export const NO_FILTERS: SchemaFilter = { externalTables: [], externalEnums: [] };

export interface SchemaFile {
  path: string;
  content: string;
}

export interface SessionOptions {
  /** The Prisma schema the engine is constructed with, if any. */
  schema?: SchemaFile;
  /** Receives the engine's own log lines (JSON tracing events). */
  engineLog?: (line: string) => void;
}

export interface Session {
  engine: SchemaEngineInstance;
  factory: PgMigrationAdapterFactory;
}

/** An engine failure: `message` is the engine's message, `code` the Prisma error code when it has one. */
export class MigrationEngineError extends Error {
  override name = 'MigrationEngineError';
  constructor(
    message: string,
    readonly code?: string,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

// The engine appends a Rust span trace ("   0: sql_schema_connector::...\n   with ...\n   at ...")
// to its messages: useful to us only for the name of the migration that failed.
const SPAN_TRACE = /\n\s*0: [a-z_]+::[\s\S]*$/;

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Rewrites an engine error message for humans; `registry` resolves the adapter's JS errors. */
export function engineErrorMessage(message: string, registry?: ErrorRegistry): string {
  const trace = SPAN_TRACE.exec(message)?.[0] ?? '';
  let text = message.slice(0, message.length - trace.length).trimEnd();
  // A JS exception raised inside the adapter reaches the engine as "External error id#<n>".
  text = text.replace(/External error id#(\d+)/g, (whole, id: string) => {
    const record = registry?.consumeError(Number(id));
    return record ? errorText(record.error) : whole;
  });
  text = text.replace(/^external connector error\n/, '');
  const migration = /apply_script\s+with migration_name="([^"]+)"/.exec(trace)?.[1];
  return migration ? `Migration ${migration} failed to apply: ${text}` : text;
}

/** Everything the engine rejects with becomes a MigrationEngineError with a readable message. */
export function toEngineError(error: unknown, registry?: ErrorRegistry): MigrationEngineError {
  if (error instanceof MigrationEngineError) return error;
  const code = (error as { code?: unknown } | null)?.code;
  return new MigrationEngineError(engineErrorMessage(errorText(error), registry), typeof code === 'string' && /^P\d{4}$/.test(code) ? code : undefined, {
    cause: error,
  });
}

export async function withSession<T>(databaseUrl: string, options: SessionOptions, run: (session: Session) => Promise<T>): Promise<T> {
  const { SchemaEngine } = await loadSchemaEngine();
  const factory = new PgMigrationAdapterFactory(databaseUrl);
  const bound = bindMigrationAwareSqlAdapterFactory(factory);
  const log = options.engineLog ?? (() => {});
  let engine: SchemaEngineInstance | undefined;
  let result: T;
  try {
    engine = await SchemaEngine.new(
      { datamodels: options.schema ? [[options.schema.path, options.schema.content]] : undefined },
      (line: string) => log(line.trimEnd()),
      bound,
    );
    result = await run({ engine, factory });
  } catch (error) {
    await release(engine, factory).catch(() => {});
    throw toEngineError(error, bound.errorRegistry);
  }
  await release(engine, factory);
  return result;
}

async function release(engine: SchemaEngineInstance | undefined, factory: PgMigrationAdapterFactory): Promise<void> {
  try {
    engine?.free();
  } finally {
    // Closes what the engine left open and drops leftover shadow databases.
    await factory.close();
  }
}
