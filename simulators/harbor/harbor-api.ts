// The Harbor v2.0 REST API the engine uses: ping, systeminfo, projects, repositories,
// artifacts (get, list, delete), scans and robot accounts (robots-api.ts). Paths are parsed from the raw URL: a repository
// name with `/` must arrive DOUBLE-encoded (`ws1%252Fapp`); a single-encoded one (`ws1%2Fapp`)
// is what Harbor sees as extra path segments, and answers with the same 404 as a missing artifact.
import { Hono, type Context } from 'hono';
import type { ScenarioStore } from '../common/scenario.js';
import type { ArtifactService, ResolvedArtifact } from './artifacts.js';
import type { UserDirectory } from './auth.js';
import { harborError, requestId } from './errors.js';
import { isDigest } from './oci.js';
import type { OciStore } from './oci-store.js';
import { handleRobots } from './robots-api.js';
import { appKeyOf, isScanInFlight, scanStatus, startScan, stopScan } from './scans.js';
import type { HarborState } from './state.js';

export const HARBOR_VERSION = 'v2.11.0-simulator';

export interface HarborApiOptions {
  store: OciStore;
  artifacts: ArtifactService;
  state: HarborState;
  users: UserDirectory;
  scenarios: ScenarioStore;
  publicUrl?: string;
}

type ApiRoute =
  | { kind: 'ping' }
  | { kind: 'systeminfo' }
  | { kind: 'robots'; robotId?: string }
  | { kind: 'project'; project: string }
  | { kind: 'repositories'; project: string }
  | { kind: 'repository'; project: string; repo: RepoSegment }
  | { kind: 'artifacts'; project: string; repo: RepoSegment }
  | { kind: 'artifact'; project: string; repo: RepoSegment; reference: string }
  | { kind: 'scan'; project: string; repo: RepoSegment; reference: string }
  | { kind: 'scan-stop'; project: string; repo: RepoSegment; reference: string }
  | { kind: 'tags'; project: string; repo: RepoSegment; reference: string };

