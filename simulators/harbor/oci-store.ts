// Where the simulated registry keeps images: the OciStore contract, and the local store
// (memory, or memory plus a data folder so the dev stack survives restarts). Blobs and
// manifests are content-addressed; each repository links the blobs pushed or mounted into it,
// so a blob is only visible in a repository that has it, as in distribution.
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { JsonFile } from './json-file.js';
import { sha256Digest } from './oci.js';

export interface StoredManifest {
  digest: string;
  mediaType: string;
  bytes: Uint8Array;
}

export interface BlobInfo {
  digest: string;
  size: number;
}

/** A chunk that does not start where the upload currently ends (answered with 416). */
export class UploadRangeError extends Error {
  constructor(readonly offset: number) {
    super(`chunk does not start at offset ${offset}`);
    this.name = 'UploadRangeError';
  }
}

/** The uploaded bytes do not hash to the digest the client gave (answered with DIGEST_INVALID). */
export class UploadDigestError extends Error {
  constructor(
    readonly expected: string,
    readonly actual: string,
  ) {
    super(`digest mismatch: expected ${expected}, got ${actual}`);
    this.name = 'UploadDigestError';
  }
}

/** The upstream registry answered something this store cannot map (passed through as is). */
export class UpstreamError extends Error {
  constructor(
    readonly status: number,
    readonly body: string,
    readonly contentType: string | null,
  ) {
    super(`upstream registry answered ${status}`);
    this.name = 'UpstreamError';
  }
}

export interface OciStore {
  readonly kind: 'local' | 'upstream';
  repositories(): Promise<string[]>;
  /** Tags of a repository, sorted; null when the repository does not exist. */
  tags(repository: string): Promise<string[] | null>;
  /** Tag -> manifest digest; null when the repository does not exist. */
  tagDigests(repository: string): Promise<Map<string, string> | null>;
  /** Digests of the manifests a repository holds (tagged or not, as far as the store can tell). */
  manifests(repository: string): Promise<string[]>;
  getManifest(repository: string, reference: string): Promise<StoredManifest | null>;
  /** Stores a manifest (already validated) under its digest, and under `tag` when given. */
  putManifest(repository: string, manifest: StoredManifest, tag?: string): Promise<void>;
  /** Deletes a manifest and every tag pointing at it. */
  deleteManifest(repository: string, digest: string): Promise<boolean>;
  statBlob(repository: string, digest: string): Promise<BlobInfo | null>;
  getBlob(repository: string, digest: string): Promise<Uint8Array | null>;
  deleteBlob(repository: string, digest: string): Promise<boolean>;
  /** Links a blob of `from` into `repository`; false when `from` does not have it. */
  mountBlob(repository: string, from: string, digest: string): Promise<boolean>;
  startUpload(repository: string): Promise<string>;
  /** Bytes received so far; null for an unknown upload. */
  uploadOffset(repository: string, id: string): Promise<number | null>;
  /** Appends a chunk; `start` (from Content-Range) must equal the current offset. Returns the new offset. */
  appendUpload(repository: string, id: string, chunk: Uint8Array, start?: number): Promise<number>;
  completeUpload(repository: string, id: string, digest: string, lastChunk?: Uint8Array): Promise<BlobInfo>;
  cancelUpload(repository: string, id: string): Promise<boolean>;
  /** Forgets every image (local store) or nothing (upstream store). */
  reset(): Promise<void>;
  close(): Promise<void>;
}

interface RepositoryRecord {
  tags: Record<string, string>;
  manifests: Record<string, string>;
  blobs: Record<string, number>;
}

interface Upload {
  repository: string;
  chunks: Buffer[];
  size: number;
}

export interface LocalOciStoreOptions {
  /** Folder for blobs and the repository index; memory only when omitted. */
  dataDir?: string;
}

export class LocalOciStore implements OciStore {
  readonly kind = 'local' as const;
  private repos = new Map<string, RepositoryRecord>();
  private readonly blobs = new Map<string, Uint8Array>();
  private readonly uploads = new Map<string, Upload>();
  private readonly index?: JsonFile<Record<string, RepositoryRecord>>;
  private readonly blobDir?: string;

  constructor(options: LocalOciStoreOptions = {}) {
    if (options.dataDir) {
      this.blobDir = path.join(options.dataDir, 'blobs', 'sha256');
      mkdirSync(this.blobDir, { recursive: true });
      this.index = new JsonFile(path.join(options.dataDir, 'repositories.json'));
      this.repos = new Map(Object.entries(this.index.load({})));
    }
  }

  async repositories(): Promise<string[]> {
    return [...this.repos.keys()].sort();
  }

  async tags(repository: string): Promise<string[] | null> {
    const repo = this.repos.get(repository);
    return repo ? Object.keys(repo.tags).sort() : null;
  }

  async tagDigests(repository: string): Promise<Map<string, string> | null> {
    const repo = this.repos.get(repository);
    return repo ? new Map(Object.entries(repo.tags).sort(([a], [b]) => a.localeCompare(b))) : null;
  }

  async manifests(repository: string): Promise<string[]> {
    return Object.keys(this.repos.get(repository)?.manifests ?? {});
  }

