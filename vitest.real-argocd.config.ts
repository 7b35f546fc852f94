import { defineConfig } from 'vitest/config';

// `npm run test:real-argocd`: the conformance suite against a real Argo CD and a real Kubernetes
// API (scripts/real-cluster). One cluster for the run; the files run one after another, because
// they share its Argo CD namespace.
export default defineConfig({
  test: {
    pool: 'forks',
    poolOptions: { forks: { singleFork: true } },
    fileParallelism: false,
    globalSetup: ['test/global-setup.ts', 'test/real-argocd/global-setup.ts'],
    include: ['test/real-argocd/**/*.test.ts'],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    reporters: ['default', './test/support/summary-reporter.ts'],
    // Console output (the engine's and Temporal's logs in tests, test/support/test-logs.ts, and the
    // simulators' expected faults) is printed only under a test that failed.
    silent: 'passed-only',
  },
});
