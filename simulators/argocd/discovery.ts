// What the ApplicationSet (git files generator over `apps/*/*/*/Chart.yaml`, new globbing)
// generates: one Application per chart exactly three folders under apps/, never for nested
// subcharts. Names follow the house rules (docs/architecture.md, "Identity").
import { createHash } from 'node:crypto';

export interface AppIdentity {
  /** `<workspaceId>-<userId>-<projectName>` */
  name: string;
  workspaceId: string;
  userId: string;
  projectName: string;
  /** `apps/<workspaceId>/<userId>/<projectName>` */
  path: string;
  /** `user-<userId>` */
  namespace: string;
  releaseName: string;
}

/**
 * The applications generated from a list of repository file paths (as `git ls-tree -r
 * --name-only`) for the generator glob `apps/*\/*\/*\/<generatorFile>`, where `*` never matches `/`.
 */
export function discoverApps(files: Iterable<string>, generatorFile = 'Chart.yaml'): AppIdentity[] {
  const glob = new RegExp(`^apps/([^/]+)/([^/]+)/([^/]+)/${generatorFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const apps: AppIdentity[] = [];
  for (const file of files) {
    const match = glob.exec(file);
    if (!match) continue;
    const [, workspaceId, userId, projectName] = match as unknown as [string, string, string, string];
    apps.push({
      name: `${workspaceId}-${userId}-${projectName}`,
      workspaceId,
      userId,
      projectName,
      path: `apps/${workspaceId}/${userId}/${projectName}`,
      namespace: `user-${userId}`,
      releaseName: helmReleaseName(userId, projectName),
    });
  }
  return apps.sort((a, b) => a.name.localeCompare(b.name));
}

export const MAX_RELEASE_NAME = 53;

/** `<userId>-<projectName>`, cut to 53 characters with a short hash when longer so it stays unique. */
export function helmReleaseName(userId: string, projectName: string): string {
  const full = `${userId}-${projectName}`;
  if (full.length <= MAX_RELEASE_NAME) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, 8);
  const head = full.slice(0, MAX_RELEASE_NAME - hash.length - 1).replace(/[-.]+$/, '');
  return `${head}-${hash}`;
}
