// Pushes a minimal but real OCI image (config blob, one gzipped tar layer, an OCI image
// manifest) to any OCI distribution registry over HTTP, the way `docker push` / `crane` do:
// monolithic blob uploads (POST .../blobs/uploads/ then PUT <location>&digest=), then
// PUT .../manifests/<tag>. Auth: none, Basic, or the Bearer token flow announced by
// `401 + WWW-Authenticate`. Used by the Jenkins simulator for "successful build pushes an
// image", so the Harbor/OCI side of the engine sees a real artifact with a real digest.
import { createHash } from 'node:crypto';
import { gzipSync } from 'node:zlib';

export const OCI_MANIFEST_MEDIA_TYPE = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_CONFIG_MEDIA_TYPE = 'application/vnd.oci.image.config.v1+json';
export const OCI_LAYER_MEDIA_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** OCI/Docker tag grammar. */
export const OCI_TAG_PATTERN = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
/** Distribution repository name grammar (path components of lowercase alphanumerics and separators). */
export const OCI_REPOSITORY_PATTERN = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;

export interface OciImageInput {
  /** Repository URL and commit the image was "built" from; both end up in the layer and the labels. */
  repoUrl: string;
  commitSha: string;
  /** Extra files for the layer (path inside the image -> content), e.g. the app's package.json. */
  files?: Record<string, string | Uint8Array>;
  /** Extra image config labels. */
  labels?: Record<string, string>;
}

export interface OciBlob {
  mediaType: string;
  digest: string;
  size: number;
  bytes: Buffer;
}

export interface OciImage {
  config: OciBlob;
  layer: OciBlob;
  manifest: OciBlob;
}

export interface OciPushOptions {
  /** Registry base URL, e.g. `http://127.0.0.1:5000` (a path prefix is kept). */
  registryUrl: string;
  /** Repository inside the registry, e.g. `apps/ws1/alice-shop`. */
  repository: string;
  tag: string;
  username?: string;
  password?: string;
  image: OciImageInput;
  /** Per-request timeout in ms (default 30 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface OciPushResult {
  /** Manifest digest (sha256 of the manifest bytes, checked against `Docker-Content-Digest`). */
  digest: string;
  mediaType: string;
  size: number;
  configDigest: string;
  layerDigest: string;
  repository: string;
  tag: string;
}

export class OciPushError extends Error {
  override readonly name = 'OciPushError';
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
  }
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/**
 * Builds the image deterministically: the same input gives the same digests (mtime 0,
 * sorted entries, fixed gzip header), a different repo or commit gives different ones.
 */
export function buildOciImage(input: OciImageInput): OciImage {
  const buildInfo = JSON.stringify({ repoUrl: input.repoUrl, commitSha: input.commitSha }, null, 2);
  const files: Record<string, string | Uint8Array> = { ...input.files, 'app/.build-info.json': `${buildInfo}\n` };
  const tar = createTar(files);
  const layerBytes = gzipSync(tar, { level: 9 });
  const configJson = {
    architecture: 'amd64',
    os: 'linux',
    config: {
      Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'],
      WorkingDir: '/app',
      Labels: {
        'org.opencontainers.image.source': input.repoUrl,
        'org.opencontainers.image.revision': input.commitSha,
        ...input.labels,
      },
    },
    rootfs: { type: 'layers', diff_ids: [sha256Digest(tar)] },
    history: [{ created_by: `simulated build of ${input.repoUrl}@${input.commitSha}` }],
  };
  const config = blob(OCI_CONFIG_MEDIA_TYPE, Buffer.from(JSON.stringify(configJson)));
  const layer = blob(OCI_LAYER_MEDIA_TYPE, layerBytes);
  const manifestJson = {
    schemaVersion: 2,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
    layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
    annotations: { 'org.opencontainers.image.revision': input.commitSha },
  };
  const manifest = blob(OCI_MANIFEST_MEDIA_TYPE, Buffer.from(JSON.stringify(manifestJson)));
  return { config, layer, manifest };
}

