// The OCI distribution API under /v2/, as Harbor serves it: token (or Basic) auth with
// Harbor's challenge, manifests by tag or digest with Accept negotiation, blob uploads
// (monolithic, chunked, cross-repository mount), tags/list and _catalog. Paths are parsed from
// the raw URL because repository names contain slashes.
import { Hono, type Context } from 'hono';
import { artifactType, type ArtifactService } from './artifacts.js';
import type { Action, UserDirectory } from './auth.js';
import { DISTRIBUTION_HEADER, registryError, type ErrorEntry } from './errors.js';
import {
  ManifestError,
  MediaTypes,
  acceptedTypes,
  isDigest,
  parseManifest,
  repositoryNamePattern,
  sha256Digest,
  tagPattern,
  digestPattern,
  type ParsedManifest,
} from './oci.js';
import { UploadDigestError, UploadRangeError, UpstreamError, type OciStore, type StoredManifest } from './oci-store.js';
import { TOKEN_SERVICE, tokenAllows, type TokenIssuer } from './token.js';

export interface DistributionOptions {
  store: OciStore;
  artifacts: ArtifactService;
  users: UserDirectory;
  issuer: TokenIssuer;
  /** Base URL for the token realm; the request's own origin when omitted. */
  publicUrl?: string;
}

const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export type DistributionRoute =
  | { kind: 'base' }
  | { kind: 'catalog' }
  | { kind: 'manifest'; name: string; reference: string }
  | { kind: 'uploads'; name: string }
  | { kind: 'upload'; name: string; id: string }
  | { kind: 'blob'; name: string; digest: string }
  | { kind: 'tags'; name: string };

/** Classifies a raw /v2 path; null when it is no distribution route. */
export function matchDistributionPath(rawPath: string): DistributionRoute | null {
  if (rawPath === '/v2' || rawPath === '/v2/') return { kind: 'base' };
  if (rawPath === '/v2/_catalog') return { kind: 'catalog' };
  let m = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(rawPath);
  if (m) return { kind: 'manifest', name: m[1] as string, reference: decodeURIComponent(m[2] as string) };
  m = /^\/v2\/(.+)\/blobs\/uploads\/?$/.exec(rawPath);
  if (m) return { kind: 'uploads', name: m[1] as string };
  m = /^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/.exec(rawPath);
  if (m) return { kind: 'upload', name: m[1] as string, id: m[2] as string };
  m = /^\/v2\/(.+)\/blobs\/([^/]+)$/.exec(rawPath);
  if (m) return { kind: 'blob', name: m[1] as string, digest: decodeURIComponent(m[2] as string) };
  m = /^\/v2\/(.+)\/tags\/list$/.exec(rawPath);
  if (m) return { kind: 'tags', name: m[1] as string };
  return null;
}

/** The route pattern of a /v2 path, for request counters. */
export function distributionRouteKey(rawPath: string): string {
  const route = matchDistributionPath(rawPath);
  switch (route?.kind) {
    case 'base':
      return '/v2/';
    case 'catalog':
      return '/v2/_catalog';
    case 'manifest':
      return '/v2/:name/manifests/:reference';
    case 'uploads':
      return '/v2/:name/blobs/uploads/';
    case 'upload':
      return '/v2/:name/blobs/uploads/:id';
    case 'blob':
      return '/v2/:name/blobs/:digest';
    case 'tags':
      return '/v2/:name/tags/list';
    default:
      return '/v2/*';
  }
}

