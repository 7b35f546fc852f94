// The state of the engine's two dependencies, checked in parallel with short timeouts.
import type { Client } from '@temporalio/client';
import { databaseIsUp, type Db } from '../../lib/db.js';
import { temporalIsUp } from '../../lib/temporal.js';

export interface HealthReport {
  status: 'ok' | 'degraded';
  checks: { database: DependencyState; temporal: DependencyState };
  down: string[];
}
interface DependencyState {
  status: 'up' | 'down';
  error?: string;
}

export interface HealthService {
  check(): Promise<HealthReport>;
}

export function createHealthService({ db, temporal }: { db: Db; temporal: Client }): HealthService {
  return {
    async check() {
      const [database, temporalState] = await Promise.all([databaseIsUp(db), temporalIsUp(temporal)]);
      const checks = { database: toState(database), temporal: toState(temporalState) };
      const down = Object.entries(checks)
        .filter(([, s]) => s.status === 'down')
        .map(([name]) => name);
      return { status: down.length === 0 ? 'ok' : 'degraded', checks, down };
    },
  };
}

function toState(result: { up: boolean; error?: string }): DependencyState {
  // Connection errors can carry the database URL: report only their first line, no URL.
  const error = result.error?.split('\n')[0]?.replace(/\w+:\/\/\S+/g, '<url>');
  return result.up ? { status: 'up' } : { status: 'down', error };
}
