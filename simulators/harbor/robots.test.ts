// Robot accounts of the Harbor simulator over real HTTP with plain fetch, checked against
// Harbor's robot handler (src/server/v2.0/handler/robot.go): create answers, the 400/401/403/409
// bodies, list by project, secret refresh; then the registry side: a pull-only robot pulls with
// its secret and nothing else, and a refreshed secret replaces the old one.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ADMIN, OTHER_ROBOT, ROBOT, RegistrySession, basic, pushImage, startHarbor, type RunningHarbor, anyString, matching } from './test-helpers.js';

let harbor: RunningHarbor;

beforeAll(async () => {
  harbor = await startHarbor();
  harbor.scenarios.setDefault({ scan: { onPush: false } });
  await pushImage(new RegistrySession(harbor.url, ROBOT), 'apps/ws1/shop', 'v1');
});
afterAll(async () => harbor.close());

const as = (who: { username: string; password: string }) => ({ authorization: basic(who.username, who.password) });
const api = (path: string, init: RequestInit & { who?: { username: string; password: string } } = {}) =>
  fetch(`${harbor.url}/api/v2.0${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...as(init.who ?? ADMIN), ...(init.headers as Record<string, string>) },
  });
const pullOnly = (name: string, extra: Record<string, unknown> = {}) => ({
  name,
  level: 'project',
  duration: -1,
  permissions: [{ kind: 'project', namespace: 'apps', access: [{ resource: 'repository', action: 'pull' }] }],
  ...extra,
});
const create = (body: unknown, who = ADMIN) => api('/robots', { method: 'POST', body: JSON.stringify(body), who });

async function harborError(response: Response, status: number, code: string): Promise<string> {
  expect(response.status).toBe(status);
  expect(response.headers.get('x-request-id')).toBeTruthy();
  const body = (await response.json()) as { errors: Array<{ code: string; message: string }> };
  expect(body).toEqual({ errors: [{ code, message: anyString }] });
  return body.errors[0]!.message;
}

interface Created {
  id: number;
  name: string;
  secret: string;
  creation_time: string;
  expires_at: number;
}

async function created(name: string): Promise<Created> {
  const response = await create(pullOnly(name));
  expect(response.status).toBe(201);
  return (await response.json()) as Created;
}

describe('POST /api/v2.0/robots', () => {
  it('answers 201 with the prefixed name, the secret, a Location and no expiry for duration -1', async () => {
    const response = await create(pullOnly('pull-ws1'));
    expect(response.status).toBe(201);
    const body = (await response.json()) as Created;
    expect(body).toEqual({
      id: expect.any(Number),
      name: 'robot$apps+pull-ws1',
      secret: matching(/^[A-Za-z0-9]{32}$/),
      creation_time: matching(/^\d{4}-\d\d-\d\dT/),
      expires_at: -1,
    });
    expect(response.headers.get('location')).toBe(`/api/v2.0/robots/${body.id}`);
  });

  it('answers 409 CONFLICT for a second robot of the same name in the project', async () => {
    await created('twice');
    const message = await harborError(await create(pullOnly('twice')), 409, 'CONFLICT');
    expect(message).toBe('robot account 1:apps+twice already exists');
  });

  it("answers 400 BAD_REQUEST for bad names, durations, levels and permissions, with Harbor's messages", async () => {
    const cases: Array<[unknown, string]> = [
      [pullOnly('Upper'), 'robot name is not in lower case or contains illegal characters'],
      [pullOnly('a+b'), 'robot name is not in lower case or contains illegal characters'],
      [pullOnly('d0', { duration: 0 }), 'bad request error duration input: 0, duration must be either -1(Never) or a positive integer'],
      [pullOnly('lv', { level: 'cluster' }), 'bad request error level input: cluster'],
      [pullOnly('np', { permissions: [] }), 'bad request empty permission'],
      [pullOnly('na', { permissions: [{ kind: 'project', namespace: 'apps', access: [] }] }), 'bad request empty access'],
      [
        pullOnly('bad-action', { permissions: [{ kind: 'project', namespace: 'apps', access: [{ resource: 'repository', action: 'fly' }] }] }),
        'bad request permission: repository:fly',
      ],
      [pullOnly('two', { permissions: [pullOnly('x').permissions[0], pullOnly('x').permissions[0]] }), 'bad request permission'],
      [
        pullOnly('kind', { level: 'system', permissions: [{ kind: 'cluster', namespace: '/', access: [{ resource: 'repository', action: 'pull' }] }] }),
        'bad request permission level: cluster',
      ],
    ];
    for (const [body, message] of cases) expect(await harborError(await create(body), 400, 'BAD_REQUEST')).toBe(message);
    expect(await harborError(await api('/robots', { method: 'POST', body: 'not json' }), 400, 'BAD_REQUEST')).toMatch(/parsing robot body/);
  });

  it('answers 401 without or with wrong credentials, 403 to a project robot and to another project', async () => {
    expect(
      await harborError(await fetch(`${harbor.url}/api/v2.0/robots`, { method: 'POST', body: JSON.stringify(pullOnly('anon')) }), 401, 'UNAUTHORIZED'),
    ).toBe('unauthorized');
    await harborError(await create(pullOnly('wrong'), { username: 'admin', password: 'nope' }), 401, 'UNAUTHORIZED');
    // A project robot can never hold robot permissions in Harbor: the engine needs an admin account for this.
    expect(await harborError(await create(pullOnly('by-robot'), ROBOT), 403, 'FORBIDDEN')).toBe('forbidden');
    await harborError(
      await create(
        pullOnly('elsewhere', { permissions: [{ kind: 'project', namespace: 'other', access: [{ resource: 'repository', action: 'pull' }] }] }),
        OTHER_ROBOT,
      ),
      403,
      'FORBIDDEN',
    );
  });
});

describe('GET /api/v2.0/robots and /robots/{id}', () => {
  it('finds a project robot by its stored name with Level=project,ProjectID, never among system robots', async () => {
    const robot = await created('findme');
    const q = (query: string) => api(`/robots?${new URLSearchParams({ q: query }).toString()}`);
    const found = await q('Level=project,ProjectID=1,name=apps+findme');
    expect(found.status).toBe(200);
    expect(found.headers.get('x-total-count')).toBe('1');
    const list = (await found.json()) as Array<Record<string, unknown>>;
    expect(list).toEqual([
      expect.objectContaining({ id: robot.id, name: 'robot$apps+findme', level: 'project', disable: false, editable: true, expires_at: -1, duration: -1 }),
    ]);
    expect(list[0]).not.toHaveProperty('secret');
    expect(list[0]!.permissions).toEqual([{ kind: 'project', namespace: 'apps', access: [{ resource: 'repository', action: 'pull' }] }]);
    expect(await (await q('name=apps+findme')).json()).toEqual([]);
    expect(await harborError(await q('Level=project'), 400, 'BAD_REQUEST')).toBe('must with project ID when to query project robots');
    expect(await harborError(await q('Level=project,ProjectID=x'), 400, 'BAD_REQUEST')).toBe('ProjectID must be a positive integer');
    const one = await api(`/robots/${robot.id}`);
    expect(((await one.json()) as { name: string }).name).toBe('robot$apps+findme');
    expect(await harborError(await api('/robots/99999'), 404, 'NOT_FOUND')).toBe('robot 99999 not found');
  });
});

describe('PATCH /api/v2.0/robots/{id} (refresh the secret)', () => {
  it('makes a new secret when none is given, sets a given one (answering {}), and refuses a weak one', async () => {
    const robot = await created('rotate');
    const refreshed = await api(`/robots/${robot.id}`, { method: 'PATCH', body: '{}' });
    expect(refreshed.status).toBe(200);
    const { secret } = (await refreshed.json()) as { secret: string };
    expect(secret).toMatch(/^[A-Za-z0-9]{32}$/);
    expect(secret).not.toBe(robot.secret);
    const set = await api(`/robots/${robot.id}`, { method: 'PATCH', body: JSON.stringify({ secret: 'Chosen-Secret-42' }) });
    expect(set.status).toBe(200);
    expect(await set.json()).toEqual({});
    expect(await harborError(await api(`/robots/${robot.id}`, { method: 'PATCH', body: JSON.stringify({ secret: 'short' }) }), 400, 'BAD_REQUEST')).toMatch(
      /^the secret must be 8-128/,
    );
    await harborError(await api(`/robots/${robot.id}`, { method: 'PATCH', body: '{}', who: ROBOT }), 403, 'FORBIDDEN');
    await harborError(await api('/robots/99999', { method: 'PATCH', body: '{}' }), 404, 'NOT_FOUND');
  });

  it('deletes with 200, then 404', async () => {
    const robot = await created('gone');
    expect((await api(`/robots/${robot.id}`, { method: 'DELETE' })).status).toBe(200);
    await harborError(await api(`/robots/${robot.id}`, { method: 'DELETE' }), 404, 'NOT_FOUND');
  });
});

describe('the registry side of a pull-only robot', () => {
  let robot: Created;
  beforeEach(async () => {
    robot = await created(`registry-${Math.random().toString(36).slice(2, 8)}`);
  });

  async function token(username: string, password: string, scope: string): Promise<Response> {
    const url = new URL('/service/token', harbor.url);
    url.searchParams.set('service', 'harbor-registry');
    url.searchParams.set('scope', scope);
    return fetch(url, { headers: { authorization: basic(username, password) } });
  }

  it('pulls a manifest of its project with its secret', async () => {
    const session = new RegistrySession(harbor.url, { username: robot.name, password: robot.secret });
    const response = await session.fetch('/v2/apps/ws1/shop/manifests/v1', {
      scope: 'repository:apps/ws1/shop:pull',
      headers: { accept: 'application/vnd.oci.image.manifest.v1+json' },
    });
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  it('is granted pull only: the token for pull,push carries pull, and a push is refused', async () => {
    const answer = await token(robot.name, robot.secret, 'repository:apps/ws1/shop:pull,push');
    expect(answer.status).toBe(200);
    const { token: jwt } = (await answer.json()) as { token: string };
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { access: Array<{ actions: string[] }> };
    expect(claims.access).toEqual([{ type: 'repository', name: 'apps/ws1/shop', actions: ['pull'] }]);
    const session = new RegistrySession(harbor.url, { username: robot.name, password: robot.secret });
    await expect(pushImage(session, 'apps/ws1/shop', 'from-robot')).rejects.toThrow(/expected 202, got 401/);
    // Basic credentials straight to the registry: pull yes, push no.
    const start = await fetch(`${harbor.url}/v2/apps/ws1/shop/blobs/uploads/`, {
      method: 'POST',
      headers: as({ username: robot.name, password: robot.secret }),
    });
    expect(start.status).toBe(401);
    await start.body?.cancel();
  });

  it('reaches no other project, and no Harbor API beyond pulling (artifact reads take artifact:read)', async () => {
    const answer = await token(robot.name, robot.secret, 'repository:other/x:pull');
    const { token: jwt } = (await answer.json()) as { token: string };
    const claims = JSON.parse(Buffer.from(jwt.split('.')[1]!, 'base64url').toString('utf8')) as { access: Array<{ actions: string[] }> };
    expect(claims.access[0]!.actions).toEqual([]);
    const read = await fetch(`${harbor.url}/api/v2.0/projects/apps/repositories/${encodeURIComponent(encodeURIComponent('ws1/shop'))}/artifacts/v1`, {
      headers: as({ username: robot.name, password: robot.secret }),
    });
    await harborError(read, 403, 'FORBIDDEN');
  });

  it('refuses a wrong secret, and the old secret once it was refreshed', async () => {
    const wrong = await token(robot.name, `${robot.secret}x`, 'repository:apps/ws1/shop:pull');
    expect(wrong.status).toBe(401);
    expect(await wrong.json()).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: matching(/invalid username or password/) }] });
    const { secret } = (await (await api(`/robots/${robot.id}`, { method: 'PATCH', body: '{}' })).json()) as { secret: string };
    expect((await token(robot.name, robot.secret, 'repository:apps/ws1/shop:pull')).status).toBe(401);
    expect((await token(robot.name, secret, 'repository:apps/ws1/shop:pull')).status).toBe(200);
  });
});

describe('persistence', () => {
  it('keeps robots in <dataDir>/robots.json with a salted hash, never the secret, across a restart', async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), 'harbor-robots-'));
    try {
      const first = await startHarbor({ dataDir });
      const response = await fetch(`${first.url}/api/v2.0/robots`, {
        method: 'POST',
        headers: { ...as(ADMIN), 'content-type': 'application/json' },
        body: JSON.stringify(pullOnly('kept')),
      });
      const robot = (await response.json()) as Created;
      await first.close();
      expect(readFileSync(path.join(dataDir, 'robots.json'), 'utf8')).not.toContain(robot.secret);
      const second = await startHarbor({ dataDir });
      try {
        const url = new URL('/service/token', second.url);
        url.searchParams.set('scope', 'repository:apps/ws1/shop:pull');
        expect((await fetch(url, { headers: as({ username: robot.name, password: robot.secret }) })).status).toBe(200);
        const again = await fetch(`${second.url}/api/v2.0/robots`, {
          method: 'POST',
          headers: { ...as(ADMIN), 'content-type': 'application/json' },
          body: JSON.stringify(pullOnly('kept')),
        });
        expect(again.status).toBe(409);
      } finally {
        await second.close();
      }
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
