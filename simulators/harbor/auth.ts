// Who may do what: Basic credentials against the configured users, and Harbor's project
// scoping of robot accounts (`robot$<project>+<name>` reaches only its project; a system robot
// `robot$<name>` and ordinary users reach every project of the simulator).
import { timingSafeEqual } from 'node:crypto';

export interface HarborUser {
  name: string;
  password: string;
}

export type Action = 'pull' | 'push' | 'delete';

export class UserDirectory {
  constructor(
    private readonly users: readonly HarborUser[],
    private readonly projects: readonly string[],
  ) {}

  /** The user name for valid Basic credentials, null otherwise (including malformed headers). */
  verifyBasic(authorization: string | undefined): string | null {
    const credentials = parseBasic(authorization);
    if (!credentials) return null;
    const user = this.users.find((u) => u.name === credentials.username);
    if (!user) return null;
    const given = Buffer.from(credentials.password);
    const expected = Buffer.from(user.password);
    return given.length === expected.length && timingSafeEqual(given, expected) ? user.name : null;
  }

  projectExists(project: string): boolean {
    return this.projects.includes(project);
  }

  /** Whether `user` may reach `project` at all (robot accounts are bound to their project). */
  canAccessProject(user: string, project: string): boolean {
    if (!this.projectExists(project)) return false;
    const robot = /^robot\$([^+]+)\+/.exec(user);
    return robot ? robot[1] === project : true;
  }

  /** The subset of `wanted` actions that `user` holds on repository `name` (`<project>/<repo>`). */
  grant(user: string | null, name: string, wanted: readonly string[]): Action[] {
    if (!user) return [];
    const project = name.split('/')[0] ?? '';
    if (!this.canAccessProject(user, project)) return [];
    const all: Action[] = ['pull', 'push', 'delete'];
    if (wanted.includes('*')) return all;
    return all.filter((action) => wanted.includes(action));
  }
}

export function parseBasic(authorization: string | undefined): { username: string; password: string } | null {
  const match = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(authorization ?? '');
  if (!match?.[1]) return null;
  const decoded = Buffer.from(match[1], 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}
