// createActivities(deps): every activity of the engine, from one factory per outside system.
// The clients come in with deps (clients/index.ts): no factory builds one of its own.
import type { ActivityDeps } from './deps.js';
import type { DeployActivities } from './types.js';
import { createRecordActivities } from './records.js';
import { createSourceActivities } from './source.js';
import { createBuildActivities } from './build.js';
import { createRegistryActivities } from './registry.js';
import { createGitOpsActivities } from './gitops.js';
import { createArgoCdActivities } from './argocd.js';
import { createGitHubActivities } from './github.js';
import { createRepoCredentials } from './repo-credentials.js';
import { createUndeployActivities } from './undeploy.js';
import type { UndeployActivities } from './undeploy-types.js';

export type { ActivityDeps } from './deps.js';

export function createActivities(deps: ActivityDeps): DeployActivities & UndeployActivities {
  const credentials = createRepoCredentials(deps, deps.clients.githubApp);
  return {
    ...createRecordActivities(deps),
    ...createSourceActivities(deps, credentials),
    ...createBuildActivities(deps, credentials),
    ...createRegistryActivities(deps),
    ...createGitOpsActivities(deps),
    ...createArgoCdActivities(deps),
    ...createGitHubActivities(deps),
    ...createUndeployActivities(deps),
  };
}
