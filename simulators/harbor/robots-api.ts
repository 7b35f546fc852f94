// Harbor's robot account API (`/api/v2.0/robots`, `/api/v2.0/robots/{robot_id}`), after
// src/server/v2.0/handler/robot.go: the same checks in the same order, the same messages and
// codes. Create answers 201 with the secret (shown only there) and a Location; a second robot of
// the same name in the same project is 409; PATCH with an empty secret makes a new one and
// answers it, with a given secret sets it and answers `{}`. Only project-level permissions on
// the simulator's projects are modelled; system-level robots are created but reach no project.
import type { Context } from 'hono';
import type { UserDirectory } from './auth.js';
import { harborError } from './errors.js';
import type { HarborState } from './state.js';
import { RobotStore, isValidSecret, type RobotPermission, type RobotRecord } from './robots.js';

/** Project-scope resource:action pairs a robot may be given (rbac.PoliciesMap[ScopeProject]). */
const PROJECT_POLICIES = new Set([
  'log:list',
  'project:read',
  'project:delete',
  'project:update',
  'metadata:read',
  'metadata:create',
  'metadata:delete',
  'metadata:list',
  'metadata:update',
  'repository:read',
  'repository:update',
  'repository:delete',
  'repository:list',
  'repository:pull',
  'repository:push',
  'artifact:read',
  'artifact:create',
  'artifact:list',
  'artifact:delete',
  'scan:create',
  'scan:read',
  'scan:stop',
  'sbom:create',
  'sbom:stop',
  'sbom:read',
  'tag:create',
  'tag:list',
  'tag:delete',
  'accessory:list',
  'artifact-addition:read',
  'artifact-label:create',
  'artifact-label:delete',
  'scanner:create',
  'scanner:read',
  'preheat-policy:read',
  'preheat-policy:create',
  'preheat-policy:delete',
  'preheat-policy:list',
  'preheat-policy:update',
  'immutable-tag:create',
  'immutable-tag:delete',
  'immutable-tag:list',
  'immutable-tag:update',
  'notification-policy:read',
  'notification-policy:create',
  'notification-policy:delete',
  'notification-policy:list',
  'notification-policy:update',
  'tag-retention:read',
  'tag-retention:create',
  'tag-retention:delete',
  'tag-retention:list',
  'tag-retention:update',
  'label:read',
  'label:create',
  'label:delete',
  'label:list',
  'label:update',
  'quota:read',
]);

const NAME_PATTERN = /^[a-z0-9]+(?:[._-][a-z0-9]+)*$/;
const MAX_INT32 = 2_147_483_647;

export interface RobotApiOptions {
  robots: RobotStore;
  users: UserDirectory;
  state: HarborState;
}

type Json = (body: unknown, status?: number, headers?: Record<string, string>) => Response;

interface CreateBody {
  name?: unknown;
  description?: unknown;
  level?: unknown;
  duration?: unknown;
  disable?: unknown;
  permissions?: unknown;
}

