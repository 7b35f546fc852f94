// createActivities(deps): every activity of the engine, from one factory per outside system.
import type { ActivityDeps } from './deps.js';
import type { DeployActivities } from './types.js';
import { createRecordActivities } from './records.js';
import { createSourceActivities } from './source.js';
import { createBuildActivities } from './build.js';
import { createRegistryActivities } from './registry.js';
import { createGitOpsActivities } from './gitops.js';
import { createArgoCdActivities } from './argocd.js';
import { createGitHubActivities, createGitHubClient } from './github.js';

export type { ActivityDeps } from './deps.js';

export function createActivities(deps: ActivityDeps): DeployActivities {
  const github = createGitHubClient(deps.config);
  return {
    ...createRecordActivities(deps),
    ...createSourceActivities(deps, github),
    ...createBuildActivities(deps),
    ...createRegistryActivities(deps),
    ...createGitOpsActivities(deps),
    ...createArgoCdActivities(deps),
    ...createGitHubActivities(deps, github),
  };
}
