// Conformance of the simulator's OCI distribution API (/v2/) and Harbor's token service, over
// real HTTP with plain fetch: challenge and token flow, push (monolithic, chunked, mount),
// pull, Accept negotiation, tag rules, error codes.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ACCEPT_ALL,
  DOCKER_LIST,
  DOCKER_MANIFEST,
  OCI_INDEX,
  OCI_MANIFEST,
  OTHER_ROBOT,
  ROBOT,
  RegistrySession,
  basic,
  digestOf,
  parseChallenge,
  pushBlob,
  pushImage,
  putManifest,
  startHarbor,
  type RunningHarbor,
  anyNumber,
  anyString,
  matching,
} from './test-helpers.js';

let harbor: RunningHarbor;
let session: RegistrySession;
const robotBasic = { authorization: basic(ROBOT.username, ROBOT.password) };

beforeAll(async () => {
  harbor = await startHarbor();
  session = new RegistrySession(harbor.url, ROBOT);
});
afterAll(async () => harbor.close());

async function token(scope: string, who: { username: string; password: string } | null = ROBOT): Promise<string> {
  const url = `${harbor.url}/service/token?service=harbor-registry&scope=${encodeURIComponent(scope)}`;
  const response = await fetch(url, { headers: who ? { authorization: basic(who.username, who.password) } : {} });
  expect(response.status).toBe(200);
  return ((await response.json()) as { token: string }).token;
}

async function registryErrorCode(response: Response, status: number): Promise<string[]> {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { errors: Array<{ code: string; message: string }> };
  return body.errors.map((e) => e.code);
}

describe('token auth', () => {
  it('challenges GET /v2/ with Harbor realm and service', async () => {
    const response = await fetch(`${harbor.url}/v2/`);
    expect(response.status).toBe(401);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    const challenge = parseChallenge(response.headers.get('www-authenticate'));
    expect(challenge).toEqual({ scheme: 'bearer', params: { realm: `${harbor.url}/service/token`, service: 'harbor-registry' } });
    expect(await registryErrorCode(response, 401)).toEqual(['UNAUTHORIZED']);
  });

  it('puts the repository scope in the challenge: pull to read, pull,push to write', async () => {
    const head = await fetch(`${harbor.url}/v2/apps/ws1/app/manifests/latest`, { method: 'HEAD' });
    expect(head.status).toBe(401);
    expect(parseChallenge(head.headers.get('www-authenticate'))?.params.scope).toBe('repository:apps/ws1/app:pull');
    const post = await fetch(`${harbor.url}/v2/apps/ws1/app/blobs/uploads/`, { method: 'POST' });
    expect(parseChallenge(post.headers.get('www-authenticate'))?.params.scope).toBe('repository:apps/ws1/app:pull,push');
  });

  it('issues {token, access_token, expires_in, issued_at} for Basic credentials', async () => {
    const response = await fetch(`${harbor.url}/service/token?service=harbor-registry&scope=repository:apps/ws1/app:pull,push`, { headers: robotBasic });
    expect(response.status).toBe(200);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toEqual({ token: anyString, access_token: body.token, expires_in: anyNumber, issued_at: matching(/^\d{4}-/) });
    const ok = await fetch(`${harbor.url}/v2/`, { headers: { authorization: `Bearer ${body.token as string}` } });
    expect(ok.status).toBe(200);
  });

  it('refuses bad credentials at the token service', async () => {
    const response = await fetch(`${harbor.url}/service/token?service=harbor-registry&scope=repository:apps/x:pull`, {
      headers: { authorization: basic(ROBOT.username, 'nope') },
    });
    expect(response.status).toBe(401);
  });

  it('grants nothing to anonymous callers or robots of another project: insufficient_scope', async () => {
    for (const who of [null, OTHER_ROBOT]) {
      const t = await token('repository:apps/ws1/app:pull', who);
      const response = await fetch(`${harbor.url}/v2/apps/ws1/app/manifests/latest`, { headers: { authorization: `Bearer ${t}` } });
      expect(response.status).toBe(401);
      expect(parseChallenge(response.headers.get('www-authenticate'))?.params).toMatchObject({
        scope: 'repository:apps/ws1/app:pull',
        error: 'insufficient_scope',
      });
    }
  });

  it('does not let a pull token push', async () => {
    const t = await token('repository:apps/ws1/app:pull');
    const response = await fetch(`${harbor.url}/v2/apps/ws1/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${t}` } });
    expect(response.status).toBe(401);
  });

  it('also accepts Basic credentials directly on /v2/, as Harbor does', async () => {
    expect((await fetch(`${harbor.url}/v2/`, { headers: robotBasic })).status).toBe(200);
  });
});

