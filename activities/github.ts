// Reporting each deployment back to GitHub as a deployment with statuses (in progress, success
// with the live URL, failure with the reason), so the commit page shows it. On only when a
// GitHub token is configured and the project's repository is on GitHub; a no-op otherwise.
import type { ActivityDeps } from './deps.js';
import type { DeployActivities } from './types.js';

export function createGitHubActivities({ db, clients: { github } }: ActivityDeps): Pick<DeployActivities, 'reportToGitHub'> {
  return {
    async reportToGitHub({ deploymentId, state }) {
      if (!github) return;
      const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { project: true } });
      const repo = github.parseRepo(deployment.project.repoUrl);
      if (!repo || !deployment.commitSha) return;
      let githubId = deployment.githubDeploymentId === null ? undefined : Number(deployment.githubDeploymentId);
      if (githubId === undefined) {
        githubId = await github.createDeployment(repo.owner, repo.repo, {
          ref: deployment.branch ?? deployment.project.branch,
          sha: deployment.commitSha,
          environment: `${deployment.project.name} (${deployment.project.userId})`,
          description: `${deployment.kind} ${deploymentId}`,
          payload: { deploymentId, projectId: deployment.projectId },
        });
        await db.deployment.update({ where: { id: deploymentId }, data: { githubDeploymentId: BigInt(githubId) } });
      }
      const description =
        state === 'success'
          ? `Live at ${deployment.liveUrl ?? 'its URL'}`
          : state === 'in_progress'
            ? `Deploying ${deployment.commitSha.slice(0, 7)}`
            : `${deployment.errorStep ?? 'deploy'}: ${deployment.errorMessage ?? deployment.status}`;
      await github.setDeploymentStatus(repo.owner, repo.repo, githubId, {
        state,
        description,
        ...(state === 'success' && deployment.liveUrl ? { environmentUrl: deployment.liveUrl } : {}),
      });
    },
  };
}
