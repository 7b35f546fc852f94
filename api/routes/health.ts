// GET /healthz: 200 when PostgreSQL and Temporal both answer, else 503 naming what is down.
import { Hono } from 'hono';
import type { HealthService } from '../services/health.js';

export function healthRoutes(health: HealthService): Hono {
  return new Hono().get('/healthz', async (c) => {
    const report = await health.check();
    return c.json(report, report.status === 'ok' ? 200 : 503);
  });
}