/** The repository path segment: its name once decoded, and whether it was properly double-encoded. */
interface RepoSegment {
  name: string;
  valid: boolean;
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function repoSegment(raw: string): RepoSegment {
  const once = decode(raw);
  // Decoded once, a single-encoded name already contains `/`: Harbor's router sees more segments.
  if (once.includes('/')) return { name: once, valid: false };
  return { name: /%2f/i.test(once) ? decode(once) : once, valid: true };
}

export function matchApiPath(rawPath: string): ApiRoute | null {
  const prefix = '/api/v2.0/';
  if (!rawPath.startsWith(prefix)) return null;
  const parts = rawPath.slice(prefix.length).split('/');
  if (parts[parts.length - 1] === '') parts.pop();
  const [first, project, second, repo, third, reference, fourth, fifth] = parts;
  if (parts.length === 1 && first === 'ping') return { kind: 'ping' };
  if (parts.length === 1 && first === 'systeminfo') return { kind: 'systeminfo' };
  if (first === 'robots' && parts.length <= 2) return { kind: 'robots', robotId: project === undefined ? undefined : decode(project) };
  if (first !== 'projects' || project === undefined) return null;
  const p = decode(project);
  if (parts.length === 2) return { kind: 'project', project: p };
  if (second !== 'repositories') return null;
  if (parts.length === 3) return { kind: 'repositories', project: p };
  if (repo === undefined) return null;
  const r = repoSegment(repo);
  if (parts.length === 4) return { kind: 'repository', project: p, repo: r };
  if (third !== 'artifacts') return null;
  if (parts.length === 5) return { kind: 'artifacts', project: p, repo: r };
  if (reference === undefined) return null;
  const ref = decode(reference);
  if (parts.length === 6) return { kind: 'artifact', project: p, repo: r, reference: ref };
  if (parts.length === 7 && fourth === 'scan') return { kind: 'scan', project: p, repo: r, reference: ref };
  if (parts.length === 7 && fourth === 'tags') return { kind: 'tags', project: p, repo: r, reference: ref };
  if (parts.length === 8 && fourth === 'scan' && fifth === 'stop') return { kind: 'scan-stop', project: p, repo: r, reference: ref };
  // A single-encoded repository name shows up as extra segments: the route that Harbor would
  // not match at all. It still looks like a missing artifact to the caller.
  return null;
}

/** The route pattern of an API path, for request counters. */
export function apiRouteKey(rawPath: string): string {
  const route = matchApiPath(rawPath);
  const artifactBase = '/api/v2.0/projects/:project/repositories/:repository/artifacts';
  switch (route?.kind) {
    case 'ping':
      return '/api/v2.0/ping';
    case 'systeminfo':
      return '/api/v2.0/systeminfo';
    case 'robots':
      return route.robotId === undefined ? '/api/v2.0/robots' : '/api/v2.0/robots/:robot_id';
    case 'project':
      return '/api/v2.0/projects/:project';
    case 'repositories':
      return '/api/v2.0/projects/:project/repositories';
    case 'repository':
      return '/api/v2.0/projects/:project/repositories/:repository';
    case 'artifacts':
      return artifactBase;
    case 'artifact':
      return `${artifactBase}/:reference`;
    case 'scan':
      return `${artifactBase}/:reference/scan`;
    case 'scan-stop':
      return `${artifactBase}/:reference/scan/stop`;
    case 'tags':
      return `${artifactBase}/:reference/tags`;
    default:
      return '/api/v2.0/*';
  }
}

export function createHarborApi(options: HarborApiOptions): Hono {
  const { store, artifacts, state, users, scenarios } = options;
  const app = new Hono();

  app.all('*', async (c) => {
    const id = requestId(c.req.header('x-request-id'));
    const rawPath = new URL(c.req.url).pathname;
    const route = matchApiPath(rawPath);
    const method = c.req.method;
    const json = (body: unknown, status = 200, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': id, ...headers } });
    const empty = (status: number) => new Response(null, { status, headers: { 'x-request-id': id, 'content-length': '0' } });
    const notAllowed = () => harborError(405, 'METHOD_NOT_ALLOWED', 'method not allowed', id);

    if (!route) {
      const pieces = rawPath.split('/');
      const artifactsAt = pieces.indexOf('artifacts');
      // Single-encoded repository names land here: same answer as "no such artifact".
      if (pieces[3] === 'projects' && artifactsAt > 6 && artifactsAt === pieces.length - 2) {
        const repository = decode(pieces.slice(6, artifactsAt).join('/'));
        return harborError(404, 'NOT_FOUND', artifactNotFound(`${decode(pieces[4] ?? '')}/${repository}`, decode(pieces[artifactsAt + 1] ?? '')), id);
      }
      return harborError(404, 'NOT_FOUND', `path ${rawPath} was not found`, id);
    }

    if (route.kind === 'ping') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed();
      return new Response('Pong', { status: 200, headers: { 'content-type': 'text/plain; charset=utf-8', 'x-request-id': id } });
    }

    const authorization = c.req.header('authorization');
    const user = users.verifyBasic(authorization);

    if (route.kind === 'systeminfo') {
      if (method !== 'GET' && method !== 'HEAD') return notAllowed();
      const origin = (options.publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '');
      const info: Record<string, unknown> = {
        auth_mode: 'db_auth',
        primary_auth_mode: false,
        self_registration: false,
        banner_message: '',
        oidc_provider_name: '',
        current_time: new Date().toISOString(),
      };
      // Anonymous callers get the general part only (Harbor omits the rest for them).
      if (user) {
        Object.assign(info, {
          harbor_version: HARBOR_VERSION,
          registry_url: new URL(origin).host,
          external_url: origin,
          project_creation_restriction: 'everyone',
          read_only: false,
          has_ca_root: false,
          notification_enable: true,
          registry_storage_provider_name: store.kind === 'upstream' ? 'upstream' : 'filesystem',
          with_chartmuseum: false,
        });
      }
      return json(info);
    }

    if (!user) {
      return harborError(401, 'UNAUTHORIZED', authorization ? 'unauthorized: invalid username or password' : 'unauthorized', id);
    }
    // Harbor's CSRF check applies to requests that carry a session cookie: keep no cookie jar.
    if (!['GET', 'HEAD', 'OPTIONS'].includes(method) && /(?:^|;\s*)sid=/.test(c.req.header('cookie') ?? '') && !c.req.header('x-harbor-csrf-token')) {
      return harborError(403, 'FORBIDDEN', 'CSRF token invalid', id);
    }
    if (route.kind === 'robots') return handleRobots(c, { robots: users.robots, users, state }, user, route.robotId, id, json);
    if (!users.projectExists(route.project)) return harborError(404, 'NOT_FOUND', `project ${route.project} not found`, id);
    if (!users.canAccessProject(user, route.project)) return harborError(403, 'FORBIDDEN', 'forbidden', id);
    // A robot made through the API reaches only what its permissions name (a pull-only robot
    // gets 403 here: reading artifacts takes artifact:read, which `repository:pull` is not).
    const needed = permissionOf(route.kind, method);
    if (needed && !users.holds(user, route.project, needed[0], needed[1])) return harborError(403, 'FORBIDDEN', 'forbidden', id);

    if (route.kind === 'project') {
      if (method !== 'GET') return notAllowed();
      return json({
        project_id: state.projectId(route.project),
        name: route.project,
        public: false,
        repo_count: (await repositoriesOf(route.project)).length,
        metadata: { public: 'false', auto_scan: 'true' },
      });
    }

    if (route.kind === 'repositories') {
      if (method !== 'GET') return notAllowed();
      const pageParams = paging(c);
      if ('error' in pageParams) return harborError(422, 'UNPROCESSABLE_ENTITY', pageParams.error, id);
      const names = await repositoriesOf(route.project);
      const items = [];
      for (const name of names.slice((pageParams.page - 1) * pageParams.pageSize, pageParams.page * pageParams.pageSize))
        items.push(await repositoryJson(name));
      return json(items, 200, pageHeaders(c, names.length, pageParams));
    }

    if (!route.repo.valid)
      return harborError(
        404,
        'NOT_FOUND',
        route.kind === 'repository'
          ? `repository ${route.project}/${route.repo.name} not found`
          : artifactNotFound(`${route.project}/${route.repo.name}`, 'reference' in route ? route.reference : ''),
        id,
      );
    const repository = `${route.project}/${route.repo.name}`;

    if (route.kind === 'repository') {
      if (method !== 'GET') return notAllowed();
      if (!(await repositoryExists(repository))) return harborError(404, 'NOT_FOUND', `repository ${repository} not found`, id);
      return json(await repositoryJson(repository));
    }

    if (route.kind === 'artifacts') {
      if (method !== 'GET') return notAllowed();
      if (!(await repositoryExists(repository))) return harborError(404, 'NOT_FOUND', `repository ${repository} not found`, id);
      const pageParams = paging(c);
      if ('error' in pageParams) return harborError(422, 'UNPROCESSABLE_ENTITY', pageParams.error, id);
      const query = parseQuery(c.req.query('q'));
      if ('error' in query) return harborError(400, 'BAD_REQUEST', query.error, id);
      const withScanOverview = c.req.query('with_scan_overview') === 'true';
      const withTag = c.req.query('with_tag') !== 'false';
      const all = [];
      for (const artifact of await artifacts.list(repository)) all.push(await artifacts.describe(artifact, { withTag: true, withScanOverview }));
      const filtered = all.filter((a) => matchesQuery(a, query.filters));
      const descending = (c.req.query('sort') ?? '-push_time') !== 'push_time';
      filtered.sort((a, b) => (descending ? b.push_time.localeCompare(a.push_time) || b.id - a.id : a.push_time.localeCompare(b.push_time) || a.id - b.id));
      const page = filtered
        .slice((pageParams.page - 1) * pageParams.pageSize, pageParams.page * pageParams.pageSize)
        .map((a) => (withTag ? a : { ...a, tags: null }));
      return json(page, 200, pageHeaders(c, filtered.length, pageParams));
    }

    const artifact = await artifacts.resolve(repository, route.reference);
    if (!artifact)
      return harborError(
        404,
        'NOT_FOUND',
        (await repositoryExists(repository)) ? artifactNotFound(repository, route.reference) : `repository ${repository} not found`,
        id,
      );

    switch (route.kind) {
      case 'artifact':
        if (method === 'GET') {
          const described = await artifacts.describe(artifact, {
            withTag: c.req.query('with_tag') !== 'false',
            withScanOverview: c.req.query('with_scan_overview') === 'true',
          });
          return json(described);
        }
        if (method === 'DELETE') {
          await artifacts.delete(artifact);
          return empty(200);
        }
        return notAllowed();
      case 'tags': {
        if (method !== 'GET') return notAllowed();
        const described = await artifacts.describe(artifact, { withTag: true });
        const tags = described.tags ?? [];
        return json(tags, 200, { 'x-total-count': String(tags.length) });
      }
      case 'scan':
        if (method !== 'POST') return notAllowed();
        return scan(artifact, id);
      case 'scan-stop': {
        if (method !== 'POST') return notAllowed();
        const record = state.scan(repository, artifact.manifest.digest);
        if (!record || !isScanInFlight(record)) return harborError(400, 'BAD_REQUEST', 'no scan job is running for the artifact', id);
        stopScan(state, record);
        return empty(202);
      }
    }
  });

  function scan(artifact: ResolvedArtifact, id: string): Response {
    if (!artifacts.isScannable(artifact)) {
      return harborError(
        422,
        'UNPROCESSABLE_ENTITY',
        `the configured scanner Trivy does not support scanning artifact with mime type ${artifact.manifest.mediaType}`,
        id,
      );
    }
    const existing = state.scan(artifact.repository, artifact.manifest.digest);
    if (existing && isScanInFlight(existing)) return harborError(409, 'CONFLICT', `a previous scan process is ${scanStatus(existing)}`, id);
    startScan(state, artifact.repository, artifact.manifest.digest, scenarios.get(appKeyOf(artifact.repository)));
    return new Response(null, { status: 202, headers: { 'x-request-id': id, 'content-length': '0' } });
  }

  async function repositoriesOf(project: string): Promise<string[]> {
    const names = new Set((await store.repositories()).filter((name) => name.startsWith(`${project}/`)));
    const result: string[] = [];
    for (const name of names) if ((await store.manifests(name)).length > 0) result.push(name);
    return result.sort();
  }

  async function repositoryExists(repository: string): Promise<boolean> {
    if ((await store.manifests(repository)).length > 0) return true;
    return state.artifacts().some((a) => a.repository === repository);
  }

  async function repositoryJson(name: string): Promise<Record<string, unknown>> {
    const record = state.repository(name);
    const list = await artifacts.list(name);
    const pulls = state.artifacts().filter((a) => a.repository === name && !a.pullTime.startsWith('0001')).length;
    return {
      id: record.id,
      project_id: state.projectId(name.split('/')[0] ?? ''),
      name,
      description: '',
      artifact_count: list.length,
      pull_count: pulls,
      creation_time: record.creationTime,
      update_time: record.creationTime,
    };
  }

  return app;
}

/** The resource:action Harbor checks for an API route (project scope). */
function permissionOf(kind: ApiRoute['kind'], method: string): [string, string] | undefined {
  switch (kind) {
    case 'project':
      return ['project', 'read'];
    case 'repositories':
      return ['repository', 'list'];
    case 'repository':
      return ['repository', 'read'];
    case 'artifacts':
      return ['artifact', 'list'];
    case 'artifact':
      return method === 'DELETE' ? ['artifact', 'delete'] : ['artifact', 'read'];
    case 'tags':
      return ['tag', 'list'];
    case 'scan':
      return ['scan', 'create'];
    case 'scan-stop':
      return ['scan', 'stop'];
    default:
      return undefined;
  }
}

function artifactNotFound(repository: string, reference: string): string {
  return isDigest(reference) ? `artifact ${repository}@${reference} not found` : `artifact ${repository}:${reference} not found`;
}

interface Paging {
  page: number;
  pageSize: number;
}

/** `page` (from 1) and `page_size` (default 10, at most 100): go-swagger answers 422 outside. */
function paging(c: Context): Paging | { error: string } {
  const page = Number(c.req.query('page') ?? '1');
  const pageSize = Number(c.req.query('page_size') ?? '10');
  if (!Number.isInteger(page) || page < 1) return { error: 'validation failure list:\npage in query should be greater than or equal to 1' };
  if (!Number.isInteger(pageSize) || pageSize < 1) return { error: 'validation failure list:\npage_size in query should be greater than or equal to 1' };
  if (pageSize > 100) return { error: 'validation failure list:\npage_size in query should be less than or equal to 100' };
  return { page, pageSize };
}

/** `X-Total-Count` and Harbor's `Link: <...>; rel="prev" , <...>; rel="next"`. */
function pageHeaders(c: Context, total: number, { page, pageSize }: Paging): Record<string, string> {
  const url = new URL(c.req.url);
  const link = (p: number) => {
    const params = new URLSearchParams(url.searchParams);
    params.set('page', String(p));
    params.set('page_size', String(pageSize));
    return `<${url.pathname}?${params.toString()}>`;
  };
  const links: string[] = [];
  if (page > 1) links.push(`${link(page - 1)}; rel="prev"`);
  if (page * pageSize < total) links.push(`${link(page + 1)}; rel="next"`);
  const headers: Record<string, string> = { 'x-total-count': String(total) };
  if (links.length > 0) headers.link = links.join(' , ');
  return headers;
}

type Filter = { key: string; op: 'exact' | 'fuzzy'; value: string };

/** Harbor's `q`: `k=v` (exact) and `k=~v` (fuzzy), comma separated; values may be quoted. */
function parseQuery(q: string | undefined): { filters: Filter[] } | { error: string } {
  if (!q) return { filters: [] };
  const filters: Filter[] = [];
  for (const part of q.split(',')) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { error: `invalid query: ${part}` };
    const key = part.slice(0, eq).trim();
    let value = part.slice(eq + 1).trim();
    let op: Filter['op'] = 'exact';
    if (value.startsWith('~')) {
      op = 'fuzzy';
      value = value.slice(1);
    }
    value = value.replace(/^["'](.*)["']$/, '$1');
    filters.push({ key, op, value });
  }
  return { filters };
}

function matchesQuery(artifact: { digest: string; type: string; media_type: string; tags: Array<{ name: string }> | null }, filters: Filter[]): boolean {
  return filters.every(({ key, op, value }) => {
    const test = (candidate: string) => (op === 'fuzzy' ? candidate.includes(value) : candidate === value);
    if (key === 'tags') {
      const names = (artifact.tags ?? []).map((t) => t.name);
      if (value === '*' && op === 'exact') return names.length > 0;
      if (value === 'nil' && op === 'exact') return names.length === 0;
      return names.some(test);
    }
    if (key === 'digest') return test(artifact.digest);
    if (key === 'type') return test(artifact.type);
    if (key === 'media_type') return test(artifact.media_type);
    return true;
  });
}
