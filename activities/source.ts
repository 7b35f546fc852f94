// Step 1: pin the branch to an exact commit and detect the framework. Once pinned, a retry
// reuses the stored commit: a deploy never drifts to a newer push halfway through.
import { GitSource, SourceNotFoundError } from '../clients/git-source.js';
import type { ActivityDeps } from './deps.js';
import { detectFramework } from './framework.js';
import { terminal, TerminalFailure, transient, TransientFailure } from './errors.js';
import type { DeployActivities } from './types.js';

export function createSourceActivities({ db, config }: ActivityDeps): Pick<DeployActivities, 'resolveSource'> {
  const git = new GitSource(config.WORK_DIR);
  return {
    async resolveSource({ deploymentId }) {
      const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { project: true } });
      if (deployment.commitSha && deployment.framework) return { commitSha: deployment.commitSha, framework: deployment.framework };
      const { project } = deployment;
      const branch = deployment.branch ?? project.branch;
      try {
        const commitSha = deployment.commitSha ?? (await git.resolveBranch(project.repoUrl, branch));
        const snapshot = await git.snapshot(project.repoUrl, commitSha, deploymentId);
        try {
          const framework = await detectFramework(snapshot.files, snapshot.readFile);
          if (!framework) {
            throw terminal(TerminalFailure.sourceNotFound, `Cannot tell how to build commit ${commitSha.slice(0, 7)}: no Dockerfile, package.json, requirements.txt, pyproject.toml, go.mod or index.html at the repository root`);
          }
          await db.deployment.update({ where: { id: deploymentId }, data: { commitSha, framework, branch } });
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
