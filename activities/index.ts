// createActivities(deps): every activity of the engine, from one factory per outside system.
import { GitHubAppClient } from '../clients/github-app.js';
import type { ActivityDeps } from './deps.js';
import type { DeployActivities } from './types.js';
import { createRecordActivities } from './records.js';
import { createSourceActivities } from './source.js';
import { createBuildActivities } from './build.js';
import { createRegistryActivities } from './registry.js';
import { createGitOpsActivities } from './gitops.js';
import { createArgoCdActivities } from './argocd.js';
import { createGitHubActivities, createGitHubClient } from './github.js';
import { createRepoCredentials } from './repo-credentials.js';
import { createUndeployActivities } from './undeploy.js';
import type { UndeployActivities } from './undeploy-types.js';

export type { ActivityDeps } from './deps.js';

export function createGitHubAppClient(config: ActivityDeps['config']): GitHubAppClient | undefined {
  if (!config.GITHUB_APP_ID || !config.GITHUB_APP_PRIVATE_KEY) return undefined;
  return new GitHubAppClient({ appId: config.GITHUB_APP_ID, privateKeyPem: config.GITHUB_APP_PRIVATE_KEY, baseUrl: config.GITHUB_API_URL });
}

export function createActivities(deps: ActivityDeps): DeployActivities & UndeployActivities {
  const github = createGitHubClient(deps.config);
  const credentials = createRepoCredentials(deps, createGitHubAppClient(deps.config));
  return {
    ...createRecordActivities(deps),
    ...createSourceActivities(deps, credentials, github),
    ...createBuildActivities(deps, credentials),
    ...createRegistryActivities(deps),
    ...createGitOpsActivities(deps),
    ...createArgoCdActivities(deps),
    ...createGitHubActivities(deps, github),
    ...createUndeployActivities(deps),
  };
}
