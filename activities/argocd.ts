// Step 5: wait until Argo CD reports the app Synced and Healthy at exactly the pushed commit.
// Refresh once right after the push (Argo CD would otherwise poll Git only every ~3 minutes),
// then poll, heartbeating the deadline and the Degraded clock so a retry resumes them.
import { Context, activityInfo, CancelledFailure } from '@temporalio/activity';
import { ArgoCdAuthError, ArgoCdClient, liveStatus, type Application, type LiveStatus } from '../clients/argocd.js';
import type { GitOpsRepo } from '../clients/gitops-repo.js';
import { parse as parseYaml } from 'yaml';
import type { ActivityDeps } from './deps.js';
import { terminal, TerminalFailure } from './errors.js';
import { createGitOpsRepo } from './gitops.js';
import { projectNames } from './project-view.js';
import type { DeployActivities } from './types.js';
import { retryRead, withHeartbeats } from './retry.js';

export function createArgoCdClient(config: ActivityDeps['config']): ArgoCdClient {
  return new ArgoCdClient({ baseUrl: config.ARGOCD_URL, token: config.ARGOCD_TOKEN, username: config.ARGOCD_USERNAME, password: config.ARGOCD_PASSWORD });
}

interface WaitProgress {
  startedAt: number;
  degradedSince?: number;
  refreshed: boolean;
  /** When the app of apps was last refreshed for an app that did not exist yet. */
  nudgedAt?: number;
}

/** How often to refresh the app of apps again while the new app is still missing. */
const NUDGE_EVERY_MS = 45_000;

const failureType: Record<string, (typeof TerminalFailure)[keyof typeof TerminalFailure]> = {
  degraded: TerminalFailure.appDegraded,
  'sync-failed': TerminalFailure.syncFailed,
  'comparison-error': TerminalFailure.chartInvalid,
  'invalid-spec': TerminalFailure.chartInvalid,
};

export function createArgoCdActivities({ db, config }: ActivityDeps, argo: ArgoCdClient = createArgoCdClient(config), repo: GitOpsRepo = createGitOpsRepo(config)): Pick<DeployActivities, 'awaitLive'> {
  /**
   * Argo CD tracks the branch head, so another project's later commit moves our app's revision
   * too. The app still runs our release if its values at that revision carry our deployment
   * id; if they carry another one, a newer release of this app took our place.
   */
  async function releaseAt(revision: string, valuesPath: string): Promise<string | undefined> {
    const text = await repo.readFileAt(revision, valuesPath);
    if (text === undefined) return undefined;
    const values = parseYaml(text) as { release?: { deploymentId?: string } } | null;
    return values?.release?.deploymentId;
  }

  async function evaluate(app: Application, ours: string, deploymentId: string, valuesPath: string, progress: WaitProgress): Promise<LiveStatus> {
    const options = { now: Date.now(), degradedSince: progress.degradedSince, degradedGraceMs: config.DEGRADED_GRACE };
    const revision = app.status.sync?.revision;
    if (revision && revision !== ours && (await repo.isAncestor(ours, revision))) {
      const release = await releaseAt(revision, valuesPath);
      if (release === deploymentId) return liveStatus(app, revision, options);
      if (release !== undefined) return { state: 'superseded', revision };
    }
    return liveStatus(app, ours, options);
  }

  return {
    async awaitLive({ deploymentId }) {
      const deployment = await db.deployment.findUniqueOrThrow({ where: { id: deploymentId }, include: { project: true } });
      const ours = deployment.gitopsCommitSha;
      if (!ours) throw terminal(TerminalFailure.invalidInput, 'No GitOps commit to wait for');
      const names = projectNames(deployment.project, config);
      const valuesPath = `${names.gitopsPath}/values.yaml`;
      const saved = activityInfo().heartbeatDetails as WaitProgress | undefined;
      const progress: WaitProgress = saved ?? { startedAt: Date.now(), refreshed: false };
      const deadline = progress.startedAt + config.AWAIT_LIVE_TIMEOUT;
      let last = 'Argo CD has not reported the application yet';
      try {
        if (!progress.refreshed) {
          // Blocks until Argo CD has fetched Git and compared; a slow refresh is not an error.
          await withHeartbeats(progress, () => argo.getApplication(names.appName, { refresh: 'normal', timeoutMs: Math.min(60_000, config.AWAIT_LIVE_TIMEOUT) })).catch(() => undefined);
          progress.refreshed = true;
        }
        for (;;) {
          const app = await retryRead(() => argo.getApplication(names.appName));
          if (!app && (progress.nudgedAt === undefined || Date.now() - progress.nudgedAt >= NUDGE_EVERY_MS)) {
            // A first deploy: the ApplicationSet has not generated the app yet. It reads branch
            // heads through a cache that only a refresh bypasses, and the app to refresh does not
            // exist; the app of apps reads the same repository, so refreshing it renews the heads.
            // Best effort: an account that may not see it only waits longer.
            await withHeartbeats(progress, () => argo.getApplication(config.ARGOCD_BOOTSTRAP_APP, { refresh: 'normal', timeoutMs: 30_000 })).catch(() => undefined);
            progress.nudgedAt = Date.now();
            last = 'Argo CD has not generated the application yet (the ApplicationSet lists the GitOps repository every requeueAfterSeconds)';
          }
          if (app) {
            const status = await evaluate(app, ours, deploymentId, valuesPath, progress);
            if (status.state === 'live') return;
            if (status.state === 'failed') throw terminal(failureType[status.type] ?? TerminalFailure.syncFailed, status.message);
            if (status.state === 'superseded') throw terminal(TerminalFailure.superseded, `A newer release of this app (GitOps commit ${status.revision.slice(0, 7)}) took its place`);
            progress.degradedSince = status.degradedSince;
            last = status.reason;
          }
          if (Date.now() >= deadline) {
            throw terminal(TerminalFailure.timeout, `Argo CD did not report ${names.appName} Synced and Healthy at ${ours.slice(0, 7)} within ${Math.round(config.AWAIT_LIVE_TIMEOUT / 1000)} s (last: ${last})`);
          }
          Context.current().heartbeat(progress);
          await Context.current().sleep(config.POLL_INTERVAL);
        }
      } catch (error) {
        if (error instanceof CancelledFailure) throw error;
        if (error instanceof ArgoCdAuthError) throw terminal(TerminalFailure.unauthorized, `Argo CD refused the credentials: ${error.message}`);
        throw error;
      }
    },
  };
}
