// The driver-adapter factory the WebAssembly schema engine talks to PostgreSQL through:
// @prisma/adapter-pg 7.10.1, with its bugs on the schema-engine path worked around from outside
// (node_modules stays untouched):
//
// 1. Decoding: the adapter maps column types by OID and throws "Unsupported column type char" on
//    the single-byte `"char"` type (OID 18, used by pg_catalog columns such as contype, relkind and
//    confdeltype, which the schema describer reads). Our pg Client reports those columns as `text`
//    (pg already hands the value over as a one-character string).
// 2. executeScript: the adapter splits scripts on every `;`, which breaks `$$ ... $$` bodies,
//    string literals and comments containing `;`. We send the whole script in one simple-protocol
//    query instead (what the native engine does): PostgreSQL runs it as one implicit transaction.
// 3. connectToShadowDb: the adapter passes `database` next to `connectionString`, and pg lets the
//    connection string win, so the "shadow" database is the MAIN database (and it drops the
//    temporary database before closing its pool). We create our own temporary database, point a
//    rewritten URL at it, close the pool first and drop the database afterwards.
//
// Every pool has a single connection: the engine relies on session state (its advisory lock
// `pg_advisory_lock(72707369)` is taken on "the" connection, as with the native engine).
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { PrismaPg } from '@prisma/adapter-pg';
import {
  DriverAdapterError,
  type ConnectionInfo,
  type IsolationLevel,
  type SqlDriverAdapter,
  type SqlMigrationAwareDriverAdapterFactory,
  type SqlQuery,
  type SqlResultSet,
  type Transaction,
} from '@prisma/driver-adapter-utils';

const PG_CHAR_OID = 18;
const PG_TEXT_OID = 25;

type FieldList = { fields?: { dataTypeID: number }[] };

function reportCharAsText(result: unknown): void {
  const results = Array.isArray(result) ? (result as unknown[]) : [result];
  for (const one of results) {
    const fields = (one as FieldList | null | undefined)?.fields;
    if (!Array.isArray(fields)) continue;
    for (const field of fields) {
      if (field.dataTypeID === PG_CHAR_OID) field.dataTypeID = PG_TEXT_OID;
    }
  }
}

/** A pg Client whose results describe `"char"` columns as `text` (see 1. above). */
class CharAsTextClient extends pg.Client {}
const baseQuery = Reflect.get(pg.Client.prototype, 'query') as (...args: unknown[]) => unknown;
CharAsTextClient.prototype.query = function query(this: pg.Client, ...args: unknown[]): unknown {
  const last = args.length - 1;
  const callback = args[last];
  if (typeof callback === 'function') {
    args[last] = (error: unknown, result: unknown) => {
      if (!error) reportCharAsText(result);
      (callback as (e: unknown, r: unknown) => void)(error, result);
    };
    return baseQuery.apply(this, args);
  }
  const returned = baseQuery.apply(this, args);
  if (returned instanceof Promise) {
    return returned.then((result: unknown) => {
      reportCharAsText(result);
      return result;
    });
  }
  return returned;
} as typeof pg.Client.prototype.query;

/** Turns a pg error into the structured error the engine renders ("Database error code: ..."). */
export function toDriverAdapterError(error: unknown): unknown {
  if (error instanceof pg.DatabaseError) {
    return new DriverAdapterError({
      kind: 'postgres',
      code: error.code ?? 'N/A',
      severity: error.severity ?? 'N/A',
      message: error.message,
      detail: error.detail,
      column: error.column,
      hint: error.hint,
    });
  }
  return error;
}

export interface PgTarget {
  /** The connection string without Prisma-only parameters. */
  connectionString: string;
  /** The `?schema=` of a Prisma URL, if any. */
  schema?: string;
  database: string;
}

