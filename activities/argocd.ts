// Step 5: wait until Argo CD reports the app Synced and Healthy at exactly the pushed commit.
// Refresh once right after the push (Argo CD would otherwise poll Git only every ~3 minutes),
// then poll, heartbeating the deadline and the Degraded clock so a retry resumes them.
import { Context, activityInfo } from '@temporalio/activity';
import type { Application } from '../clients/argocd.js';
import { parse as parseYaml } from 'yaml';
import { APPLICATIONSET_NAME } from '../gitops/bootstrap.js';
import type { ActivityDeps } from './deps.js';
import { terminal, TerminalFailure, toActivityFailure } from './errors.js';
import { isRepoFetchError, liveStatus, type LiveStatus } from './live-status.js';
import { registryHost } from './gitops.js';
import { liveUrlOf, projectNames } from '../gitops/project-view.js';
import { probeLiveUrl, probeSettings } from './url-probe.js';
import type { DeployActivities } from './types.js';
import { retryRead, withHeartbeats } from './retry.js';

interface WaitProgress {
  startedAt: number;
  degradedSince?: number;
  refreshed: boolean;
  /** When the app of apps was last refreshed for an app that did not exist yet. */
  nudgedAt?: number;
  /** Since when the app has been missing (cleared once it exists): bounded by APP_GENERATE_TIMEOUT. */
  missingSince?: number;
  /** When the live-URL probe began (after Synced and Healthy): its limit survives a retry. */
  probeStartedAt?: number;
}

/** What a repository Argo CD cannot fetch means for the platform team, before Argo CD's own words. */
const REPO_UNREACHABLE_HINT =
  "Argo CD cannot fetch the GitOps repository: check the URL, the repository credentials Argo CD uses, the SSH host key (known_hosts), and the deploy key's read access";

/** How often to refresh the app of apps again while the new app is still missing. */
const NUDGE_EVERY_MS = 45_000;

const failureType: Record<string, (typeof TerminalFailure)[keyof typeof TerminalFailure]> = {
  degraded: TerminalFailure.appDegraded,
  'sync-failed': TerminalFailure.syncFailed,
  'comparison-error': TerminalFailure.chartInvalid,
  'invalid-spec': TerminalFailure.chartInvalid,
  'repo-unreachable': TerminalFailure.repoUnreachable,
  'shared-resource': TerminalFailure.appConflict,
};

/** The message of a failed live status, with what the platform team should check first. */
function failureMessage(type: string, message: string): string {
  if (type === 'repo-unreachable') return `${REPO_UNREACHABLE_HINT}. Argo CD: ${message}`;
  if (type === 'shared-resource')
    return `Another Argo CD application manages a resource of this app (a folder written around the engine?). Argo CD: ${message}`;
  return message;
}

