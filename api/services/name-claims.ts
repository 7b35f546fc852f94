// Names in the shared cluster belong to one project each. The house names are readable joins
// of the ids (`<ws>-<user>-<project>`, namespace `user-<user>` with release `<user>-<project>`,
// host `<project>-<user>.<apps domain>`), so different ids can meet in the same name:
// workspace `a-b` + user `c` and workspace `a` + user `b-c` give the same application; the same
// user and project in two workspaces share a namespace, a release and a host. Before a project
// is created its names are compared with every project that still holds them, under one lock so
// two creations cannot race. A deleted project holds them until its undeploy has removed its
// folder and Argo CD has deleted its app (namesClaimed NULL from then on); a project deleted
// before undeploys existed holds them for good (its chart is still in the GitOps repository).
import type { Env } from '../../lib/config.js';
import { lockForTransaction, type Tx } from '../../lib/db.js';
import { PROJECT_NAMES_LOCK } from '../../lib/workspace-users.js';
import { projectNames, type ProjectIdentity } from '../../gitops/project-view.js';
import { ApiError, badRequest } from '../errors.js';

type NameConfig = Pick<Env, 'APPS_DOMAIN' | 'HARBOR_PROJECT' | 'NAMESPACE_SCOPE'>;

type Names = ReturnType<typeof projectNames>;
type ClaimRow = ProjectIdentity & { id: string; undeployStatus: string | null };
/** Names whose owner must be unique, and how to tell the caller which one is taken. */
const CLAIMS: { key: (n: Names) => string; what: string; fix: string }[] = [
  { key: (n) => n.appName, what: 'the application name', fix: 'choose another project name' },
  { key: (n) => `${n.namespace}/${n.releaseName}`, what: 'the Helm release', fix: 'choose another project name' },
  { key: (n) => n.host, what: 'the host', fix: 'choose another project name or custom domain' },
];

/** A custom domain may not sit under the apps domain: those hosts are generated for projects. */
export function checkCustomDomain(customDomain: string | undefined, config: NameConfig): void {
  if (customDomain === undefined) return;
  const apps = config.APPS_DOMAIN.toLowerCase();
  if (customDomain === apps || customDomain.endsWith(`.${apps}`)) {
    throw badRequest(`Invalid request body: customDomain must not be ${apps} or under it (those hosts are given to projects automatically)`, [
      { field: 'customDomain', rule: `must not be ${apps} or a subdomain of it` },
    ]);
  }
}

/**
 * Takes the lock for the rest of `tx` and fails with 409 `name_taken` when any cluster name of
 * `candidate` is already some project's. The message names only the caller's own names, never
 * the other project (it may be another workspace's).
 */
export async function claimNames(tx: Tx, candidate: ProjectIdentity, config: NameConfig): Promise<void> {
  await lockForTransaction(tx, PROJECT_NAMES_LOCK);
  const wanted = projectNames(candidate, config);
  const hostLabel = wanted.host.split('.')[0]!;
  // A narrow SQL pre-filter; the exact comparison below uses the same functions as the engine.
  const rows = await tx.$queryRaw<ClaimRow[]>`
    SELECT "id", "workspaceId", "userId", "name", "customDomain", "undeployStatus"::text AS "undeployStatus" FROM "Project"
    WHERE "namesClaimed" IS NOT NULL AND (
          "userId" = ${candidate.userId}
       OR "workspaceId" || '-' || "userId" || '-' || "name" = ${wanted.appName}
       OR "customDomain" = ${wanted.host}
       OR ("customDomain" IS NULL AND "name" || '-' || "userId" = ${hostLabel}))`;
  for (const row of rows) {
    const same = row.workspaceId === candidate.workspaceId && row.userId === candidate.userId && row.name === candidate.name;
    const theirs = projectNames(row, config);
    const clash = same || CLAIMS.some((claim) => claim.key(theirs) === claim.key(wanted));
    // Being undeployed (or an undeploy that failed and waits for another DELETE): the caller's own
    // workspace is told which one; another workspace learns only that the name is taken.
    if (clash && row.undeployStatus !== null && row.workspaceId === candidate.workspaceId) {
      throw new ApiError(
        409,
        'undeploy_pending',
        `Project ${row.name} of user ${row.userId} (${row.id}) still holds these names while its undeploy is ${row.undeployStatus} (GET /v1/projects/${row.id}/undeploy): create the project again once it has succeeded`,
      );
    }
    if (same) continue; // the unique index reports this one as "already exists"
    for (const claim of CLAIMS) {
      if (claim.key(theirs) === claim.key(wanted)) {
        throw new ApiError(
          409,
          'name_taken',
          `Another project already uses ${claim.what} ${claim.key(wanted)} (these names are shared by all workspaces on the cluster): ${claim.fix}`,
        );
      }
    }
  }
}