export function createDistributionRoutes(options: DistributionOptions): Hono {
  const { store, artifacts, users, issuer } = options;
  const app = new Hono();

  const realm = (c: Context) => `${(options.publicUrl ?? new URL(c.req.url).origin).replace(/\/+$/, '')}/service/token`;

  /** Null when the request may go on, else the 401 challenge to answer with. */
  function authorize(c: Context, scope: { name: string; actions: Action[] } | 'base' | 'catalog'): Response | null {
    const authorization = c.req.header('authorization') ?? '';
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    let ok = false;
    let tokenGiven = false;
    if (bearer) {
      tokenGiven = true;
      const claims = issuer.verify(bearer);
      if (claims) {
        if (scope === 'base') ok = true;
        else if (scope === 'catalog') ok = claims.access.some((a) => a.type === 'registry' && a.name === 'catalog');
        else ok = scope.actions.every((action) => tokenAllows(claims, scope.name, action));
      }
    } else if (authorization) {
      const user = users.verifyBasic(authorization);
      if (user) {
        if (scope === 'base') ok = true;
        else if (scope === 'catalog') ok = !user.startsWith('robot$');
        else ok = users.grant(user, scope.name, scope.actions).length === scope.actions.length;
      }
    }
    if (ok) return null;
    const scopeText =
      scope === 'base' ? '' : scope === 'catalog' ? ',scope="registry:catalog:*"' : `,scope="repository:${scope.name}:${scope.actions.join(',')}"`;
    const error = tokenGiven ? ',error="insufficient_scope"' : '';
    const challenge = `Bearer realm="${realm(c)}",service="${TOKEN_SERVICE}"${scopeText}${error}`;
    const message =
      scope === 'base' || scope === 'catalog'
        ? 'authentication required'
        : users.projectExists(scope.name.split('/')[0] ?? '')
          ? `unauthorized to access repository: ${scope.name}, action: ${scope.actions.join(',')}`
          : `project ${scope.name.split('/')[0] ?? ''} not found`;
    return registryError(401, [{ code: 'UNAUTHORIZED', message }], { 'www-authenticate': challenge });
  }

  app.all('*', async (c) => {
    const rawPath = new URL(c.req.url).pathname;
    const route = matchDistributionPath(rawPath);
    const method = c.req.method;
    if (!route) return registryError(404, [{ code: 'NOT_FOUND', message: 'not found' }]);

    if (route.kind === 'base') {
      return authorize(c, 'base') ?? new Response('{}', { status: 200, headers: { 'content-type': 'application/json', ...DISTRIBUTION_HEADER } });
    }
    if (route.kind === 'catalog') {
      const denied = authorize(c, 'catalog');
      if (denied) return denied;
      const names = await store.repositories();
      return paginated(c, names, 'repositories', '/v2/_catalog', {});
    }
    const action: Action = method === 'GET' || method === 'HEAD' ? 'pull' : method === 'DELETE' && route.kind !== 'upload' ? 'delete' : 'push';
    const actions: Action[] = action === 'push' ? ['pull', 'push'] : [action];
    const denied = authorize(c, { name: route.name, actions });
    if (denied) return denied;
    // distribution's router only matches valid names and references: anything else is its plain 404.
    if (!repositoryNamePattern.test(route.name) || route.name.length > 255) return pageNotFound();
    if (route.kind === 'manifest' && !isDigest(route.reference) && !tagPattern.test(route.reference)) return pageNotFound();

    try {
      switch (route.kind) {
        case 'manifest':
          return await manifestRoute(c, route.name, route.reference);
        case 'uploads':
          return await uploadsRoute(c, route.name);
        case 'upload':
          return await uploadRoute(c, route.name, route.id);
        case 'blob':
          return await blobRoute(c, route.name, route.digest);
        case 'tags': {
          if (method !== 'GET' && method !== 'HEAD') return unsupported();
          const tags = await store.tags(route.name);
          if (!tags) return registryError(404, [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: { name: route.name } }]);
          // distribution answers `"tags": null` for a repository whose tags are all gone.
          if (tags.length === 0)
            return new Response(JSON.stringify({ name: route.name, tags: null }), {
              status: 200,
              headers: { 'content-type': 'application/json; charset=utf-8', ...DISTRIBUTION_HEADER },
            });
          return paginated(c, tags, 'tags', `/v2/${route.name}/tags/list`, { name: route.name });
        }
      }
    } catch (error) {
      if (error instanceof UpstreamError) {
        return new Response(error.body, { status: error.status, headers: { 'content-type': error.contentType ?? 'application/json', ...DISTRIBUTION_HEADER } });
      }
      throw error;
    }
  });

  async function manifestRoute(c: Context, name: string, reference: string): Promise<Response> {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') {
      const stored = await store.getManifest(name, reference);
      if (!stored) return manifestUnknown(reference);
      const chosen = await negotiate(name, reference, stored, acceptedTypes(c.req.header('accept')));
      if ('unknown' in chosen) return registryError(404, [{ code: 'MANIFEST_UNKNOWN', message: chosen.unknown }]);
      if ('invalid' in chosen) return registryError(400, [{ code: 'MANIFEST_INVALID', message: chosen.invalid, detail: {} }]);
      const headers = {
        'content-type': chosen.mediaType,
        'content-length': String(chosen.bytes.length),
        'docker-content-digest': chosen.digest,
        etag: `"${chosen.digest}"`,
        ...DISTRIBUTION_HEADER,
      };
      if (method === 'HEAD') return new Response(null, { status: 200, headers });
      artifacts.afterPull(name, chosen.digest, isDigest(reference) || chosen.digest !== stored.digest ? undefined : reference);
      return new Response(new Uint8Array(chosen.bytes), { status: 200, headers });
    }
    if (method === 'PUT') {
      const bytes = new Uint8Array(await c.req.arrayBuffer());
      if (bytes.length > MAX_MANIFEST_BYTES) return registryError(413, [{ code: 'SIZE_INVALID', message: 'manifest too big' }]);
      let parsed: ParsedManifest;
      try {
        parsed = parseManifest(bytes, c.req.header('content-type'));
      } catch (error) {
        if (error instanceof ManifestError) return registryError(400, [{ code: error.code, message: error.message }]);
        throw error;
      }
      const digest = sha256Digest(bytes);
      if (isDigest(reference) && reference !== digest) {
        return registryError(400, [
          { code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content', detail: { expected: reference, actual: digest } },
        ]);
      }
      const missing = await missingReferences(name, parsed);
      if (missing.length > 0) return registryError(400, missing);
      const manifest: StoredManifest = { digest, mediaType: parsed.mediaType, bytes };
      const tag = isDigest(reference) ? undefined : reference;
      await store.putManifest(name, manifest, tag);
      artifacts.afterPush({ repository: name, manifest, parsed, type: artifactType(parsed) }, tag);
      return new Response(null, {
        status: 201,
        headers: { location: `/v2/${name}/manifests/${digest}`, 'docker-content-digest': digest, 'content-length': '0', ...DISTRIBUTION_HEADER },
      });
    }
    if (method === 'DELETE') {
      // Harbor deletes manifests by digest only; a tag is refused (the spec allows 400 or 405).
      if (!isDigest(reference)) return registryError(405, [{ code: 'UNSUPPORTED', message: `unsupported digest ${reference}` }]);
      const resolved = await artifacts.resolve(name, reference);
      if (!resolved) return manifestUnknown(reference);
      await artifacts.delete(resolved);
      return new Response(null, { status: 202, headers: { 'content-length': '0', ...DISTRIBUTION_HEADER } });
    }
    return unsupported();
  }

  /**
   * distribution 2.8's Accept rules (checked against Debian's docker-registry): an OCI manifest
   * or index is only served to a client that accepts it (404, by tag or digest, even with no
   * Accept at all); a Docker manifest asked for by tag by a client that does not accept it
   * would be converted to schema 1, which fails with 400 MANIFEST_INVALID; a Docker manifest
   * list asked for by tag by a client that does not accept lists is replaced by its
   * linux/amd64 manifest.
   */
  async function negotiate(
    name: string,
    reference: string,
    stored: StoredManifest,
    accepted: string[],
  ): Promise<StoredManifest | { unknown: string } | { invalid: string }> {
    const accepts = (type: string) => accepted.includes(type);
    if (stored.mediaType === MediaTypes.ociManifest && !accepts(MediaTypes.ociManifest))
      return { unknown: 'OCI manifest found, but accept header does not support OCI manifests' };
    if (stored.mediaType === MediaTypes.ociIndex && !accepts(MediaTypes.ociIndex))
      return { unknown: 'OCI index found, but accept header does not support OCI indexes' };
    if (isDigest(reference)) return stored;
    if (stored.mediaType === MediaTypes.dockerManifest && !accepts(MediaTypes.dockerManifest)) return { invalid: 'manifest invalid' };
    if (stored.mediaType === MediaTypes.dockerList && !accepts(MediaTypes.dockerList)) {
      const parsed = parseManifest(stored.bytes, stored.mediaType);
      const child = parsed.kind === 'index' ? parsed.manifests.find((m) => m.platform?.os === 'linux' && m.platform.architecture === 'amd64') : undefined;
      const resolved = child ? await store.getManifest(name, child.digest) : null;
      if (!resolved) return { unknown: 'manifest unknown' };
      if (resolved.mediaType === MediaTypes.dockerManifest && !accepts(MediaTypes.dockerManifest)) return { invalid: 'manifest invalid' };
      return resolved;
    }
    return stored;
  }

  async function missingReferences(name: string, parsed: ParsedManifest): Promise<ErrorEntry[]> {
    const missing: ErrorEntry[] = [];
    if (parsed.kind === 'image') {
      for (const descriptor of [parsed.config, ...parsed.layers]) {
        if (descriptor.urls && descriptor.urls.length > 0) continue;
        if (!(await store.statBlob(name, descriptor.digest)))
          missing.push({ code: 'MANIFEST_BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest: descriptor.digest } });
      }
    } else {
      for (const child of parsed.manifests) {
        if (!(await store.getManifest(name, child.digest)))
          missing.push({ code: 'MANIFEST_BLOB_UNKNOWN', message: 'manifest blob unknown to registry', detail: { digest: child.digest } });
      }
    }
    return missing;
  }

  async function uploadsRoute(c: Context, name: string): Promise<Response> {
    if (c.req.method !== 'POST') return unsupported();
    const mount = c.req.query('mount');
    const from = c.req.query('from');
    if (mount && from && digestPattern.test(mount) && repositoryNamePattern.test(from)) {
      const fromUser = c.req.header('authorization');
      const mayPull = fromUser !== undefined && authorize(c, { name: from, actions: ['pull'] }) === null;
      if (mayPull && (await store.mountBlob(name, from, mount))) return blobCreated(name, mount);
    }
    const digest = c.req.query('digest');
    const id = await store.startUpload(name);
    if (digest) {
      const body = new Uint8Array(await c.req.arrayBuffer());
      return completeUpload(name, id, digest, body);
    }
    return uploadStatus(202, name, id, 0);
  }

  async function uploadRoute(c: Context, name: string, id: string): Promise<Response> {
    const offset = await store.uploadOffset(name, id);
    if (offset === null) return registryError(404, [{ code: 'BLOB_UPLOAD_UNKNOWN', message: 'blob upload unknown to registry', detail: { id } }]);
    switch (c.req.method) {
      case 'GET':
      case 'HEAD':
        return uploadStatus(204, name, id, offset);
      case 'PATCH': {
        const chunk = new Uint8Array(await c.req.arrayBuffer());
        const range = parseContentRange(c.req.header('content-range'));
        if (range === 'invalid' || (range && range.end - range.start + 1 !== chunk.length)) return uploadStatus(416, name, id, offset);
        try {
          const next = await store.appendUpload(name, id, chunk, range?.start);
          return uploadStatus(202, name, id, next);
        } catch (error) {
          if (error instanceof UploadRangeError) return uploadStatus(416, name, id, error.offset);
          throw error;
        }
      }
      case 'PUT': {
        const digest = c.req.query('digest');
        const body = new Uint8Array(await c.req.arrayBuffer());
        if (!digest || !digestPattern.test(digest))
          return registryError(400, [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content', detail: { digest } }]);
        const range = parseContentRange(c.req.header('content-range'));
        if (range === 'invalid' || (range && range.start !== offset)) return uploadStatus(416, name, id, offset);
        return completeUpload(name, id, digest, body);
      }
      case 'DELETE':
        await store.cancelUpload(name, id);
        return new Response(null, { status: 204, headers: { 'content-length': '0', ...DISTRIBUTION_HEADER } });
      default:
        return unsupported();
    }
  }

  async function completeUpload(name: string, id: string, digest: string, body: Uint8Array): Promise<Response> {
    if (!digestPattern.test(digest)) {
      await store.cancelUpload(name, id);
      return registryError(400, [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content', detail: { digest } }]);
    }
    try {
      await store.completeUpload(name, id, digest, body);
    } catch (error) {
      if (error instanceof UploadDigestError) {
        await store.cancelUpload(name, id);
        return registryError(400, [
          { code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content', detail: { expected: error.expected, actual: error.actual } },
        ]);
      }
      throw error;
    }
    return blobCreated(name, digest);
  }

  async function blobRoute(c: Context, name: string, digest: string): Promise<Response> {
    if (!digestPattern.test(digest))
      return registryError(400, [{ code: 'DIGEST_INVALID', message: 'provided digest did not match uploaded content', detail: { digest } }]);
    const method = c.req.method;
    if (method === 'DELETE') return unsupported();
    if (method !== 'GET' && method !== 'HEAD') return unsupported();
    const info = await store.statBlob(name, digest);
    if (!info) return registryError(404, [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest } }]);
    const headers = {
      'content-type': 'application/octet-stream',
      'content-length': String(info.size),
      'docker-content-digest': digest,
      etag: `"${digest}"`,
      'cache-control': 'max-age=31536000',
      ...DISTRIBUTION_HEADER,
    };
    if (method === 'HEAD') return new Response(null, { status: 200, headers });
    const bytes = await store.getBlob(name, digest);
    if (!bytes) return registryError(404, [{ code: 'BLOB_UNKNOWN', message: 'blob unknown to registry', detail: { digest } }]);
    return new Response(new Uint8Array(bytes), { status: 200, headers: { ...headers, 'content-length': String(bytes.length) } });
  }

  return app;
}

function manifestUnknown(reference: string): Response {
  return registryError(404, [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown', detail: { Tag: reference } }]);
}

function pageNotFound(): Response {
  return new Response('404 page not found\n', { status: 404, headers: { 'content-type': 'text/plain; charset=utf-8', ...DISTRIBUTION_HEADER } });
}

function unsupported(): Response {
  return registryError(405, [{ code: 'UNSUPPORTED', message: 'The operation is unsupported.' }]);
}

function blobCreated(name: string, digest: string): Response {
  return new Response(null, {
    status: 201,
    headers: { location: `/v2/${name}/blobs/${digest}`, 'docker-content-digest': digest, 'content-length': '0', ...DISTRIBUTION_HEADER },
  });
}

/** distribution's upload status: `Range: 0-<last byte>` (0-0 when empty), the upload URL and id. */
function uploadStatus(status: 202 | 204 | 416, name: string, id: string, offset: number): Response {
  return new Response(null, {
    status,
    headers: {
      location: `/v2/${name}/blobs/uploads/${id}`,
      range: `0-${Math.max(0, offset - 1)}`,
      'docker-upload-uuid': id,
      'content-length': '0',
      ...DISTRIBUTION_HEADER,
    },
  });
}

/** `Content-Range: <start>-<end>` (distribution also tolerates a `bytes=` or `bytes ` prefix). */
function parseContentRange(header: string | undefined): { start: number; end: number } | undefined | 'invalid' {
  if (!header) return undefined;
  const m = /^(?:bytes[= ])?(\d+)-(\d+)$/.exec(header.trim());
  if (!m) return 'invalid';
  const start = Number(m[1]);
  const end = Number(m[2]);
  return end >= start ? { start, end } : 'invalid';
}

/** `n`/`last` pagination with a `Link: <...>; rel="next"` header, as tags/list and _catalog do. */
function paginated(c: Context, all: string[], field: 'tags' | 'repositories', path: string, extra: Record<string, string>): Response {
  const sorted = [...all].sort();
  const last = c.req.query('last');
  const nRaw = c.req.query('n');
  const n = nRaw === undefined ? undefined : Number(nRaw);
  if (n !== undefined && (!Number.isInteger(n) || n < 0))
    return registryError(400, [{ code: 'PAGINATION_NUMBER_INVALID', message: 'invalid number of results requested', detail: { n: nRaw } }]);
  const start = last ? sorted.findIndex((item) => item > last) : 0;
  const from = start < 0 ? sorted.length : start;
  const page = n === undefined ? sorted.slice(from) : sorted.slice(from, from + n);
  const headers: Record<string, string> = { 'content-type': 'application/json; charset=utf-8', ...DISTRIBUTION_HEADER };
  if (n !== undefined && from + n < sorted.length && page.length > 0) {
    headers.link = `<${path}?n=${n}&last=${encodeURIComponent(page[page.length - 1] as string)}>; rel="next"`;
  }
  return new Response(JSON.stringify({ ...extra, [field]: page }), { status: 200, headers });
}