export function createArgoCdActivities({ db, config, clients: { argocd: argo, gitops: repo } }: ActivityDeps): Pick<DeployActivities, 'awaitLive'> {
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

  /**
   * Why the ApplicationSet has not generated the app, when its status says so: ErrorOccurred
   * (True) carries the generator's or the template's error. Best effort: an account that may not
   * read the ApplicationSet only learns less.
   */
  async function appSetError(): Promise<string | undefined> {
    const appSet = await argo.getApplicationSet(APPLICATIONSET_NAME).catch(() => null);
    const error = appSet?.status.conditions?.find((c) => c.type === 'ErrorOccurred' && c.status === 'True');
    return error?.message || undefined;
  }

  /** The app exists, but the ApplicationSet generated it from another folder (a duplicate name). */
  async function conflictOf(app: Application, appName: string, gitopsPath: string): Promise<string | undefined> {
    const path = app.spec?.source?.path?.replace(/\/+$/, '');
    if (!path || path === gitopsPath) return undefined;
    const duplicate = await appSetError();
    return `Argo CD application ${appName} is generated from ${path}, not from ${gitopsPath}: another folder gives an app of the same name${duplicate ? ` (ApplicationSet: ${duplicate})` : ''}`;
  }

  /**
   * Synced and Healthy is Argo CD's view; the release is live once its URL answers from it
   * (LIVE_URL_PROBE). The probe's own limit runs from its first attempt, kept in the heartbeat.
   */
  async function probeUntilAnswered(
    deployment: { project: Parameters<typeof liveUrlOf>[0]; imageRepository: string | null; imageDigest: string | null },
    progress: WaitProgress,
  ): Promise<void> {
    const probe = probeSettings(config);
    if (!probe) return;
    progress.probeStartedAt ??= Date.now();
    const expectImage =
      deployment.imageRepository && deployment.imageDigest ? `${registryHost(config)}/${deployment.imageRepository}@${deployment.imageDigest}` : undefined;
    const context = Context.current();
    await probeLiveUrl({
      ...probe,
      timeoutMs: Math.max(1_000, progress.probeStartedAt + probe.timeoutMs - Date.now()),
      url: liveUrlOf(deployment.project, config),
      ...(expectImage ? { expectImage } : {}),
      signal: context.cancellationSignal,
      onAttempt: () => context.heartbeat(progress),
    });
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
      // Naming the project makes Argo CD tell a missing app (404) from one RBAC hides (403).
      const project = config.ARGOCD_PROJECT;
      let last = 'Argo CD has not reported the application yet';
      try {
        if (!progress.refreshed) {
          // Blocks until Argo CD has fetched Git and compared; a slow refresh is not an error
          // (a refused one is, and the first read below says so).
          await withHeartbeats(progress, () =>
            argo.getApplication(names.appName, { refresh: 'normal', project, timeoutMs: Math.min(60_000, config.AWAIT_LIVE_TIMEOUT) }),
          ).catch(() => undefined);
          progress.refreshed = true;
        }
        for (;;) {
          const app = await retryRead(() => argo.getApplication(names.appName, { project }));
          if (!app && (progress.nudgedAt === undefined || Date.now() - progress.nudgedAt >= NUDGE_EVERY_MS)) {
            // A first deploy: the ApplicationSet has not generated the app yet. It reads branch
            // heads through a cache that only a refresh bypasses, and the app to refresh does not
            // exist; the app of apps reads the same repository, so refreshing it renews the heads.
            // Best effort: an account that may not see it only waits longer.
            await withHeartbeats(progress, () => argo.getApplication(config.ARGOCD_BOOTSTRAP_APP, { refresh: 'normal', timeoutMs: 30_000 })).catch(
              () => undefined,
            );
            progress.nudgedAt = Date.now();
            last = 'Argo CD has not generated the application yet (the ApplicationSet lists the GitOps repository every requeueAfterSeconds)';
          }
          if (!app) {
            progress.missingSince ??= Date.now();
            const why = await appSetError();
            // The generator could not list the repository: no app will come until that is fixed.
            if (why && isRepoFetchError(why))
              throw terminal(TerminalFailure.repoUnreachable, `${REPO_UNREACHABLE_HINT}. Argo CD (ApplicationSet ${APPLICATIONSET_NAME}): ${why}`);
            if (Date.now() - progress.missingSince >= config.APP_GENERATE_TIMEOUT) {
              throw terminal(
                TerminalFailure.appNotGenerated,
                `Argo CD did not generate the application ${names.appName} from ${names.gitopsPath} within ${Math.round(config.APP_GENERATE_TIMEOUT / 1000)} s` +
                  (why
                    ? ` (ApplicationSet ${APPLICATIONSET_NAME}: ${why})`
                    : ` (the ApplicationSet ${APPLICATIONSET_NAME} in project ${project} reports no error: does its generator match the folder, and does the engine's bootstrap run?)`),
              );
            }
          }
          if (app) {
            progress.missingSince = undefined;
            const conflict = await conflictOf(app, names.appName, names.gitopsPath);
            if (conflict) throw terminal(TerminalFailure.appConflict, conflict);
            const status = await evaluate(app, ours, deploymentId, valuesPath, progress);
            if (status.state === 'live') {
              await probeUntilAnswered(deployment, progress);
              return;
            }
            if (status.state === 'failed') throw terminal(failureType[status.type] ?? TerminalFailure.syncFailed, failureMessage(status.type, status.message));
            if (status.state === 'superseded')
              throw terminal(TerminalFailure.superseded, `A newer release of this app (GitOps commit ${status.revision.slice(0, 7)}) took its place`);
            progress.degradedSince = status.degradedSince;
            last = status.reason;
          }
          if (Date.now() >= deadline) {
            throw terminal(
              TerminalFailure.timeout,
              `Argo CD did not report ${names.appName} Synced and Healthy at ${ours.slice(0, 7)} within ${Math.round(config.AWAIT_LIVE_TIMEOUT / 1000)} s (last: ${last})`,
            );
          }
          Context.current().heartbeat(progress);
          await Context.current().sleep(config.POLL_INTERVAL);
        }
      } catch (error) {
        const account = config.ARGOCD_TOKEN ? 'the account of ARGOCD_TOKEN' : `account ${config.ARGOCD_USERNAME}`;
        throw toActivityFailure(error, 'await_live', {
          [TerminalFailure.argocdForbidden]: (message) =>
            `Argo CD's RBAC does not let ${account} read application ${names.appName} in project ${project}: grant it get and sync on ${project}/* (policy.csv in argocd-rbac-cm). Argo CD: ${message}`,
        });
      }
    },
  };
}
