// What every benchmark script shares: its own throwaway PostgreSQL and Temporal, the whole
// engine on them (simulators, worker, API app), cleaned up afterwards, and an exit code.
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startPostgres } from './postgres.js';
import { startTemporal } from './temporal-server.js';
import { startEngineStack, type StackOptions, type TestStack } from '../../test/support/engine-stack.js';

/** Runs `work` against a fresh engine stack, then stops everything and exits the process. */
export function runBenchmark(name: string, options: Omit<StackOptions, 'infra'>, work: (stack: TestStack, scratchDir: string) => Promise<void>): void {
  const run = async () => {
    const scratchDir = mkdtempSync(path.join(os.tmpdir(), `deploy-engine-${name}-`));
    chmodSync(scratchDir, 0o755); // initdb runs as the postgres user when we are root
    const [pg, temporal] = await Promise.all([
      startPostgres({ dataDir: path.join(scratchDir, 'pg'), firstPort: 57329, ephemeral: true }),
      startTemporal({ ui: false, firstPort: 27233 }),
    ]);
    const stack = await startEngineStack({ ...options, infra: { pgAdminUrl: pg.adminUrl, temporalAddress: temporal.address, scratchDir } });
    try {
      await work(stack, scratchDir);
    } finally {
      await stack.close();
      await temporal.stop();
      pg.stop();
      rmSync(scratchDir, { recursive: true, force: true });
    }
  };
  run().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
}
