// The scenario control API, mounted at /_sim on every simulator. Scenarios are shared by all
// simulators (one world); faults and counters belong to the simulator that serves the request.
import { Hono } from 'hono';
import { z } from 'zod';
import { scenarioSchema, type ScenarioStore } from './scenario.js';
import { faultsSchema, type FaultInjector } from './faults.js';
import type { Counters } from './counters.js';

export interface ControlOptions {
  scenarios: ScenarioStore;
  faults: FaultInjector;
  counters: Counters;
  /** Extra state a simulator wants to clear on POST /_sim/reset. */
  onReset?: () => void;
}

export function createControlApi({ scenarios, faults, counters, onReset }: ControlOptions): Hono {
  const app = new Hono();
  const invalid = (error: z.ZodError) => ({ error: 'invalid body', issues: z.treeifyError(error) });

  app.get('/scenarios', (c) => c.json(scenarios.list()));
  app.put('/scenarios/default', async (c) => {
    const parsed = scenarioSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    return c.json(scenarios.setDefault(parsed.data));
  });
  // The key is an app name or a URL-encoded repository URL.
  app.put('/scenarios/:key', async (c) => {
    const parsed = scenarioSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    return c.json(scenarios.set(c.req.param('key'), parsed.data));
  });
  app.delete('/scenarios/default', (c) => {
    scenarios.setDefault({});
    return c.body(null, 204);
  });
  app.delete('/scenarios/:key', (c) => (scenarios.delete(c.req.param('key')) ? c.body(null, 204) : c.json({ error: 'no such scenario' }, 404)));

  app.get('/faults', (c) => c.json(faults.current));
  app.put('/faults', async (c) => {
    const parsed = faultsSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    return c.json(faults.configure(parsed.data));
  });

  app.get('/counters', (c) => c.json(counters.snapshot()));
  app.post('/counters/reset', (c) => {
    counters.reset();
    return c.body(null, 204);
  });

  app.post('/reset', (c) => {
    scenarios.reset();
    faults.configure({});
    counters.reset();
    onReset?.();
    return c.body(null, 204);
  });
  return app;
}