describe('push and pull', () => {
  it('pushes monolithically and pulls by tag and by digest with the right headers', async () => {
    const pushed = await pushImage(session, 'apps/ws1/pull-me', 'v1');
    const t = await token('repository:apps/ws1/pull-me:pull');
    const byTag = await fetch(`${harbor.url}/v2/apps/ws1/pull-me/manifests/v1`, { headers: { authorization: `Bearer ${t}`, accept: ACCEPT_ALL } });
    expect(byTag.status).toBe(200);
    expect(byTag.headers.get('content-type')).toBe(OCI_MANIFEST);
    const body = new Uint8Array(await byTag.arrayBuffer());
    expect(byTag.headers.get('docker-content-digest')).toBe(digestOf(body));
    expect(digestOf(body)).toBe(pushed.digest);

    const head = await fetch(`${harbor.url}/v2/apps/ws1/pull-me/manifests/${pushed.digest}`, {
      method: 'HEAD',
      headers: { authorization: `Bearer ${t}`, accept: ACCEPT_ALL },
    });
    expect(head.status).toBe(200);
    expect(head.headers.get('docker-content-digest')).toBe(pushed.digest);
    expect(head.headers.get('content-length')).toBe(String(body.length));

    const manifest = JSON.parse(Buffer.from(body).toString()) as { layers: Array<{ digest: string; size: number }> };
    const layer = manifest.layers[0] as { digest: string; size: number };
    const blob = await fetch(`${harbor.url}/v2/apps/ws1/pull-me/blobs/${layer.digest}`, { headers: { authorization: `Bearer ${t}` } });
    expect(blob.status).toBe(200);
    expect(digestOf(new Uint8Array(await blob.arrayBuffer()))).toBe(layer.digest);
    const blobHead = await fetch(`${harbor.url}/v2/apps/ws1/pull-me/blobs/${layer.digest}`, { method: 'HEAD', headers: { authorization: `Bearer ${t}` } });
    expect(blobHead.headers.get('content-length')).toBe(String(layer.size));
    expect(blobHead.headers.get('docker-content-digest')).toBe(layer.digest);
  });

  it('pushes in chunks with Content-Range and reports progress in Range', async () => {
    const pushed = await pushImage(session, 'apps/ws1/chunky', 'v1', { chunkSize: 7, layerBytes: 50 });
    const head = await fetch(`${harbor.url}/v2/apps/ws1/chunky/manifests/v1`, { method: 'HEAD', headers: { ...robotBasic, accept: ACCEPT_ALL } });
    expect(head.headers.get('docker-content-digest')).toBe(pushed.digest);

    const start = await fetch(`${harbor.url}/v2/apps/ws1/chunky/blobs/uploads/`, { method: 'POST', headers: robotBasic });
    expect(start.status).toBe(202);
    expect(start.headers.get('range')).toBe('0-0');
    expect(start.headers.get('docker-upload-uuid')).toBeTruthy();
    const location = new URL(start.headers.get('location') ?? '', harbor.url).toString();
    const patch = await fetch(location, {
      method: 'PATCH',
      headers: { ...robotBasic, 'content-range': '0-4', 'content-type': 'application/octet-stream' },
      body: new Uint8Array([1, 2, 3, 4, 5]),
    });
    expect(patch.status).toBe(202);
    expect(patch.headers.get('range')).toBe('0-4');
    const outOfOrder = await fetch(location, { method: 'PATCH', headers: { ...robotBasic, 'content-range': '10-11' }, body: new Uint8Array([1, 2]) });
    expect(outOfOrder.status).toBe(416);
    expect(outOfOrder.headers.get('range')).toBe('0-4');
    const status = await fetch(location, { headers: robotBasic });
    expect(status.status).toBe(204);
    expect(status.headers.get('range')).toBe('0-4');
    const wrong = await fetch(`${location}?digest=${digestOf(new Uint8Array([9]))}`, { method: 'PUT', headers: robotBasic });
    expect(await registryErrorCode(wrong, 400)).toEqual(['DIGEST_INVALID']);
    const gone = await fetch(location, { method: 'PATCH', headers: robotBasic, body: new Uint8Array([6]) });
    expect(await registryErrorCode(gone, 404)).toEqual(['BLOB_UPLOAD_UNKNOWN']);
  });

  it('uploads a blob in the POST itself (?digest=) and mounts blobs across repositories', async () => {
    const bytes = new Uint8Array(Buffer.from('single post blob'));
    const digest = digestOf(bytes);
    const post = await fetch(`${harbor.url}/v2/apps/ws1/source/blobs/uploads/?digest=${digest}`, { method: 'POST', headers: robotBasic, body: bytes });
    expect(post.status).toBe(201);
    expect(post.headers.get('docker-content-digest')).toBe(digest);
    expect(post.headers.get('location')).toBe(`/v2/apps/ws1/source/blobs/${digest}`);
    // Not linked into another repository until mounted.
    expect((await fetch(`${harbor.url}/v2/apps/ws1/target/blobs/${digest}`, { method: 'HEAD', headers: robotBasic })).status).toBe(404);
    const mount = await fetch(`${harbor.url}/v2/apps/ws1/target/blobs/uploads/?mount=${digest}&from=apps/ws1/source`, { method: 'POST', headers: robotBasic });
    expect(mount.status).toBe(201);
    expect((await fetch(`${harbor.url}/v2/apps/ws1/target/blobs/${digest}`, { method: 'HEAD', headers: robotBasic })).status).toBe(200);
    const fallback = await fetch(`${harbor.url}/v2/apps/ws1/target/blobs/uploads/?mount=${digestOf(new Uint8Array([7]))}&from=apps/ws1/source`, {
      method: 'POST',
      headers: robotBasic,
    });
    expect(fallback.status).toBe(202);
  });

  it('rejects a manifest whose blobs are missing, or whose digest does not match the URL', async () => {
    const layer = 'sha256:' + 'a'.repeat(64);
    const manifest = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: OCI_MANIFEST,
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: layer, size: 2 },
        layers: [],
      }),
    );
    const missing = await fetch(`${harbor.url}/v2/apps/ws1/broken/manifests/v1`, {
      method: 'PUT',
      headers: { ...robotBasic, 'content-type': OCI_MANIFEST },
      body: manifest,
    });
    expect(await registryErrorCode(missing, 400)).toEqual(['MANIFEST_BLOB_UNKNOWN']);
    const pushed = await pushImage(session, 'apps/ws1/broken', 'v0');
    const wrongDigest = await fetch(`${harbor.url}/v2/apps/ws1/broken/manifests/${'sha256:' + 'b'.repeat(64)}`, {
      method: 'PUT',
      headers: { ...robotBasic, 'content-type': OCI_MANIFEST },
      body: new Uint8Array(pushed.manifest),
    });
    expect(await registryErrorCode(wrongDigest, 400)).toEqual(['DIGEST_INVALID']);
    const notJson = await fetch(`${harbor.url}/v2/apps/ws1/broken/manifests/v2`, {
      method: 'PUT',
      headers: { ...robotBasic, 'content-type': OCI_MANIFEST },
      body: 'nope',
    });
    expect(await registryErrorCode(notJson, 400)).toEqual(['MANIFEST_INVALID']);
  });
});

