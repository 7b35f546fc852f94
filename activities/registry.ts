// Step 3: confirm the image in Harbor and apply the scan gate. "Not scanned" is never "clean":
// the step starts a scan when none exists and waits for its result, heartbeating.
import { Context } from '@temporalio/activity';
import { scanSummary, FINDING_SEVERITIES, type ScanSummary } from '../clients/harbor.js';
import type { ActivityDeps } from './deps.js';
import { terminal, TerminalFailure, toActivityFailure } from './errors.js';
import { meetsSeverityGate } from './severity-gate.js';
import type { DeployActivities } from './types.js';
import { retryRead } from './retry.js';

/** `apps/ws1/alice-shop` -> `ws1/alice-shop`: Harbor's API names repositories inside a project. */
export function repositoryInProject(imageRepository: string, harborProject: string): string {
  const prefix = `${harborProject}/`;
  if (!imageRepository.startsWith(prefix))
    throw terminal(TerminalFailure.invalidInput, `Image repository ${imageRepository} is not in the Harbor project ${harborProject}`);
  return imageRepository.slice(prefix.length);
}

function describeFindings(summary: ScanSummary): string {
  return FINDING_SEVERITIES.filter((s) => summary.counts[s] > 0)
    .map((s) => `${summary.counts[s]} ${s}`)
    .join(', ');
}

export function createRegistryActivities({ db, config, clients: { harbor } }: ActivityDeps): Pick<DeployActivities, 'verifyImage'> {
  return {
    async verifyImage({ deploymentId }) {
      const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId } });
      if (!deployment.imageRepository || !(deployment.imageDigest || deployment.imageTag)) {
        throw terminal(TerminalFailure.imageMissing, 'The deployment names no image to verify');
      }
      const repository = repositoryInProject(deployment.imageRepository, config.HARBOR_PROJECT);
      // A rollback pins the digest it restores; a fresh build is looked up by its tag.
      const reference = deployment.kind === 'rollback' && deployment.imageDigest ? deployment.imageDigest : deployment.imageTag!;
      const image = `${deployment.imageRepository}${reference.startsWith('sha256:') ? '@' : ':'}${reference}`;
      try {
        let artifact = await retryRead(() => harbor.getArtifact(repository, reference, { withScanOverview: true }));
        if (!artifact) throw terminal(TerminalFailure.imageMissing, `Image ${image} is not in the registry`);
        if (deployment.kind === 'rollback') {
          // Getting out of trouble comes first: a rollback restores an image that passed the
          // gate when it went live, so it checks existence only.
          return { imageDigest: artifact.digest };
        }
        let summary = scanSummary(artifact);
        for (let triggered = false; summary.status !== 'success'; summary = scanSummary(artifact)) {
          if (summary.status === 'error' || summary.status === 'stopped') {
            throw terminal(TerminalFailure.scanFailed, `The vulnerability scan of ${image} ended ${summary.rawStatus ?? summary.status}`);
          }
          if (summary.status === 'not-scanned' && !triggered) {
            await harbor.triggerScan(repository, artifact.digest);
            triggered = true;
          }
          Context.current().heartbeat({ scan: summary.status });
          await Context.current().sleep(config.POLL_INTERVAL);
          artifact = await retryRead(() => harbor.getArtifact(repository, artifact!.digest, { withScanOverview: true }));
          if (!artifact) throw terminal(TerminalFailure.imageMissing, `Image ${image} disappeared from the registry during its scan`);
        }
        if (!meetsSeverityGate(summary, config.SCAN_FAIL_SEVERITY)) {
          throw terminal(
            TerminalFailure.vulnerabilities,
            `The scan of ${image} found ${describeFindings(summary)} (the gate fails on ${config.SCAN_FAIL_SEVERITY} or worse)`,
          );
        }
        await db.deployment.update({ where: { id: deploymentId }, data: { imageDigest: artifact.digest } });
        return { imageDigest: artifact.digest };
      } catch (error) {
        throw toActivityFailure(error, 'verify_image', { [TerminalFailure.scanFailed]: (message) => `Harbor cannot scan ${image}: ${message}` });
      }
    },
  };
}
