import { defineConfig } from 'vitest/config';

// Temporal's native bridge has crashed runs inside worker threads (sdk-typescript#876):
// every test file runs in a forked process. The global setup starts one private PostgreSQL
// cluster and one Temporal dev server for the whole run; each file gets its own database
// and task queue from test/support.
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    globalSetup: ['test/global-setup.ts'],
    include: ['**/*.test.ts'],
    exclude: ['node_modules/**', '.data/**', 'generated/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
  },
});