  async getManifest(repository: string, reference: string): Promise<StoredManifest | null> {
    const repo = this.repos.get(repository);
    if (!repo) return null;
    const digest = reference.startsWith('sha256:') ? reference : repo.tags[reference];
    if (!digest) return null;
    const mediaType = repo.manifests[digest];
    if (!mediaType) return null;
    const bytes = this.readContent(digest);
    return bytes ? { digest, mediaType, bytes } : null;
  }

  async putManifest(repository: string, manifest: StoredManifest, tag?: string): Promise<void> {
    this.writeContent(manifest.digest, manifest.bytes);
    const repo = this.ensureRepo(repository);
    repo.manifests[manifest.digest] = manifest.mediaType;
    if (tag) repo.tags[tag] = manifest.digest;
    this.persist();
  }

  async deleteManifest(repository: string, digest: string): Promise<boolean> {
    const repo = this.repos.get(repository);
    if (!repo || !repo.manifests[digest]) return false;
    delete repo.manifests[digest];
    for (const [tag, target] of Object.entries(repo.tags)) if (target === digest) delete repo.tags[tag];
    this.persist();
    return true;
  }

  async statBlob(repository: string, digest: string): Promise<BlobInfo | null> {
    const size = this.repos.get(repository)?.blobs[digest];
    if (size === undefined || !this.hasContent(digest)) return null;
    return { digest, size };
  }

  async getBlob(repository: string, digest: string): Promise<Uint8Array | null> {
    if (this.repos.get(repository)?.blobs[digest] === undefined) return null;
    return this.readContent(digest);
  }

  async deleteBlob(repository: string, digest: string): Promise<boolean> {
    const repo = this.repos.get(repository);
    if (!repo || repo.blobs[digest] === undefined) return false;
    delete repo.blobs[digest];
    this.persist();
    return true;
  }

  async mountBlob(repository: string, from: string, digest: string): Promise<boolean> {
    const size = this.repos.get(from)?.blobs[digest];
    if (size === undefined || !this.hasContent(digest)) return false;
    this.ensureRepo(repository).blobs[digest] = size;
    this.persist();
    return true;
  }

  async startUpload(repository: string): Promise<string> {
    const id = randomUUID();
    this.uploads.set(id, { repository, chunks: [], size: 0 });
    return id;
  }

  async uploadOffset(repository: string, id: string): Promise<number | null> {
    const upload = this.uploads.get(id);
    return upload && upload.repository === repository ? upload.size : null;
  }

  async appendUpload(repository: string, id: string, chunk: Uint8Array, start?: number): Promise<number> {
    const upload = this.upload(repository, id);
    if (start !== undefined && start !== upload.size) throw new UploadRangeError(upload.size);
    upload.chunks.push(Buffer.from(chunk));
    upload.size += chunk.length;
    return upload.size;
  }

  async completeUpload(repository: string, id: string, digest: string, lastChunk?: Uint8Array): Promise<BlobInfo> {
    const upload = this.upload(repository, id);
    if (lastChunk && lastChunk.length > 0) {
      upload.chunks.push(Buffer.from(lastChunk));
      upload.size += lastChunk.length;
    }
    const bytes = Buffer.concat(upload.chunks);
    const actual = sha256Digest(bytes);
    if (actual !== digest) throw new UploadDigestError(digest, actual);
    this.uploads.delete(id);
    this.writeContent(digest, bytes);
    this.ensureRepo(repository).blobs[digest] = bytes.length;
    this.persist();
    return { digest, size: bytes.length };
  }

  async cancelUpload(repository: string, id: string): Promise<boolean> {
    const upload = this.uploads.get(id);
    if (!upload || upload.repository !== repository) return false;
    this.uploads.delete(id);
    return true;
  }

  async reset(): Promise<void> {
    this.repos.clear();
    this.blobs.clear();
    this.uploads.clear();
    if (this.blobDir) {
      rmSync(this.blobDir, { recursive: true, force: true });
      mkdirSync(this.blobDir, { recursive: true });
    }
    this.persist();
  }

  async close(): Promise<void> {
    this.uploads.clear();
  }

  private ensureRepo(name: string): RepositoryRecord {
    let repo = this.repos.get(name);
    if (!repo) {
      repo = { tags: {}, manifests: {}, blobs: {} };
      this.repos.set(name, repo);
    }
    return repo;
  }

  private upload(repository: string, id: string): Upload {
    const upload = this.uploads.get(id);
    if (!upload || upload.repository !== repository) throw new Error(`unknown upload ${id}`);
    return upload;
  }

  private blobPath(digest: string): string | undefined {
    return this.blobDir ? path.join(this.blobDir, digest.slice('sha256:'.length)) : undefined;
  }

  private hasContent(digest: string): boolean {
    const file = this.blobPath(digest);
    return file ? existsSync(file) : this.blobs.has(digest);
  }

  private readContent(digest: string): Uint8Array | null {
    const file = this.blobPath(digest);
    if (!file) return this.blobs.get(digest) ?? null;
    try {
      return statSync(file).isFile() ? readFileSync(file) : null;
    } catch {
      return null;
    }
  }

  private writeContent(digest: string, bytes: Uint8Array): void {
    const file = this.blobPath(digest);
    if (!file) this.blobs.set(digest, bytes);
    else if (!existsSync(file)) writeFileSync(file, bytes);
  }

  private persist(): void {
    this.index?.save(Object.fromEntries(this.repos));
  }
}
