// A fresh database per test file, on the run's private cluster.
import { inject } from 'vitest';
import { createDatabase, createEmptyDatabaseOn, type TestDatabase } from './database.js';

export type { TestDatabase } from './database.js';

/** Creates an empty database (no migrations applied). */
export function createEmptyDatabase(prefix = 't'): Promise<TestDatabase> {
  return createEmptyDatabaseOn(inject('pgAdminUrl'), prefix);
}

/** Creates a database with every migration applied. */
export function createTestDatabase(prefix = 't'): Promise<TestDatabase> {
  return createDatabase(inject('pgAdminUrl'), prefix);
}
