// Step 4: commit the release values to the GitOps repository. Exactly once: the commit carries
// a `Deployment-Id:` trailer, and a retried attempt finds that commit instead of committing again.
import path from 'node:path';
import { buildValues } from '../gitops/values.js';
import type { BuildValuesInput, PullSecretChoice } from '../gitops/values.js';
import { renderReleaseFiles } from '../gitops/chart.js';
import type { ActivityDeps } from './deps.js';
import { terminal, TerminalFailure, toActivityFailure } from './errors.js';
import { ensureWorkspacePullAccess } from './pull-access.js';
import { projectNames, servesTls } from '../gitops/project-view.js';
import type { DeployActivities } from './types.js';

/** The registry host written into image references. */
export function registryHost(config: ActivityDeps['config']): string {
  return config.REGISTRY_HOST ?? new URL(config.HARBOR_URL).host;
}

/** The platform's choices for every release's values: pull secret, IngressClass and TLS. */
export function platformValues(config: ActivityDeps['config']): Pick<BuildValuesInput, 'pullSecret' | 'ingressClassName' | 'tls' | 'clusterIssuer'> {
  const pullSecret: PullSecretChoice =
    config.PULL_SECRET_MODE === 'external-secret'
      ? { mode: 'external-secret', store: config.PULL_SECRET_STORE }
      : config.PULL_SECRET_MODE === 'existing'
        ? { mode: 'existing', name: config.PULL_SECRET_NAME }
        : { mode: 'none' };
  const tls = servesTls(config);
  return {
    pullSecret,
    ingressClassName: config.INGRESS_CLASS_NAME,
    tls,
    ...(tls && config.CERT_MANAGER_CLUSTER_ISSUER !== 'none' ? { clusterIssuer: config.CERT_MANAGER_CLUSTER_ISSUER } : {}),
  };
}

export function createGitOpsActivities({
  db,
  config,
  logger,
  clients: { gitops: repo, harborRobotAdmin },
}: ActivityDeps): Pick<DeployActivities, 'commitRelease'> {
  return {
    async commitRelease({ deploymentId }) {
      const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { project: true } });
      if (deployment.gitopsCommitSha) return { gitopsCommitSha: deployment.gitopsCommitSha };
      const { project } = deployment;
      if (!deployment.imageRepository || !deployment.imageTag || !deployment.imageDigest || !deployment.commitSha) {
        throw terminal(TerminalFailure.invalidInput, 'The release has no verified image yet: nothing to commit');
      }
      const identity = { workspaceId: project.workspaceId, userId: project.userId, projectName: project.name };
      // The release's ExternalSecret reads the workspace's pull robot: it must exist before
      // Argo CD applies the chart, or the first pods of a new workspace cannot pull.
      if (config.PULL_SECRET_MODE === 'external-secret') await ensureWorkspacePullAccess({ db, config, logger, harbor: harborRobotAdmin }, project.workspaceId);
      try {
        // Values that cannot make a release (bad names, a chart template that does not fit) and
        // bad paths are terminal; push conflicts and remote errors are transient: retried.
        const values = buildValues({
          identity,
          namespaceScope: config.NAMESPACE_SCOPE,
          framework: deployment.framework ?? 'dockerfile',
          imageRepository: `${registryHost(config)}/${deployment.imageRepository}`,
          imageTag: deployment.imageTag,
          imageDigest: deployment.imageDigest,
          host: projectNames(project, config).host,
          appPort: project.appPort,
          ...platformValues(config),
          release: { deploymentId, commitSha: deployment.commitSha, kind: deployment.kind },
        });
        const release = renderReleaseFiles(
          identity,
          values,
          config.NAMESPACE_SCOPE,
          config.CHART_TEMPLATE_DIR ? path.resolve(config.CHART_TEMPLATE_DIR) : undefined,
        );
        const verb = deployment.kind === 'rollback' ? 'Roll back' : 'Deploy';
        const message = `${verb} ${project.workspaceId}/${project.userId}/${project.name} to ${deployment.commitSha.slice(0, 7)} (${deployment.imageTag})`;
        const { sha } = await repo.commitRelease({ path: release.path, files: release.files, deploymentId, message });
        await db.deployment.update({ where: { id: deploymentId }, data: { gitopsCommitSha: sha } });
        return { gitopsCommitSha: sha };
      } catch (error) {
        throw toActivityFailure(error, 'commit_release');
      }
    },
  };
}