/** `/robots` (robotId undefined) or `/robots/{robotId}`. The caller is authenticated already. */
export async function handleRobots(
  c: Context,
  { robots, users, state }: RobotApiOptions,
  user: string,
  robotId: string | undefined,
  id: string,
  json: Json,
): Promise<Response> {
  const method = c.req.method;
  const bad = (message: string) => harborError(400, 'BAD_REQUEST', message, id);
  const forbidden = () => harborError(403, 'FORBIDDEN', 'forbidden', id);
  const projectName = (projectId: number) => state.projects[projectId - 1];
  const mayManage = (record: Pick<RobotRecord, 'level' | 'projectId'>) => {
    const project = record.level === 'project' ? projectName(record.projectId) : undefined;
    return project !== undefined && users.canManageRobots(user, project);
  };

  if (robotId === undefined) {
    if (method === 'POST') return create();
    if (method === 'GET') return list();
    return harborError(405, 'METHOD_NOT_ALLOWED', 'method not allowed', id);
  }

  // go-swagger validates the path parameter before the handler runs.
  if (!/^\d+$/.test(robotId))
    return harborError(422, 'UNPROCESSABLE_ENTITY', `validation failure list:\nrobot_id in path must be of type int64: "${robotId}"`, id);
  const record = robots.byId(Number(robotId));
  if (!record) return harborError(404, 'NOT_FOUND', `robot ${robotId} not found`, id);
  if (!mayManage(record)) return forbidden();
  switch (method) {
    case 'GET':
      return json(view(record));
    case 'PATCH': {
      const body = await readBody<{ secret?: unknown }>(c);
      if (body === undefined) return bad('parsing robotSec body from "" failed, because unexpected end of JSON input');
      const given = typeof body.secret === 'string' ? body.secret : '';
      if (given !== '' && !isValidSecret(given))
        return bad('the secret must be 8-128, inclusively, characters long with at least 1 uppercase letter, 1 lowercase letter and 1 number');
      const secret = robots.setSecret(record, given === '' ? undefined : given);
      return json(secret === undefined ? {} : { secret });
    }
    case 'DELETE':
      robots.delete(record.id);
      return new Response(null, { status: 200, headers: { 'x-request-id': id, 'content-length': '0' } });
    default:
      return harborError(405, 'METHOD_NOT_ALLOWED', 'method not allowed', id);
  }

  async function create(): Promise<Response> {
    const body = await readBody<CreateBody>(c);
    if (body === undefined) return bad('parsing robot body from "" failed, because unexpected end of JSON input');
    const name = typeof body.name === 'string' ? body.name : '';
    if (!NAME_PATTERN.test(name)) return bad('robot name is not in lower case or contains illegal characters');
    const duration = typeof body.duration === 'number' ? body.duration : 0;
    if (!(duration === -1 || (Number.isInteger(duration) && duration > 0 && duration < MAX_INT32))) {
      return bad(`bad request error duration input: ${duration}, duration must be either -1(Never) or a positive integer`);
    }
    const level = typeof body.level === 'string' ? body.level : '';
    if (level !== 'system' && level !== 'project') return bad(`bad request error level input: ${level}`);
    const permissions = parsePermissions(body.permissions);
    if (typeof permissions === 'string') return bad(permissions);
    if (level === 'project' && permissions.length > 1) return bad('bad request permission');
    for (const permission of permissions) {
      if (permission.kind === 'project') {
        const refused = permission.access.find((a) => !PROJECT_POLICIES.has(`${a.resource}:${a.action}`));
        if (refused) return bad(`bad request permission: ${refused.resource}:${refused.action}`);
      } else if (permission.kind !== 'system') {
        return bad(`bad request permission level: ${permission.kind}`);
      }
    }
    const namespace = permissions[0]!.namespace;
    const projectId = level === 'project' ? state.projectId(namespace) : 0;
    // Creating a project robot takes robot:create on that project; a system one, system access
    // (the simulator's configured users and system robots have it).
    if (level === 'project' ? !users.canManageRobots(user, namespace) : /^robot\$[^+]+\+/.test(user)) return forbidden();
    const storedName = level === 'project' ? `${namespace}+${name}` : name;
    if (robots.byStoredName(projectId, storedName)) return harborError(409, 'CONFLICT', `robot account ${projectId}:${storedName} already exists`, id);
    const { record: created, secret } = robots.create({
      storedName,
      description: typeof body.description === 'string' ? body.description : '',
      level,
      projectId,
      duration,
      disabled: body.disable === true,
      permissions,
      creatorType: /^robot\$/.test(user) ? 'robot' : 'local',
    });
    const location = `${new URL(c.req.url).pathname.replace(/\/+$/, '')}/${created.id}`;
    return json({ id: created.id, name: RobotStore.fullName(created), secret, creation_time: created.creationTime, expires_at: created.expiresAt }, 201, {
      location,
    });
  }

  function list(): Response {
    const query = parseQ(c.req.query('q'));
    let level = 'system';
    let projectId = 0;
    if (query.Level !== undefined) {
      level = query.Level;
      if (level !== 'system' && level !== 'project') return bad('bad request error level input');
      if (level === 'project') {
        if (query.ProjectID === undefined) return bad('must with project ID when to query project robots');
        projectId = Number(query.ProjectID);
        if (!Number.isInteger(projectId) || projectId <= 0) return bad('ProjectID must be a positive integer');
      }
    }
    if (level === 'project' ? !mayManage({ level: 'project', projectId }) : /^robot\$[^+]+\+/.test(user)) return forbidden();
    const page = Number(c.req.query('page') ?? '1');
    const pageSize = Number(c.req.query('page_size') ?? '10');
    if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1 || pageSize > 100) {
      return harborError(422, 'UNPROCESSABLE_ENTITY', 'validation failure list:\npage and page_size must be positive (page_size at most 100)', id);
    }
    const name = query.name;
    const matches = robots
      .list()
      .filter((r) => r.projectId === projectId)
      .filter((r) => name === undefined || (name.startsWith('~') ? r.storedName.includes(name.slice(1)) : r.storedName === name));
    return json(matches.slice((page - 1) * pageSize, page * pageSize).map(view), 200, { 'x-total-count': String(matches.length) });
  }

  function view(r: RobotRecord): Record<string, unknown> {
    return {
      id: r.id,
      name: RobotStore.fullName(r),
      ...(r.description ? { description: r.description } : {}),
      expires_at: r.expiresAt,
      duration: r.duration,
      level: r.level,
      disable: r.disabled,
      editable: true,
      creator_type: r.creatorType,
      creation_time: r.creationTime,
      update_time: r.updateTime,
      permissions: r.permissions,
    };
  }
}

async function readBody<T>(c: Context): Promise<T | undefined> {
  try {
    const parsed: unknown = JSON.parse(await c.req.text());
    return parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as T) : undefined;
  } catch {
    return undefined;
  }
}

/** The permissions, or the message of Harbor's first complaint about them. */
function parsePermissions(value: unknown): RobotPermission[] | string {
  if (!Array.isArray(value) || value.length === 0) return 'bad request empty permission';
  const result: RobotPermission[] = [];
  for (const entry of value as unknown[]) {
    if (entry === null || typeof entry !== 'object') return 'bad request empty permission';
    const p = entry as { kind?: unknown; namespace?: unknown; access?: unknown };
    if (!Array.isArray(p.access) || p.access.length === 0) return 'bad request empty access';
    const access = [];
    for (const a of p.access as unknown[]) {
      if (a === null || typeof a !== 'object') return 'bad request empty access';
      const { resource, action, effect } = a as { resource?: unknown; action?: unknown; effect?: unknown };
      access.push({ resource: text(resource), action: text(action), ...(typeof effect === 'string' && effect ? { effect } : {}) });
    }
    result.push({ kind: text(p.kind), namespace: text(p.namespace), access });
  }
  return result;
}

/** A JSON string field as go-swagger reads it: anything else is the zero value. */
const text = (value: unknown) => (typeof value === 'string' ? value : '');

/** Harbor's `q`: `k=v,k2=v2` (a value starting with `~` matches fuzzily). */
function parseQ(q: string | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const part of (q ?? '').split(',')) {
    const eq = part.indexOf('=');
    if (eq > 0) result[part.slice(0, eq).trim()] = part.slice(eq + 1).trim();
  }
  return result;
}
