// createActivities(deps): every activity of the engine, from one factory per outside system.
import type { ActivityDeps } from './deps.js';
import type { DeployActivities } from './types.js';
import { createRecordActivities } from './records.js';
import { createSourceActivities } from './source.js';
import { createBuildActivities } from './build.js';
import { createRegistryActivities } from './registry.js';
import { createGitOpsActivities } from './gitops.js';
import { createArgoCdActivities } from './argocd.js';

export type { ActivityDeps } from './deps.js';

export function createActivities(deps: ActivityDeps): DeployActivities {
  return {
    ...createRecordActivities(deps),
    ...createSourceActivities(deps),
    ...createBuildActivities(deps),
    ...createRegistryActivities(deps),
    ...createGitOpsActivities(deps),
    ...createArgoCdActivities(deps),
  };
}