describe('Accept negotiation', () => {
  let oci: { digest: string };
  let docker: { digest: string };
  let dockerList: { digest: string; childDigest?: string };
  let ociIndex: { digest: string };
  beforeAll(async () => {
    oci = await pushImage(session, 'apps/neg/oci', 'v1');
    docker = await pushImage(session, 'apps/neg/docker', 'v1', { format: 'docker' });
    dockerList = await pushImage(session, 'apps/neg/docker-list', 'v1', { format: 'docker', kind: 'index' });
    ociIndex = await pushImage(session, 'apps/neg/oci-index', 'v1', { kind: 'index' });
  });
  const head = (repo: string, accept?: string) =>
    fetch(`${harbor.url}/v2/${repo}/manifests/v1`, { method: 'HEAD', headers: { ...robotBasic, ...(accept ? { accept } : {}) } });
  const get = (repo: string, accept?: string) => fetch(`${harbor.url}/v2/${repo}/manifests/v1`, { headers: { ...robotBasic, ...(accept ? { accept } : {}) } });

  it('answers HEAD with Docker-Content-Digest and the stored type when the full Accept list is sent', async () => {
    for (const [repo, digest, type] of [
      ['apps/neg/oci', oci.digest, OCI_MANIFEST],
      ['apps/neg/docker', docker.digest, DOCKER_MANIFEST],
      ['apps/neg/docker-list', dockerList.digest, DOCKER_LIST],
      ['apps/neg/oci-index', ociIndex.digest, OCI_INDEX],
    ] as const) {
      const response = await head(repo, ACCEPT_ALL);
      expect(response.status).toBe(200);
      expect(response.headers.get('docker-content-digest')).toBe(digest);
      expect(response.headers.get('content-type')).toBe(type);
    }
  });

  it('hides OCI manifests and indexes from clients that do not accept them (as distribution does)', async () => {
    expect(await registryErrorCode(await get('apps/neg/oci'), 404)).toEqual(['MANIFEST_UNKNOWN']);
    const byDigest = await fetch(`${harbor.url}/v2/apps/neg/oci/manifests/${oci.digest}`, { headers: robotBasic });
    expect(await registryErrorCode(byDigest, 404)).toEqual(['MANIFEST_UNKNOWN']);
    expect(await registryErrorCode(await get('apps/neg/oci', DOCKER_MANIFEST), 404)).toEqual(['MANIFEST_UNKNOWN']);
    expect((await head('apps/neg/oci-index', `${OCI_MANIFEST}, ${DOCKER_MANIFEST}`)).status).toBe(404);
  });

  it('fails a Docker manifest by tag for a client that does not accept it (schema 1 conversion)', async () => {
    expect(await registryErrorCode(await get('apps/neg/docker'), 400)).toEqual(['MANIFEST_INVALID']);
    const byDigest = await fetch(`${harbor.url}/v2/apps/neg/docker/manifests/${docker.digest}`, { headers: robotBasic });
    expect(byDigest.status).toBe(200);
  });

  it('serves the linux/amd64 manifest of a Docker list to a client that does not accept lists', async () => {
    const response = await head('apps/neg/docker-list', DOCKER_MANIFEST);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(DOCKER_MANIFEST);
    expect(response.headers.get('docker-content-digest')).toBe(dockerList.childDigest);
  });
});

