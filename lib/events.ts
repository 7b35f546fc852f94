// Deployment events over PostgreSQL LISTEN/NOTIFY: the worker publishes small notices (a log
// chunk was stored, a step or the status changed); every API process listens and tells its
// viewers, which read the content itself from the database. Works with any number of replicas.
import { z } from 'zod';
import type { Db } from './db.js';

export const EVENTS_CHANNEL = 'deployment_events';

export const deploymentEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('log'), deploymentId: z.string(), end: z.number().int().min(0) }),
  z.object({ type: z.literal('step'), deploymentId: z.string(), name: z.string(), status: z.string() }),
  z.object({ type: z.literal('status'), deploymentId: z.string(), status: z.string() }),
]);
export type DeploymentEvent = z.infer<typeof deploymentEventSchema>;

export const FINAL_STATUSES = new Set(['succeeded', 'failed', 'cancelled', 'superseded']);

/** Publishes one event; NOTIFY payloads stay far below PostgreSQL's 8000-byte limit. */
export async function publishEvent(db: Db, event: DeploymentEvent): Promise<void> {
  await db.$executeRaw`SELECT pg_notify(${EVENTS_CHANNEL}, ${JSON.stringify(event)})`;
}
