// Step 1: pin the branch to an exact commit and detect the framework. Once pinned, a retry
// reuses the stored commit: a deploy never drifts to a newer push halfway through.
import { ClientError } from '../clients/errors.js';
import type { GitCredential } from '../clients/git-source.js';
import type { ActivityDeps } from './deps.js';
import { detectFramework } from './framework.js';
import { terminal, TerminalFailure, toActivityFailure } from './errors.js';
import { accessAdvice, type RepoCredentials, type ResolvedCredential } from './repo-credentials.js';
import type { DeployActivities } from './types.js';
import { checkRepoUrl, pinRepoUrl, repoHostPolicy, type PinnedRepo } from '../lib/repo-address.js';

export function createSourceActivities(
  { db, config, clients: { git, github } }: ActivityDeps,
  credentials: RepoCredentials,
): Pick<DeployActivities, 'resolveSource'> {
  const repoHosts = repoHostPolicy(config, github?.webHost);

  /**
   * For GitHub repositories (with a token), GitHub's API names the commit and the clone URL.
   * Whatever git connects to is checked and pinned to the address checked (lib/repo-address.ts).
   */
  async function pin(
    repoUrl: string,
    branch: string,
    commitSha: string | null,
    credential: GitCredential | undefined,
  ): Promise<{ commitSha: string; source: PinnedRepo }> {
    checkRepoUrl(repoUrl, repoHosts);
    const repo = github?.parseRepo(repoUrl);
    if (!github || !repo) {
      const source = await pinRepoUrl(repoUrl, repoHosts);
      return { commitSha: commitSha ?? (await git.resolveBranch(source.url, branch, { credential, config: source.config })), source };
    }
    try {
      const info = await github.getRepository(repo.owner, repo.repo);
      return { commitSha: commitSha ?? (await github.resolveBranch(repo.owner, repo.repo, branch)), source: await pinRepoUrl(info.cloneUrl, repoHosts) };
    } catch (error) {
      if (error instanceof ClientError && error.kind === 'not_found')
        throw terminal(TerminalFailure.sourceNotFound, `${repo.owner}/${repo.repo}: ${error.message}`);
      throw error;
    }
  }

  return {
    async resolveSource({ deploymentId }) {
      const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { project: true } });
      if (deployment.commitSha && deployment.framework) return { commitSha: deployment.commitSha, framework: deployment.framework };
      const { project } = deployment;
      const branch = deployment.branch ?? project.branch;
      let resolved: ResolvedCredential | undefined;
      try {
        resolved = await credentials.forProject(project);
        const { credential } = resolved;
        const { commitSha, source } = await pin(project.repoUrl, branch, deployment.commitSha, credential);
        // Jenkins checks out this URL (resolving it again itself): the one that passed the check.
        const sourceUrl = source.url;
        const snapshot = await git.snapshot(sourceUrl, commitSha, deploymentId, { credential, config: source.config });
        try {
          const framework = await detectFramework(snapshot.files, snapshot.readFile);
          if (!framework) {
            throw terminal(
              TerminalFailure.sourceNotFound,
              `Cannot tell how to build commit ${commitSha.slice(0, 7)}: no Dockerfile, package.json, requirements.txt, pyproject.toml, go.mod or index.html at the repository root`,
            );
          }
          await db.deployment.update({ where: { id: deploymentId }, data: { commitSha, framework, branch, sourceUrl } });
          return { commitSha, framework };
        } finally {
          await snapshot.dispose();
        }
      } catch (error) {
        throw toActivityFailure(error, 'resolve_source', {
          [TerminalFailure.sourceAccessDenied]: (message) => `${message}. ${accessAdvice(project.id, resolved ?? { credential: undefined, source: 'none' })}`,
        });
      }
    },
  };
}
