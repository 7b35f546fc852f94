// Step 2: the Jenkins build. Exactly once: a retried attempt finds the build its earlier attempt
// started (by queue id, then by the DEPLOY_ID parameter) instead of triggering a second one.
// While it waits it follows the log into PostgreSQL and heartbeats; cancelled, it stops the build.
import { Context, CancelledFailure } from '@temporalio/activity';
import { z } from 'zod';
import { ClientError } from '../clients/errors.js';
import { imageTag } from '../gitops/naming.js';
import { secretMasker } from '../lib/logger.js';
import { configuredSecrets } from '../lib/secrets.js';
import type { ActivityDeps } from './deps.js';
import { appendLogChunk, cleanLogText, logResumePoint } from './build-log.js';
import { retryRead } from './retry.js';
import { terminal, TerminalFailure, toActivityFailure } from './errors.js';
import { projectNames } from '../gitops/project-view.js';
import type { BuildResult, DeployActivities } from './types.js';
import { repositoryInProject } from './registry.js';
import type { RepoCredentials } from './repo-credentials.js';
import { maskTokenShapes } from '../lib/token-shapes.js';

/** What the pipeline archives as deploy-result.json. */
const deployResultSchema = z.object({
  imageRepository: z.string().min(1),
  imageTag: z.string().min(1),
  imageDigest: z.string().regex(/^sha256:[0-9a-f]{64}$/),
});