/** Parses a Prisma-style PostgreSQL URL (`postgresql://user@host:port/db?schema=x`). */
export function parseDatabaseUrl(databaseUrl: string): PgTarget {
  let url: URL;
  try {
    url = new URL(databaseUrl);
  } catch {
    throw new Error('The database URL is not a valid URL (expected postgresql://user:password@host:port/database)');
  }
  if (url.protocol !== 'postgresql:' && url.protocol !== 'postgres:') {
    throw new Error(`The database URL must be a postgresql:// URL, got ${url.protocol}//...`);
  }
  const schema = url.searchParams.get('schema') ?? undefined;
  url.searchParams.delete('schema');
  const database = decodeURIComponent(url.pathname.replace(/^\//, ''));
  if (!database) throw new Error('The database URL names no database (expected postgresql://.../<database>)');
  return { connectionString: url.toString(), schema, database };
}

function withDatabase(target: PgTarget, database: string): PgTarget {
  const url = new URL(target.connectionString);
  url.pathname = `/${encodeURIComponent(database)}`;
  return { ...target, connectionString: url.toString(), database };
}

function poolConfig(target: PgTarget): pg.PoolConfig {
  return {
    connectionString: target.connectionString,
    max: 1,
    Client: CharAsTextClient,
    // The migration scripts Prisma generates use unqualified names: resolve them in `schema`.
    ...(target.schema ? { options: `-c search_path="${target.schema.replaceAll('"', '""')}"` } : {}),
  };
}

const quoteIdent = (name: string) => `"${name.replaceAll('"', '""')}"`;

async function adminQuery(target: PgTarget, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: target.connectionString });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

type PgAdapter = Awaited<ReturnType<PrismaPg['connect']>>;

/** Delegates to adapter-pg, with a working executeScript and an idempotent dispose. */
class PgMigrationAdapter implements SqlDriverAdapter {
  readonly provider = 'postgres' as const;
  readonly adapterName: string;
  private disposed: Promise<void> | undefined;

  constructor(
    private readonly inner: PgAdapter,
    private readonly afterDispose?: () => Promise<void>,
  ) {
    this.adapterName = inner.adapterName;
  }

  queryRaw(query: SqlQuery): Promise<SqlResultSet> {
    return this.inner.queryRaw(query);
  }

  executeRaw(query: SqlQuery): Promise<number> {
    return this.inner.executeRaw(query);
  }

  async executeScript(script: string): Promise<void> {
    try {
      // No parameters: pg uses the simple query protocol, which accepts many statements.
      await this.inner.underlyingDriver().query(script);
    } catch (error) {
      throw toDriverAdapterError(error);
    }
  }

  startTransaction(isolationLevel?: IsolationLevel): Promise<Transaction> {
    return this.inner.startTransaction(isolationLevel);
  }

  getConnectionInfo(): ConnectionInfo {
    return this.inner.getConnectionInfo();
  }

  dispose(): Promise<void> {
    this.disposed ??= (async () => {
      try {
        await this.inner.dispose();
      } finally {
        await this.afterDispose?.();
      }
    })();
    return this.disposed;
  }
}

/**
 * A migration-aware adapter factory for one database URL. `close()` disposes every connection and
 * drops every temporary shadow database it created, whatever the engine did or did not dispose.
 */
export class PgMigrationAdapterFactory implements SqlMigrationAwareDriverAdapterFactory {
  readonly provider = 'postgres' as const;
  readonly adapterName = '@prisma/adapter-pg';
  readonly target: PgTarget;
  private readonly open = new Set<PgMigrationAdapter>();

  constructor(databaseUrl: string) {
    this.target = parseDatabaseUrl(databaseUrl);
  }

  async connect(): Promise<SqlDriverAdapter> {
    return this.track(await this.connectTo(this.target));
  }

  async connectToShadowDb(): Promise<SqlDriverAdapter> {
    const name = `prisma_shadow_${randomBytes(8).toString('hex')}`;
    try {
      await adminQuery(this.target, `CREATE DATABASE ${quoteIdent(name)}`);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new Error(`cannot create the temporary shadow database ${name} (the role needs CREATEDB): ${reason}`, { cause: error });
    }
    const drop = () => adminQuery(this.target, `DROP DATABASE IF EXISTS ${quoteIdent(name)} WITH (FORCE)`);
    try {
      return this.track(await this.connectTo(withDatabase(this.target, name), drop));
    } catch (error) {
      await drop();
      throw error;
    }
  }

  async close(): Promise<void> {
    const adapters = [...this.open];
    this.open.clear();
    const results = await Promise.allSettled(adapters.map((adapter) => adapter.dispose()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  private async connectTo(target: PgTarget, afterDispose?: () => Promise<void>): Promise<PgMigrationAdapter> {
    const factory = new PrismaPg(poolConfig(target), target.schema ? { schema: target.schema } : undefined);
    return new PgMigrationAdapter(await factory.connect(), afterDispose);
  }

  private track(adapter: PgMigrationAdapter): PgMigrationAdapter {
    this.open.add(adapter);
    return adapter;
  }
}
