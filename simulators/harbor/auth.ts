// Who may do what: Basic credentials against the configured users, and Harbor's project
// scoping of robot accounts (`robot$<project>+<name>` reaches only its project; a system robot
// `robot$<name>` and ordinary users reach every project of the simulator). Robot accounts made
// through `/api/v2.0/robots` (robots.ts) hold exactly the permissions they were created with.
import { timingSafeEqual } from 'node:crypto';
import { RobotStore, robotHolds } from './robots.js';

export interface HarborUser {
  name: string;
  password: string;
}

export type Action = 'pull' | 'push' | 'delete';

export class UserDirectory {
  constructor(
    private readonly users: readonly HarborUser[],
    private readonly projects: readonly string[],
    /** Robot accounts created through the API; none when omitted. */
    readonly robots: RobotStore = new RobotStore(),
  ) {}

  /** The user name for valid Basic credentials, null otherwise (including malformed headers). */
  verifyBasic(authorization: string | undefined): string | null {
    const credentials = parseBasic(authorization);
    if (!credentials) return null;
    const user = this.users.find((u) => u.name === credentials.username);
    if (!user) {
      const robot = this.robots.verify(credentials.username, credentials.password);
      return robot ? RobotStore.fullName(robot) : null;
    }
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
    const asked = wanted.includes('*') ? all : all.filter((action) => wanted.includes(action));
    const created = this.createdRobot(user);
    // Harbor's token service grants a robot the repository actions it holds, nothing more.
    return created ? asked.filter((action) => robotHolds(created, project, 'repository', action)) : asked;
  }

  /**
   * Whether `user` holds `resource:action` on `project` for the REST API. Configured accounts
   * hold everything on the projects they reach; created robots what they were given.
   */
  holds(user: string, project: string, resource: string, action: string): boolean {
    if (!this.canAccessProject(user, project)) return false;
    const created = this.createdRobot(user);
    return created ? robotHolds(created, project, resource, action) : true;
  }

  /**
   * Whether `user` may create, list, refresh or delete robots of `project`. In Harbor that takes
   * a user with the project admin role or a system robot holding `robot` permissions; a project
   * robot can never hold them (`robot` is not among the project scope's robot permissions).
   */
  canManageRobots(user: string, project: string): boolean {
    if (!this.canAccessProject(user, project)) return false;
    return !/^robot\$[^+]+\+/.test(user) && !this.createdRobot(user);
  }

  private createdRobot(user: string) {
    return this.users.some((u) => u.name === user) ? undefined : this.robots.list().find((r) => RobotStore.fullName(r) === user);
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