/** Pushes the image built from `options.image` and returns its manifest digest. */
export async function pushOciImage(options: OciPushOptions): Promise<OciPushResult> {
  const { repository, tag } = options;
  if (!OCI_REPOSITORY_PATTERN.test(repository)) throw new OciPushError(`invalid repository name: ${JSON.stringify(repository)}`);
  if (!OCI_TAG_PATTERN.test(tag)) throw new OciPushError(`invalid tag: ${JSON.stringify(tag)}`);
  const image = buildOciImage(options.image);
  const session = new RegistrySession(options);

  // Like `docker push`, each upload is retried on a 5xx or a broken connection. A blob upload
  // starts with a HEAD, so a retry after a lost answer finds the blob and stops there.
  for (const b of [image.layer, image.config]) await retryTransient(() => uploadBlob(session, repository, b), options.signal);

  const res = await retryTransient(async () => {
    const put = await session.send('PUT', `/v2/${repository}/manifests/${encodeURIComponent(tag)}`, {
      body: image.manifest.bytes,
      headers: { 'content-type': OCI_MANIFEST_MEDIA_TYPE },
    });
    if (put.status !== 201) throw await failure(put, `PUT manifest ${repository}:${tag}`);
    await put.body?.cancel();
    return put;
  }, options.signal);
  const announced = res.headers.get('docker-content-digest');
  if (announced && announced !== image.manifest.digest) {
    throw new OciPushError(`registry announced manifest digest ${announced}, expected ${image.manifest.digest}`);
  }
  return {
    digest: image.manifest.digest,
    mediaType: OCI_MANIFEST_MEDIA_TYPE,
    size: image.manifest.size,
    configDigest: image.config.digest,
    layerDigest: image.layer.digest,
    repository,
    tag,
  };
}

const PUSH_ATTEMPTS = 5;

/** Retries `step` on errors without a status (connection) or with a 5xx, up to 5 times. */
async function retryTransient<T>(step: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      const status = error instanceof OciPushError ? error.status : undefined;
      const transient = status === undefined || status >= 500 || status === 429;
      if (!transient || attempt >= PUSH_ATTEMPTS || signal?.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100 * attempt));
    }
  }
}

async function uploadBlob(session: RegistrySession, repository: string, b: OciBlob): Promise<void> {
  const head = await session.send('HEAD', `/v2/${repository}/blobs/${b.digest}`);
  await head.body?.cancel();
  if (head.status === 200) return; // already there (same commit pushed before, or a shared layer)

  const start = await session.send('POST', `/v2/${repository}/blobs/uploads/`, { body: Buffer.alloc(0) });
  if (start.status !== 202) throw await failure(start, `POST blob upload ${repository}`);
  await start.body?.cancel();
  const header = start.headers.get('location');
  if (!header) throw new OciPushError(`registry gave no Location for the blob upload of ${repository}`);
  // A relative Location is relative to the request; the URL carries opaque state
  // (`_state=...`): append the digest, never decode and re-encode the query.
  const location = /^https?:\/\//i.test(header) ? header : new URL(header, start.url).toString();
  const target = `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(b.digest)}`;
  const put = await session.send('PUT', target, {
    body: b.bytes,
    headers: { 'content-type': 'application/octet-stream' },
  });
  if (put.status !== 201) throw await failure(put, `PUT blob ${b.digest}`);
  await put.body?.cancel();
  const announced = put.headers.get('docker-content-digest');
  if (announced && announced !== b.digest) throw new OciPushError(`registry stored blob ${announced}, expected ${b.digest}`);
}

interface SendInit {
  body?: Buffer;
  headers?: Record<string, string>;
}

/** One push: remembers the Authorization that worked and answers 401 challenges once per request. */
class RegistrySession {
  private authorization: string | undefined;
  private readonly base: URL;

  constructor(private readonly options: OciPushOptions) {
    this.base = new URL(options.registryUrl.endsWith('/') ? options.registryUrl : `${options.registryUrl}/`);
  }

  async send(method: string, pathOrUrl: string, init: SendInit = {}): Promise<Response> {
    const url = this.resolve(pathOrUrl);
    let res = await this.fetch(method, url, init);
    if (res.status === 401) {
      const challenge = res.headers.get('www-authenticate');
      await res.body?.cancel();
      this.authorization = await this.answer(challenge);
      res = await this.fetch(method, url, init);
    }
    return res;
  }

