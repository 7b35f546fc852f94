// Starts what the whole test run needs, once: a throwaway PostgreSQL cluster and a Temporal
// dev server (in memory, no UI), both on free ports, never the developer's running stack.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startPostgres } from '../scripts/lib/postgres.js';
import { startTemporal } from '../scripts/lib/temporal-server.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Superuser URL of the `postgres` database of the test cluster (create your own database). */
    pgAdminUrl: string;
    /** host:port of the test Temporal server. */
    temporalAddress: string;
    /** A scratch folder for this run, removed at the end. */
    scratchDir: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const scratchDir = mkdtempSync(path.join(os.tmpdir(), 'deploy-engine-test-'));
  // As root, initdb runs as the postgres user, which must be able to enter this folder.
  chmodSync(scratchDir, 0o755);
  const [pg, temporal] = await Promise.all([
    startPostgres({ dataDir: path.join(scratchDir, 'pg'), firstPort: 55329, ephemeral: true }),
    startTemporal({ ui: false, firstPort: 17233 }),
  ]);
  project.provide('pgAdminUrl', pg.adminUrl);
  project.provide('temporalAddress', temporal.address);
  project.provide('scratchDir', scratchDir);
  return async () => {
    await temporal.stop();
    pg.stop();
    rmSync(scratchDir, { recursive: true, force: true });
  };
}
