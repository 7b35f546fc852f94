// The engine stack on the test run's PostgreSQL cluster and Temporal server.
import { inject } from 'vitest';
import { startEngineStack, type StackOptions, type TestStack } from './engine-stack.js';

export { waitForDeployment, type TestStack, type DeploymentBody } from './engine-stack.js';

export function startStack(options: Omit<StackOptions, 'infra'> = {}): Promise<TestStack> {
  return startEngineStack({
    ...options,
    infra: { pgAdminUrl: inject('pgAdminUrl'), temporalAddress: inject('temporalAddress'), scratchDir: inject('scratchDir') },
  });
}
