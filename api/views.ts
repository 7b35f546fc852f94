// What the API shows of the rows: stable JSON shapes, never a secret.
import type { Deployment, DeploymentStep, Project } from '../generated/prisma/client.js';
import type { Env } from '../lib/config.js';
import { projectNames } from '../gitops/project-view.js';

const trigger = (t: Deployment['trigger']) => (t === 'auto_rollback' ? 'auto-rollback' : t);

export function deploymentView(d: Deployment & { steps?: DeploymentStep[] }) {
  return {
    id: d.id,
    projectId: d.projectId,
    kind: d.kind,
    trigger: trigger(d.trigger),
    status: d.status,
    branch: d.branch,
    commitSha: d.commitSha,
    framework: d.framework,
    imageRepository: d.imageRepository,
    imageTag: d.imageTag,
    imageDigest: d.imageDigest,
    jenkinsBuildNumber: d.jenkinsBuildNumber,
    gitopsCommitSha: d.gitopsCommitSha,
    liveUrl: d.liveUrl,
    workflowId: d.workflowId,
    error: d.errorType ? { step: d.errorStep, type: d.errorType, message: d.errorMessage } : null,
    requestedBy: d.requestedBy,
    targetDeploymentId: d.targetDeploymentId,
    causeDeploymentId: d.causeDeploymentId,
    queuedAt: d.queuedAt,
    startedAt: d.startedAt,
    finishedAt: d.finishedAt,
    liveAt: d.liveAt,
    replacedAt: d.replacedAt,
    ...(d.steps
      ? {
          steps: [...d.steps]
            .sort((a, b) => a.position - b.position)
            .map((s) => ({ name: s.name, status: s.status, startedAt: s.startedAt, finishedAt: s.finishedAt, detail: s.detail })),
        }
      : {}),
  };
}

export function projectView(
  p: Project & { liveDeployment?: (Deployment & { steps?: DeploymentStep[] }) | null },
  config: Pick<Env, 'APPS_DOMAIN' | 'HARBOR_PROJECT' | 'NAMESPACE_SCOPE' | 'APPS_URL_SCHEME'>,
) {
  const names = projectNames(p, config);
  return {
    id: p.id,
    workspaceId: p.workspaceId,
    userId: p.userId,
    name: p.name,
    repoUrl: p.repoUrl,
    branch: p.branch,
    appPort: p.appPort,
    customDomain: p.customDomain,
    autoDeploy: p.autoDeploy,
    autoDeployPaused: p.autoDeployPausedAt ? { since: p.autoDeployPausedAt, reason: p.autoDeployPauseReason } : null,
    // Whether a repository credential is set; the credential itself is never shown.
    repoCredential: p.repoCredentialSetAt ? { username: p.repoCredentialUsername, setAt: p.repoCredentialSetAt } : null,
    appName: names.appName,
    releaseName: names.releaseName,
    namespace: names.namespace,
    host: names.host,
    gitopsPath: `${names.gitopsPath}/`,
    liveUrl: p.liveDeployment?.liveUrl ?? null,
    liveDeploymentId: p.liveDeploymentId,
    liveDeployment: p.liveDeployment ? deploymentView(p.liveDeployment) : null,
    createdAt: p.createdAt,
    updatedAt: p.updatedAt,
  };
}

/** A release: a deployment that went live, when, until when, and whether it is live now. */
export function releaseView(d: Deployment, liveDeploymentId: string | null) {
  return {
    deploymentId: d.id,
    kind: d.kind,
    trigger: trigger(d.trigger),
    commitSha: d.commitSha,
    imageRepository: d.imageRepository,
    imageTag: d.imageTag,
    imageDigest: d.imageDigest,
    gitopsCommitSha: d.gitopsCommitSha,
    requestedBy: d.requestedBy,
    liveAt: d.liveAt,
    replacedAt: d.replacedAt,
    live: d.id === liveDeploymentId,
    restoredDeploymentId: d.kind === 'rollback' ? d.targetDeploymentId : null,
  };
}
