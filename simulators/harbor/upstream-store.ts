// The store in `upstream` mode: images live in a real OCI registry (e.g. Debian's
// docker-registry) and the simulator reads and writes them there over the distribution API,
// so a push through the simulator lands in the real registry and the Harbor API reads from it.
import { randomUUID } from 'node:crypto';
import { manifestMediaTypes } from './oci.js';
import { UploadRangeError, UpstreamError, type BlobInfo, type OciStore, type StoredManifest } from './oci-store.js';

export interface UpstreamOptions {
  url: string;
  username?: string;
  password?: string;
}

interface UpstreamUpload {
  repository: string;
  location: string;
  offset: number;
}

const acceptAll = [...manifestMediaTypes].join(', ');

export class UpstreamOciStore implements OciStore {
  readonly kind = 'upstream' as const;
  private readonly base: string;
  private readonly authorization?: string;
  private readonly uploads = new Map<string, UpstreamUpload>();

  constructor(options: UpstreamOptions) {
    this.base = options.url.replace(/\/+$/, '');
    if (options.username !== undefined) {
      this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password ?? ''}`).toString('base64')}`;
    }
  }

  async repositories(): Promise<string[]> {
    const names: string[] = [];
    let next: string | null = '/v2/_catalog?n=1000';
    while (next) {
      const response = await this.request('GET', next);
      if (!response.ok) throw await upstreamError(response);
      const body = (await response.json()) as { repositories?: string[] | null };
      names.push(...(body.repositories ?? []));
      next = nextLink(response.headers.get('link'));
    }
    return names.sort();
  }

  async tags(repository: string): Promise<string[] | null> {
    const tags: string[] = [];
    let next: string | null = `/v2/${repository}/tags/list?n=1000`;
    while (next) {
      const response = await this.request('GET', next);
      if (response.status === 404) {
        await response.body?.cancel();
        return null;
      }
      if (!response.ok) throw await upstreamError(response);
      const body = (await response.json()) as { tags?: string[] | null };
      tags.push(...(body.tags ?? []));
      next = nextLink(response.headers.get('link'));
    }
    return tags.sort();
  }

  async tagDigests(repository: string): Promise<Map<string, string> | null> {
    const tags = await this.tags(repository);
    if (!tags) return null;
    const result = new Map<string, string>();
    for (const tag of tags) {
      const response = await this.request('HEAD', `/v2/${repository}/manifests/${tag}`, { headers: { accept: acceptAll } });
      const digest = response.headers.get('docker-content-digest');
      if (response.ok && digest) result.set(tag, digest);
    }
    return result;
  }

  /** distribution cannot list untagged manifests: the tagged ones are what the upstream shows. */
  async manifests(repository: string): Promise<string[]> {
    return [...new Set((await this.tagDigests(repository))?.values() ?? [])];
  }

  async getManifest(repository: string, reference: string): Promise<StoredManifest | null> {
    const response = await this.request('GET', `/v2/${repository}/manifests/${reference}`, { headers: { accept: acceptAll } });
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw await upstreamError(response);
    const bytes = new Uint8Array(await response.arrayBuffer());
    const digest = response.headers.get('docker-content-digest');
    const mediaType = response.headers.get('content-type')?.split(';')[0]?.trim();
    if (!digest || !mediaType) throw new UpstreamError(502, 'upstream manifest answer lacks digest or content type', null);
    return { digest, mediaType, bytes };
  }

  async putManifest(repository: string, manifest: StoredManifest, tag?: string): Promise<void> {
    const response = await this.request('PUT', `/v2/${repository}/manifests/${tag ?? manifest.digest}`, {
      headers: { 'content-type': manifest.mediaType },
      body: manifest.bytes,
    });
    if (!response.ok) throw await upstreamError(response);
    await response.body?.cancel();
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('DELETE', `/v2/${repository}/manifests/${digest}`);
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) throw new UpstreamError(response.status, '', null);
    return true;
  }

  async statBlob(repository: string, digest: string): Promise<BlobInfo | null> {
    const response = await this.request('HEAD', `/v2/${repository}/blobs/${digest}`);
    if (response.status === 404) return null;
    if (!response.ok) throw new UpstreamError(response.status, '', null);
    return { digest, size: Number(response.headers.get('content-length') ?? 0) };
  }

  async getBlob(repository: string, digest: string): Promise<Uint8Array | null> {
    const response = await this.request('GET', `/v2/${repository}/blobs/${digest}`);
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) throw await upstreamError(response);
    return new Uint8Array(await response.arrayBuffer());
  }

  async deleteBlob(repository: string, digest: string): Promise<boolean> {
    const response = await this.request('DELETE', `/v2/${repository}/blobs/${digest}`);
    await response.body?.cancel();
    if (response.status === 404) return false;
    if (!response.ok) throw new UpstreamError(response.status, '', null);
    return true;
  }

  async mountBlob(repository: string, from: string, digest: string): Promise<boolean> {
    const query = new URLSearchParams({ mount: digest, from });
    const response = await this.request('POST', `/v2/${repository}/blobs/uploads/?${query.toString()}`);
    await response.body?.cancel();
    if (response.status === 201) return true;
    if (response.status === 202) {
      // Not mountable: distribution opened an upload session instead; close it.
      const location = response.headers.get('location');
      if (location) await this.request('DELETE', location).then((r) => r.body?.cancel());
      return false;
    }
    throw new UpstreamError(response.status, '', null);
  }

  async startUpload(repository: string): Promise<string> {
    const response = await this.request('POST', `/v2/${repository}/blobs/uploads/`);
    await response.body?.cancel();
    const location = response.headers.get('location');
    if (response.status !== 202 || !location) throw new UpstreamError(response.status, '', null);
    const id = randomUUID();
    this.uploads.set(id, { repository, location, offset: 0 });
    return id;
  }

  async uploadOffset(repository: string, id: string): Promise<number | null> {
    const upload = this.uploads.get(id);
    return upload && upload.repository === repository ? upload.offset : null;
  }

  async appendUpload(repository: string, id: string, chunk: Uint8Array, start?: number): Promise<number> {
    const upload = this.upload(repository, id);
    if (start !== undefined && start !== upload.offset) throw new UploadRangeError(upload.offset);
    const response = await this.request('PATCH', upload.location, {
      headers: { 'content-type': 'application/octet-stream' },
      body: chunk,
    });
    if (response.status !== 202) throw await upstreamError(response);
    await response.body?.cancel();
    // distribution moves its upload state into the Location on every step: always use the newest.
    upload.location = response.headers.get('location') ?? upload.location;
    upload.offset += chunk.length;
    return upload.offset;
  }

  async completeUpload(repository: string, id: string, digest: string, lastChunk?: Uint8Array): Promise<BlobInfo> {
    const upload = this.upload(repository, id);
    const url = new URL(upload.location, this.base);
    url.searchParams.set('digest', digest);
    const response = await this.request('PUT', url.toString(), {
      headers: { 'content-type': 'application/octet-stream' },
      body: lastChunk ?? new Uint8Array(0),
    });
    if (response.status !== 201) throw await upstreamError(response);
    await response.body?.cancel();
    this.uploads.delete(id);
    return { digest, size: upload.offset + (lastChunk?.length ?? 0) };
  }

  async cancelUpload(repository: string, id: string): Promise<boolean> {
    const upload = this.uploads.get(id);
    if (!upload || upload.repository !== repository) return false;
    this.uploads.delete(id);
    const response = await this.request('DELETE', upload.location);
    await response.body?.cancel();
    return true;
  }

  async reset(): Promise<void> {
    this.uploads.clear();
  }

  async close(): Promise<void> {
    this.uploads.clear();
  }

  private upload(repository: string, id: string): UpstreamUpload {
    const upload = this.uploads.get(id);
    if (!upload || upload.repository !== repository) throw new Error(`unknown upload ${id}`);
    return upload;
  }

  private request(method: string, pathOrUrl: string, init: { headers?: Record<string, string>; body?: Uint8Array } = {}): Promise<Response> {
    const url = new URL(pathOrUrl, this.base);
    const headers = new Headers(init.headers);
    if (this.authorization) headers.set('authorization', this.authorization);
    return fetch(url, { method, headers, body: init.body ? new Uint8Array(init.body) : undefined, redirect: 'follow', signal: AbortSignal.timeout(30_000) });
  }
}

async function upstreamError(response: Response): Promise<UpstreamError> {
  const body = await response.text().catch(() => '');
  return new UpstreamError(response.status, body, response.headers.get('content-type'));
}

/** The next page from an RFC 5988 `Link: <...>; rel="next"` header, as distribution sends it. */
function nextLink(link: string | null): string | null {
  const match = link?.match(/<([^>]+)>\s*;\s*rel="?next"?/);
  return match?.[1] ?? null;
}
