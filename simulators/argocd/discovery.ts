// What the ApplicationSet (git files generator over `apps/*/*/*/<generatorFile>`, new globbing;
// the engine's bootstrap uses app.json) generates: one Application per file exactly three
// folders under apps/, never for nested subcharts. Names follow the house rules (docs/identity.md).
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
 * Two paths can give one name (`apps/a-b/c/x` and `apps/a/b-c/x`). Argo CD's git files generator
 * sorts the paths byte by byte and its ApplicationSet keeps the first app of a name, reporting
 * the later ones as `duplicate name` errors: the same here (`duplicates` receives the later ones).
 */
export function discoverApps(files: Iterable<string>, generatorFile = 'Chart.yaml', duplicates: AppIdentity[] = []): AppIdentity[] {
  const glob = new RegExp(`^apps/([^/]+)/([^/]+)/([^/]+)/${generatorFile.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const apps: AppIdentity[] = [];
  const seen = new Set<string>();
  for (const file of [...files].sort(byteOrder)) {
    const match = glob.exec(file);
    if (!match) continue;
    const [, workspaceId, userId, projectName] = match as unknown as [string, string, string, string];
    const name = `${workspaceId}-${userId}-${projectName}`;
    const identity: AppIdentity = {
      name,
      workspaceId,
      userId,
      projectName,
      path: `apps/${workspaceId}/${userId}/${projectName}`,
      namespace: `user-${userId}`,
      releaseName: helmReleaseName(userId, projectName),
    };
    if (seen.has(name)) {
      duplicates.push(identity);
      continue;
    }
    seen.add(name);
    apps.push(identity);
  }
  return apps.sort((a, b) => a.name.localeCompare(b.name));
}

/** Go's sort.Strings order (bytes), not the locale's: `apps/dev-b/...` sorts before `apps/dev/...`. */
function byteOrder(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
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
