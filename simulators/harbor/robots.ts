// Robot accounts created through Harbor's API (`/api/v2.0/robots`), as Harbor keeps them: the
// name as stored (`<project>+<name>` for a project robot, shown with the `robot$` prefix), a
// salted sha256 of the secret (the secret itself is shown once, at creation or refresh), the
// permissions, and the expiry. Kept in memory, and in `<dataDir>/robots.json` when a data folder
// is given. Configured users (HarborSimulatorOptions.users) are not here: they are the accounts
// the simulator starts with.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import path from 'node:path';
import { JsonFile } from './json-file.js';

/** Harbor's default `robot_name_prefix`. */
export const ROBOT_PREFIX = 'robot$';

export interface RobotAccess {
  resource: string;
  action: string;
  effect?: string;
}

export interface RobotPermission {
  kind: string;
  namespace: string;
  access: RobotAccess[];
}

export interface RobotRecord {
  id: number;
  /** As Harbor stores it: `apps+pull-ws1` for a project robot, `ci` for a system one. */
  storedName: string;
  description: string;
  level: 'system' | 'project';
  /** 0 for a system robot. */
  projectId: number;
  /** days; -1 never expires */
  duration: number;
  /** unix seconds; -1 never */
  expiresAt: number;
  disabled: boolean;
  salt: string;
  /** sha256(salt + secret), hex */
  secretHash: string;
  permissions: RobotPermission[];
  creatorType: string;
  creationTime: string;
  updateTime: string;
}

interface Snapshot {
  nextId: number;
  robots: RobotRecord[];
}

const empty = (): Snapshot => ({ nextId: 1, robots: [] });

/** Harbor's rule for a robot secret it is given (robot.IsValidSec). */
export function isValidSecret(secret: string): boolean {
  return secret.length >= 8 && secret.length <= 128 && /[a-z]/.test(secret) && /[A-Z]/.test(secret) && /\d/.test(secret);
}

/** A random secret that passes isValidSecret, like Harbor's GenerateRandomString (32 characters). */
export function generateSecret(): string {
  for (;;) {
    const secret = randomBytes(24)
      .toString('base64')
      .replace(/[^A-Za-z0-9]/g, '')
      .slice(0, 32);
    if (secret.length === 32 && isValidSecret(secret)) return secret;
  }
}

const hashSecret = (salt: string, secret: string) =>
  createHash('sha256')
    .update(salt + secret)
    .digest('hex');

export class RobotStore {
  private data: Snapshot;
  private readonly file?: JsonFile<Snapshot>;

  constructor(dataDir?: string) {
    if (dataDir) this.file = new JsonFile(path.join(dataDir, 'robots.json'));
    this.data = this.file?.load(empty()) ?? empty();
  }

  /** The shown name: `robot$apps+pull-ws1`. */
  static fullName(record: RobotRecord): string {
    return `${ROBOT_PREFIX}${record.storedName}`;
  }

  byStoredName(projectId: number, storedName: string): RobotRecord | undefined {
    return this.data.robots.find((r) => r.projectId === projectId && r.storedName === storedName);
  }

  byId(id: number): RobotRecord | undefined {
    return this.data.robots.find((r) => r.id === id);
  }

  list(): RobotRecord[] {
    return [...this.data.robots];
  }

  create(
    input: Omit<RobotRecord, 'id' | 'salt' | 'secretHash' | 'expiresAt' | 'creationTime' | 'updateTime'>,
    now = new Date(),
  ): { record: RobotRecord; secret: string } {
    const secret = generateSecret();
    const salt = randomBytes(16).toString('hex');
    const expiresAt = input.duration === -1 ? -1 : Math.floor(now.getTime() / 1000) + input.duration * 86_400;
    const record: RobotRecord = {
      ...input,
      id: this.data.nextId,
      salt,
      secretHash: hashSecret(salt, secret),
      expiresAt,
      creationTime: now.toISOString(),
      updateTime: now.toISOString(),
    };
    this.data.nextId += 1;
    this.data.robots.push(record);
    this.save();
    return { record, secret };
  }

  /** Sets the secret (the given one, or a new random one that is returned). */
  setSecret(record: RobotRecord, given?: string, now = new Date()): string | undefined {
    const secret = given ?? generateSecret();
    record.secretHash = hashSecret(record.salt, secret);
    record.updateTime = now.toISOString();
    this.save();
    return given === undefined ? secret : undefined;
  }

  delete(id: number): boolean {
    const before = this.data.robots.length;
    this.data.robots = this.data.robots.filter((r) => r.id !== id);
    this.save();
    return this.data.robots.length !== before;
  }

  /** The robot for these credentials, if the secret matches and it is neither disabled nor expired. */
  verify(username: string, password: string, now = new Date()): RobotRecord | undefined {
    if (!username.startsWith(ROBOT_PREFIX)) return undefined;
    const storedName = username.slice(ROBOT_PREFIX.length);
    const record = this.data.robots.find((r) => r.storedName === storedName);
    if (!record || record.disabled) return undefined;
    if (record.expiresAt !== -1 && record.expiresAt <= now.getTime() / 1000) return undefined;
    const given = Buffer.from(hashSecret(record.salt, password), 'hex');
    const expected = Buffer.from(record.secretHash, 'hex');
    return given.length === expected.length && timingSafeEqual(given, expected) ? record : undefined;
  }

  reset(): void {
    this.data = empty();
    this.save();
  }

  private save(): void {
    this.file?.save(this.data);
  }
}

/** Whether a robot's permissions hold `resource:action` on `project` (a `*` namespace or action matches all). */
export function robotHolds(record: RobotRecord, project: string, resource: string, action: string): boolean {
  return record.permissions.some(
    (p) =>
      p.kind === 'project' &&
      (p.namespace === project || p.namespace === '*') &&
      p.access.some((a) => a.resource === resource && (a.action === action || a.action === '*') && a.effect !== 'deny'),
  );
}
