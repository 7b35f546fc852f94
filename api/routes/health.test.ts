// /healthz against a real PostgreSQL and a real Temporal server, then with each one down.
import path from 'node:path';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { createApp } from '../app.js';
import { createHealthService } from '../services/health.js';
import { createDb } from '../../lib/db.js';
import { createLogger } from '../../lib/logger.js';
import { connectTemporalClient } from '../../lib/temporal.js';
import { startPostgres } from '../../scripts/lib/postgres.js';
import { firstFreePort } from '../../scripts/lib/ports.js';

const logger = createLogger({ level: 'error' });
const cleanups: Array<() => unknown> = [];
afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

describe('GET /healthz', () => {
  it('answers 200 when PostgreSQL and Temporal are up, and 503 naming PostgreSQL once it is stopped', async () => {
    // A cluster of its own, so that stopping it does not disturb other tests.
    const pg = await startPostgres({ dataDir: path.join(inject('scratchDir'), 'health-pg'), firstPort: 56329, ephemeral: true });
    cleanups.push(() => pg.stop());
    const db = createDb(pg.url);
    cleanups.push(() => db.$disconnect());
    const temporal = await connectTemporalClient({ address: inject('temporalAddress'), namespace: 'default' });
    cleanups.push(() => temporal.connection.close());
    const app = createApp({ logger, health: createHealthService({ db, temporal }) });

    const up = await app.request('/healthz');
    expect(up.status).toBe(200);
    expect(await up.json()).toEqual({ status: 'ok', checks: { database: { status: 'up' }, temporal: { status: 'up' } }, down: [] });

    pg.stop();
    const down = await app.request('/healthz');
    expect(down.status).toBe(503);
    const body = (await down.json()) as {
      status: string;
      down: string[];
      checks: { database: { status: string; error?: string }; temporal: { status: string } };
    };
    expect(body.status).toBe('degraded');
    expect(body.down).toEqual(['database']);
    expect(body.checks.database.status).toBe('down');
    expect(body.checks.temporal.status).toBe('up');
    expect(JSON.stringify(body)).not.toContain(pg.url);
  });

  it('answers 503 naming Temporal when the Temporal server does not answer', async () => {
    const temporal = await connectTemporalClient({ address: `127.0.0.1:${await firstFreePort(47000)}`, namespace: 'default' });
    const db = createDb(inject('pgAdminUrl'));
    cleanups.push(() => db.$disconnect());
    const app = createApp({ logger, health: createHealthService({ db, temporal }) });
    const res = await app.request('/healthz');
    expect(res.status).toBe(503);
    const body = (await res.json()) as { down: string[] };
    expect(body.down).toEqual(['temporal']);
  });

  it('answers unknown routes with the one JSON error shape', async () => {
    const db = createDb(inject('pgAdminUrl'));
    cleanups.push(() => db.$disconnect());
    const temporal = await connectTemporalClient({ address: inject('temporalAddress'), namespace: 'default' });
    const app = createApp({ logger, health: createHealthService({ db, temporal }) });
    const res = await app.request('/nope');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({ error: { code: 'not_found', message: 'No route for GET /nope' } });
  });
});
