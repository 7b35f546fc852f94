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
    // test/real-argocd needs the real cluster: npm run test:real-argocd (vitest.real-argocd.config.ts).
    exclude: ['node_modules/**', '.data/**', 'generated/**', 'test/real-argocd/**'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Console output (the engine's and Temporal's logs in tests, test/support/test-logs.ts, and the
    // simulators' expected faults) is printed only under a test that failed.
    silent: 'passed-only',
  },
});