  private resolve(pathOrUrl: string): string {
    if (/^https?:\/\//i.test(pathOrUrl)) return pathOrUrl;
    // Keep a path prefix of the registry URL (e.g. a registry mounted under /registry/).
    const relative = pathOrUrl.startsWith('/') && this.base.pathname !== '/' ? `${this.base.pathname.replace(/\/$/, '')}${pathOrUrl}` : pathOrUrl;
    return new URL(relative, this.base).toString();
  }

  private async fetch(method: string, url: string, init: SendInit): Promise<Response> {
    const headers: Record<string, string> = { ...init.headers };
    if (this.authorization) headers.authorization = this.authorization;
    const signals = [AbortSignal.timeout(this.options.timeoutMs ?? 30_000)];
    if (this.options.signal) signals.push(this.options.signal);
    try {
      return await fetch(url, {
        method,
        headers,
        body: init.body ? new Uint8Array(init.body) : undefined,
        redirect: 'follow',
        signal: AbortSignal.any(signals),
      });
    } catch (error) {
      throw new OciPushError(`${method} ${redact(url)} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private basic(): string | undefined {
    const { username, password } = this.options;
    if (username === undefined) return undefined;
    return `Basic ${Buffer.from(`${username}:${password ?? ''}`).toString('base64')}`;
  }

  private async answer(header: string | null): Promise<string> {
    const challenge = parseChallenge(header);
    if (!challenge) throw new OciPushError('registry answered 401 without a usable WWW-Authenticate challenge', 401);
    if (challenge.scheme === 'basic') {
      const basic = this.basic();
      if (!basic) throw new OciPushError('registry requires Basic credentials and none were given', 401);
      return basic;
    }
    const realm = challenge.params.realm;
    if (!realm) throw new OciPushError('Bearer challenge without a realm', 401);
    const tokenUrl = new URL(realm);
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    for (const scope of (challenge.params.scope ?? '').split(' ').filter(Boolean)) tokenUrl.searchParams.append('scope', scope);
    const headers: Record<string, string> = {};
    const basic = this.basic();
    if (basic) headers.authorization = basic;
    let res: Response;
    try {
      res = await fetch(tokenUrl, { headers, signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000) });
    } catch (error) {
      throw new OciPushError(`token request to ${redact(tokenUrl.toString())} failed: ${error instanceof Error ? error.message : String(error)}`);
    }
    if (!res.ok) throw await failure(res, 'token request');
    const body = (await res.json().catch(() => ({}))) as { token?: unknown; access_token?: unknown };
    const token = typeof body.token === 'string' ? body.token : typeof body.access_token === 'string' ? body.access_token : undefined;
    if (!token) throw new OciPushError('token endpoint answered without a token');
    return `Bearer ${token}`;
  }
}

export interface AuthChallenge {
  scheme: 'basic' | 'bearer';
  params: Record<string, string>;
}

/** Parses `Bearer realm="..",service="..",scope=".."` or `Basic realm=".."`. */
export function parseChallenge(header: string | null): AuthChallenge | undefined {
  if (!header) return undefined;
  const match = /^\s*(Basic|Bearer)\b\s*(.*)$/i.exec(header);
  if (!match) return undefined;
  const params: Record<string, string> = {};
  const re = /([A-Za-z_][\w-]*)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (const m of (match[2] ?? '').matchAll(re)) {
    params[(m[1] ?? '').toLowerCase()] = m[2] !== undefined ? m[2].replace(/\\(.)/g, '$1') : (m[3] ?? '');
  }
  return { scheme: (match[1] ?? '').toLowerCase() === 'basic' ? 'basic' : 'bearer', params };
}

async function failure(res: Response, what: string): Promise<OciPushError> {
  const text = await res.text().catch(() => '');
  return new OciPushError(`${what}: registry answered ${res.status}${text ? `: ${text.slice(0, 300)}` : ''}`, res.status);
}

function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString();
  } catch {
    return '<url>';
  }
}

function blob(mediaType: string, bytes: Buffer): OciBlob {
  return { mediaType, bytes, size: bytes.length, digest: sha256Digest(bytes) };
}

/** A ustar archive of regular files (mode 0644, uid/gid 0, mtime 0), entries sorted by path. */
export function createTar(files: Record<string, string | Uint8Array>): Buffer {
  const parts: Buffer[] = [];
  for (const name of Object.keys(files).sort()) {
    const content = files[name];
    const data = typeof content === 'string' ? Buffer.from(content, 'utf8') : Buffer.from(content ?? new Uint8Array());
    parts.push(tarHeader(name, data.length), data, Buffer.alloc((512 - (data.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

function tarHeader(name: string, size: number): Buffer {
  const header = Buffer.alloc(512);
  let prefix = '';
  let base = name;
  if (Buffer.byteLength(name) > 100) {
    const cut = name.lastIndexOf('/', name.length - 1);
    prefix = name.slice(0, cut);
    base = name.slice(cut + 1);
    if (cut <= 0 || Buffer.byteLength(base) > 100 || Buffer.byteLength(prefix) > 155) throw new OciPushError(`path too long for tar: ${name}`);
  }
  const octal = (value: number, width: number) => `${value.toString(8).padStart(width - 1, '0')}\0`;
  header.write(base, 0, 100, 'utf8');
  header.write(octal(0o644, 8), 100, 'ascii');
  header.write(octal(0, 8), 108, 'ascii');
  header.write(octal(0, 8), 116, 'ascii');
  header.write(octal(size, 12), 124, 'ascii');
  header.write(octal(0, 12), 136, 'ascii');
  header.write('        ', 148, 'ascii'); // checksum placeholder
  header.write('0', 156, 'ascii');
  header.write('ustar\0', 257, 'ascii');
  header.write('00', 263, 'ascii');
  header.write('root', 265, 'ascii');
  header.write('root', 297, 'ascii');
  header.write(prefix, 345, 155, 'utf8');
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return header;
}
