// Step 1: pin the branch to an exact commit and detect the framework. Once pinned, a retry
// reuses the stored commit: a deploy never drifts to a newer push halfway through.
import { GitSource, SourceNotFoundError } from '../clients/git-source.js';
import { GitHubNotFoundError, type GitHubClient } from '../clients/github.js';
import type { ActivityDeps } from './deps.js';
import { detectFramework } from './framework.js';
import { terminal, TerminalFailure, transient, TransientFailure } from './errors.js';
import type { DeployActivities } from './types.js';

export function createSourceActivities({ db, config }: ActivityDeps, github?: GitHubClient): Pick<DeployActivities, 'resolveSource'> {
  const git = new GitSource(config.WORK_DIR);

  /** For GitHub repositories (with a token), GitHub's API names the commit and the clone URL. */
  async function pin(repoUrl: string, branch: string, commitSha: string | null): Promise<{ commitSha: string; sourceUrl: string }> {
    const repo = github?.parseRepo(repoUrl);
    if (!github || !repo) return { commitSha: commitSha ?? (await git.resolveBranch(repoUrl, branch)), sourceUrl: repoUrl };
    try {
      const info = await github.getRepository(repo.owner, repo.repo);
      return { commitSha: commitSha ?? (await github.resolveBranch(repo.owner, repo.repo, branch)), sourceUrl: info.cloneUrl };
    } catch (error) {
      if (error instanceof GitHubNotFoundError) throw new SourceNotFoundError(`${repo.owner}/${repo.repo}: ${error.message}`);
      throw error;
    }
  }

  return {
    async resolveSource({ deploymentId }) {
      const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { project: true } });
      if (deployment.commitSha && deployment.framework) return { commitSha: deployment.commitSha, framework: deployment.framework };
      const { project } = deployment;
      const branch = deployment.branch ?? project.branch;
      try {
        const { commitSha, sourceUrl } = await pin(project.repoUrl, branch, deployment.commitSha);
        const snapshot = await git.snapshot(sourceUrl, commitSha, deploymentId);
        try {
          const framework = await detectFramework(snapshot.files, snapshot.readFile);
          if (!framework) {
            throw terminal(TerminalFailure.sourceNotFound, `Cannot tell how to build commit ${commitSha.slice(0, 7)}: no Dockerfile, package.json, requirements.txt, pyproject.toml, go.mod or index.html at the repository root`);
          }
          await db.deployment.update({ where: { id: deploymentId }, data: { commitSha, framework, branch, sourceUrl } });
          return { commitSha, framework };
        } finally {
          await snapshot.dispose();
        }
      } catch (error) {
        if (error instanceof SourceNotFoundError) throw terminal(TerminalFailure.sourceNotFound, error.message);
        if (error instanceof Error && error.name === 'SourceUnavailableError') throw transient(TransientFailure.unavailable, error.message);
        throw error;
      }
    },
  };
}