export function createBuildActivities(
  { db, config, clients: { jenkins, harbor } }: ActivityDeps,
  credentials: RepoCredentials,
): Pick<DeployActivities, 'build' | 'stopBuild'> {
  const configured = configuredSecrets(config);
  // Repository credentials join the masked values as they are handed out; token shapes (GitHub's
  // ghs_/ghp_/github_pat_) are masked too, for a token minted by an earlier worker process.
  const mask = (text: string) => maskTokenShapes(secretMasker([...configured, ...credentials.knownSecrets()])(text));
  const pause = (ms: number) => Context.current().sleep(ms); // rejects with CancelledFailure on cancel

  /** The build of this deployment: found if an earlier attempt started it, else triggered. */
  async function buildNumberFor(deploymentId: string): Promise<number> {
    const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { project: true } });
    if (deployment.jenkinsBuildNumber) return deployment.jenkinsBuildNumber;
    let queueId = deployment.jenkinsQueueId ?? undefined;
    if (queueId === undefined) {
      const existing = await retryRead(() => jenkins.findBuildByParameter('DEPLOY_ID', deploymentId));
      if (existing) return saveBuildNumber(deploymentId, existing.number);
      const { project } = deployment;
      const names = projectNames(project, config);
      const commitSha = deployment.commitSha!;
      // Fetched now, not carried from resolve_source: nothing secret travels through Temporal.
      // REPO_TOKEN is a password parameter of the job: Jenkins stores it as a Secret and never
      // exports it in its API.
      const { credential } = await credentials.forProject(project);
      const params = {
        DEPLOY_ID: deploymentId,
        REPO_URL: deployment.sourceUrl ?? project.repoUrl,
        COMMIT_SHA: commitSha,
        BRANCH: deployment.branch ?? project.branch,
        PROJECT_NAME: project.name,
        USER_ID: project.userId,
        WORKSPACE_ID: project.workspaceId,
        FRAMEWORK: deployment.framework ?? 'dockerfile',
        IMAGE_REPOSITORY: names.imageRepository,
        IMAGE_TAG: imageTag(commitSha, deploymentId),
        APP_PORT: String(project.appPort),
        REPO_USERNAME: credential?.username ?? '',
        REPO_TOKEN: credential?.password ?? '',
      };
      ({ queueId } = await jenkins.triggerBuild(params));
      await db.deployment.update({
        where: { id: deploymentId },
        data: { jenkinsQueueId: queueId, imageRepository: names.imageRepository, imageTag: params.IMAGE_TAG },
      });
    }
    // Wait for the queue item to leave the queue.
    for (;;) {
      Context.current().heartbeat({ queueId });
      const item = await retryRead(() => jenkins.getQueueItem(queueId));
      if (item.state === 'left') {
        if (item.cancelled) throw terminal(TerminalFailure.buildFailed, `The Jenkins queue item ${queueId} was cancelled before the build started`);
        if (item.buildNumber) return saveBuildNumber(deploymentId, item.buildNumber);
      } else if (item.state === 'gone') {
        // Left items vanish after ~5 minutes: find the build by its queue id or DEPLOY_ID.
        const found =
          (await retryRead(() => jenkins.findBuildByQueueId(queueId))) ?? (await retryRead(() => jenkins.findBuildByParameter('DEPLOY_ID', deploymentId)));
        if (found) return saveBuildNumber(deploymentId, found.number);
        throw terminal(TerminalFailure.buildFailed, `The Jenkins queue item ${queueId} disappeared without a build`);
      }
      await pause(config.POLL_INTERVAL);
    }
  }

  async function rememberCredential(deploymentId: string): Promise<void> {
    const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { project: true } });
    await credentials.forProject(deployment.project);
  }

  async function saveBuildNumber(deploymentId: string, buildNumber: number): Promise<number> {
    await db.deployment.update({ where: { id: deploymentId }, data: { jenkinsBuildNumber: buildNumber } });
    return buildNumber;
  }

  /** Follows the progressive log into PostgreSQL until Jenkins says it is complete. */
  async function followLog(deploymentId: string, buildNumber: number): Promise<void> {
    let { storedEnd, rawEnd } = await logResumePoint(db, deploymentId);
    for (;;) {
      const chunk = await retryRead(() => jenkins.readLog(buildNumber, rawEnd));
      if (chunk.restarted) {
        // Jenkins served the log from 0 (our offset was past its end): nothing new yet.
        await pause(config.POLL_INTERVAL);
        continue;
      }
      // Resume from Jenkins' own X-Text-Size, never from the body's length: Jenkins serves
      // LF as CR+LF, so the body has more bytes than the offsets it counts. While a build runs,
      // Jenkins only serves whole lines, so no escape sequence is ever cut in two.
      if (chunk.nextOffset > rawEnd) {
        storedEnd = await appendLogChunk(db, deploymentId, storedEnd, cleanLogText(chunk.text, mask), chunk.nextOffset);
        rawEnd = chunk.nextOffset;
      }
      Context.current().heartbeat({ buildNumber, rawEnd });
      if (!chunk.more) return;
      await pause(config.POLL_INTERVAL);
    }
  }

  async function stopQuietly(deploymentId: string): Promise<void> {
    const deployment = await db.deployment.findUnique({ where: { id: deploymentId } });
    try {
      if (deployment?.jenkinsBuildNumber) await jenkins.stopBuild(deployment.jenkinsBuildNumber);
      else if (deployment?.jenkinsQueueId) await jenkins.cancelQueueItem(deployment.jenkinsQueueId);
    } catch {
      // Best effort: the deployment is recorded cancelled either way.
    }
  }

  /**
   * A retry reuses what is still valid: the image its original built for the same commit, if
   * the registry still has it. Jenkins is not called again.
   */
  async function reusableImage(deploymentId: string): Promise<BuildResult | undefined> {
    const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { targetDeployment: true } });
    const original = deployment.targetDeployment;
    if (deployment.trigger !== 'retry' || !original?.imageRepository || !original.imageTag || original.commitSha !== deployment.commitSha) return undefined;
    const artifact = await retryRead(() => harbor.getArtifact(repositoryInProject(original.imageRepository!, config.HARBOR_PROJECT), original.imageTag!));
    if (!artifact) return undefined;
    await db.$transaction([
      db.deployment.update({ where: { id: deploymentId }, data: { imageRepository: original.imageRepository, imageTag: original.imageTag } }),
      db.deploymentStep.updateMany({
        where: { deploymentId, name: 'build' },
        data: { detail: `Reused image ${original.imageTag} built for deployment ${original.id}` },
      }),
    ]);
    return { imageRepository: original.imageRepository, imageTag: original.imageTag, imageDigest: artifact.digest, reused: true };
  }

  return {
    stopBuild: ({ deploymentId }) => stopQuietly(deploymentId),

    async build({ deploymentId }): Promise<BuildResult> {
      try {
        const reused = await reusableImage(deploymentId);
        if (reused) return reused;
        const buildNumber = await buildNumberFor(deploymentId);
        // A resumed attempt (new worker) learns the project's credential again, to mask it.
        await rememberCredential(deploymentId);
        await followLog(deploymentId, buildNumber);
        let build = await retryRead(() => jenkins.getBuild(buildNumber));
        while (!build.finished) {
          Context.current().heartbeat({ buildNumber });
          await pause(config.POLL_INTERVAL);
          build = await retryRead(() => jenkins.getBuild(buildNumber));
        }
        if (build.result !== 'SUCCESS') {
          throw terminal(TerminalFailure.buildFailed, `Jenkins build #${buildNumber} ended ${build.result}`);
        }
        const result = await retryRead(() => jenkins.getArtifactJson(buildNumber, 'deploy-result.json', deployResultSchema)).catch((error: unknown) => {
          if (error instanceof ClientError && error.kind === 'not_found')
            throw terminal(TerminalFailure.buildFailed, `Jenkins build #${buildNumber} succeeded but archived no deploy-result.json`);
          throw error;
        });
        await db.deployment.update({ where: { id: deploymentId }, data: { imageRepository: result.imageRepository, imageTag: result.imageTag } });
        return { buildNumber, imageRepository: result.imageRepository, imageTag: result.imageTag, imageDigest: result.imageDigest, reused: false };
      } catch (error) {
        if (error instanceof CancelledFailure) {
          await stopQuietly(deploymentId);
          throw error;
        }
        throw toActivityFailure(error, 'build', {
          [TerminalFailure.buildJobMissing]: (message) => `Jenkins job ${config.JENKINS_JOB} cannot build: ${message}`,
        });
      }
    },
  };
}