describe('tags', () => {
  it("accepts tags matching [A-Za-z0-9_][A-Za-z0-9._-]{0,127}; any other reference is distribution's plain 404", async () => {
    const pushed = await pushImage(session, 'apps/ws1/tagged', 'base');
    const target = { session, repository: 'apps/ws1/tagged' };
    for (const good of ['_under', 'A.b-c_1', 'x'.repeat(128), '0']) {
      expect(await putManifest(target, good, OCI_MANIFEST, pushed.manifest)).toBe(pushed.digest);
    }
    for (const bad of ['-dash', '.dot', 'x'.repeat(129), 'sp ace', 'plus+']) {
      const response = await fetch(`${harbor.url}/v2/apps/ws1/tagged/manifests/${encodeURIComponent(bad)}`, {
        method: 'PUT',
        headers: { ...robotBasic, 'content-type': OCI_MANIFEST },
        body: new Uint8Array(pushed.manifest),
      });
      expect(response.status).toBe(404);
      expect(await response.text()).toBe('404 page not found\n');
    }
    const tags = (await (await fetch(`${harbor.url}/v2/apps/ws1/tagged/tags/list`, { headers: robotBasic })).json()) as { tags: string[] };
    expect(tags.tags.sort()).toEqual(['0', 'A.b-c_1', '_under', 'base', 'x'.repeat(128)].sort());
  });

  it('lists tags sorted, with n/last pagination and a Link header', async () => {
    const pushed = await pushImage(session, 'apps/ws1/list-tags', 'c');
    for (const tag of ['a', 'b']) await putManifest({ session, repository: 'apps/ws1/list-tags' }, tag, OCI_MANIFEST, pushed.manifest);
    const all = (await (await fetch(`${harbor.url}/v2/apps/ws1/list-tags/tags/list`, { headers: robotBasic })).json()) as { name: string; tags: string[] };
    expect(all).toEqual({ name: 'apps/ws1/list-tags', tags: ['a', 'b', 'c'] });
    const page = await fetch(`${harbor.url}/v2/apps/ws1/list-tags/tags/list?n=2`, { headers: robotBasic });
    expect(((await page.json()) as { tags: string[] }).tags).toEqual(['a', 'b']);
    expect(page.headers.get('link')).toBe('</v2/apps/ws1/list-tags/tags/list?n=2&last=b>; rel="next"');
    const rest = (await (await fetch(`${harbor.url}/v2/apps/ws1/list-tags/tags/list?n=2&last=b`, { headers: robotBasic })).json()) as { tags: string[] };
    expect(rest.tags).toEqual(['c']);
    expect(await registryErrorCode(await fetch(`${harbor.url}/v2/apps/ws1/no-such/tags/list`, { headers: robotBasic }), 404)).toEqual(['NAME_UNKNOWN']);
  });

  it('deletes a manifest by digest (202) and with it every tag; refuses deletion by tag', async () => {
    const pushed = await pushImage(session, 'apps/ws1/delete-me', 'v1');
    const byTag = await fetch(`${harbor.url}/v2/apps/ws1/delete-me/manifests/v1`, { method: 'DELETE', headers: robotBasic });
    expect(await registryErrorCode(byTag, 405)).toEqual(['UNSUPPORTED']);
    const response = await fetch(`${harbor.url}/v2/apps/ws1/delete-me/manifests/${pushed.digest}`, { method: 'DELETE', headers: robotBasic });
    expect(response.status).toBe(202);
    expect((await fetch(`${harbor.url}/v2/apps/ws1/delete-me/manifests/v1`, { method: 'HEAD', headers: { ...robotBasic, accept: ACCEPT_ALL } })).status).toBe(
      404,
    );
    const tags = (await (await fetch(`${harbor.url}/v2/apps/ws1/delete-me/tags/list`, { headers: robotBasic })).json()) as { tags: string[] | null };
    expect(tags.tags).toBeNull();
  });

  it("answers an invalid repository name with distribution's plain 404", async () => {
    const response = await fetch(`${harbor.url}/v2/apps/UPPER/manifests/v1`, { headers: robotBasic });
    expect(response.status).toBe(404);
    expect(await response.text()).toBe('404 page not found\n');
  });
});

describe('blob edge cases', () => {
  it('answers BLOB_UNKNOWN and DIGEST_INVALID', async () => {
    expect(await registryErrorCode(await fetch(`${harbor.url}/v2/apps/ws1/app/blobs/sha256:${'c'.repeat(64)}`, { headers: robotBasic }), 404)).toEqual([
      'BLOB_UNKNOWN',
    ]);
    expect(await registryErrorCode(await fetch(`${harbor.url}/v2/apps/ws1/app/blobs/md5:abc`, { headers: robotBasic }), 400)).toEqual(['DIGEST_INVALID']);
    const digest = await pushBlob(session, 'apps/ws1/app', new Uint8Array([1, 2, 3]));
    expect((await fetch(`${harbor.url}/v2/apps/ws1/app/blobs/${digest}`, { method: 'HEAD', headers: robotBasic })).status).toBe(200);
  });
});
