// Harbor's view of what the registry holds: an artifact per manifest, with its type, size,
// tags, references and scan overview, shaped as the Harbor v2.0 `Artifact` definition.
// The same service records pushes (and starts scan-on-push) and seeds images for the control API.
import { randomBytes } from 'node:crypto';
import type { ScenarioStore } from '../common/scenario.js';
import { MediaTypes, imageConfigMediaTypes, parseManifest, sha256Digest, type ParsedManifest } from './oci.js';
import type { OciStore, StoredManifest } from './oci-store.js';
import { appKeyOf, isScanInFlight, scanOverview, startScan, type NativeReportSummary } from './scans.js';
import type { HarborState } from './state.js';

export type ArtifactType = 'IMAGE' | 'CHART' | 'CNAB' | 'UNKNOWN';

export interface ResolvedArtifact {
  repository: string;
  manifest: StoredManifest;
  parsed: ParsedManifest;
  type: ArtifactType;
}

export interface HarborTag {
  id: number;
  repository_id: number;
  artifact_id: number;
  name: string;
  push_time: string;
  pull_time: string;
  immutable: boolean;
  signed: boolean;
}

export interface HarborArtifact {
  id: number;
  type: ArtifactType;
  media_type: string;
  manifest_media_type: string;
  project_id: number;
  repository_id: number;
  digest: string;
  size: number;
  icon: string;
  push_time: string;
  pull_time: string;
  extra_attrs: Record<string, unknown> | null;
  annotations: Record<string, string> | null;
  references: Array<Record<string, unknown>> | null;
  tags: HarborTag[] | null;
  addition_links: Record<string, { href: string; absolute: boolean }>;
  labels: null;
  accessories: null;
  scan_overview?: Record<string, NativeReportSummary>;
}

export interface DescribeOptions {
  withTag?: boolean;
  withScanOverview?: boolean;
}

export type SeedKind = 'image' | 'index' | 'chart' | 'unknown';

export class ArtifactService {
  constructor(
    private readonly store: OciStore,
    private readonly state: HarborState,
    private readonly scenarios: ScenarioStore,
  ) {}

  /** The artifact a tag or digest points at in `repository` (`<project>/<name>`), or null. */
  async resolve(repository: string, reference: string): Promise<ResolvedArtifact | null> {
    const manifest = await this.store.getManifest(repository, reference);
    if (!manifest) return null;
    let parsed: ParsedManifest;
    try {
      parsed = parseManifest(manifest.bytes, manifest.mediaType);
    } catch {
      return null;
    }
    return { repository, manifest, parsed, type: artifactType(parsed) };
  }

  /** Every top-level artifact of a repository (children of an index in the same repository are hidden, as Harbor does). */
  async list(repository: string): Promise<ResolvedArtifact[]> {
    const digests = new Set(await this.store.manifests(repository));
    for (const record of this.state.artifacts()) if (record.repository === repository) digests.add(record.digest);
    const resolved: ResolvedArtifact[] = [];
    for (const digest of digests) {
      const artifact = await this.resolve(repository, digest);
      if (artifact) resolved.push(artifact);
    }
    const children = new Set(resolved.flatMap((a) => (a.parsed.kind === 'index' ? a.parsed.manifests.map((m) => m.digest) : [])));
    return resolved.filter((a) => !children.has(a.manifest.digest));
  }

  isScannable(artifact: ResolvedArtifact): boolean {
    return artifact.type === 'IMAGE';
  }

  async describe(artifact: ResolvedArtifact, options: DescribeOptions = {}): Promise<HarborArtifact> {
    const { repository, manifest, parsed } = artifact;
    const project = repository.split('/')[0] ?? '';
    const record = this.state.artifact(repository, manifest.digest);
    const repoRecord = this.state.repository(repository);
    const tagDigests = (await this.store.tagDigests(repository)) ?? new Map<string, string>();
    const tags: HarborTag[] = [];
    if (options.withTag !== false) {
      for (const [name, digest] of tagDigests) {
        if (digest !== manifest.digest) continue;
        const tag = this.state.tag(repository, name, digest);
        tags.push({
          id: tag.id,
          repository_id: repoRecord.id,
          artifact_id: record.id,
          name,
          push_time: tag.pushTime,
          pull_time: tag.pullTime,
          immutable: false,
          signed: false,
        });
      }
    }
    const encodedRepo = encodeURIComponent(encodeURIComponent(repository.slice(project.length + 1)));
    const base = `/api/v2.0/projects/${project}/repositories/${encodedRepo}/artifacts/${manifest.digest}/additions`;
    const result: HarborArtifact = {
      id: record.id,
      type: artifact.type,
      media_type: parsed.kind === 'image' ? (parsed.config.mediaType ?? MediaTypes.ociConfig) : parsed.mediaType,
      manifest_media_type: manifest.mediaType,
      project_id: this.state.projectId(project),
      repository_id: repoRecord.id,
      digest: manifest.digest,
      size: artifactSize(manifest, parsed),
      icon: '',
      push_time: record.pushTime,
      pull_time: record.pullTime,
      extra_attrs: await this.extraAttrs(artifact),
      annotations: parsed.annotations ?? null,
      references: parsed.kind === 'index' ? this.references(repository, record.id, parsed) : null,
      tags: tags.length > 0 ? tags : null,
      addition_links:
        artifact.type === 'IMAGE'
          ? { build_history: { href: `${base}/build_history`, absolute: false }, vulnerabilities: { href: `${base}/vulnerabilities`, absolute: false } }
          : {},
      labels: null,
      accessories: null,
    };
    if (options.withScanOverview) {
      const overview = scanOverview(this.state.scan(repository, manifest.digest));
      if (overview) result.scan_overview = overview;
    }
    return result;
  }

  /** After a manifest was stored: record the push, and scan it when the app's scenario scans on push. */
  afterPush(artifact: ResolvedArtifact, tag: string | undefined): void {
    this.state.recordPush(artifact.repository, artifact.manifest.digest, tag);
    const scenario = this.scenarios.get(appKeyOf(artifact.repository));
    if (scenario.scan.onPush && this.isScannable(artifact) && !isScanInFlight(this.state.scan(artifact.repository, artifact.manifest.digest))) {
      startScan(this.state, artifact.repository, artifact.manifest.digest, scenario);
    }
  }

  afterPull(repository: string, digest: string, tag: string | undefined): void {
    this.state.recordPull(repository, digest, tag);
  }

  /** Deletes the artifact's manifest (and so all its tags) from the registry and Harbor's records. */
  async delete(artifact: ResolvedArtifact): Promise<void> {
    await this.store.deleteManifest(artifact.repository, artifact.manifest.digest);
    this.state.forgetArtifact(artifact.repository, artifact.manifest.digest);
  }

  /**
   * Pushes a small synthetic image straight into the store (control API and tests): a config
   * blob, one layer, the manifest, tagged `tag`. `index` wraps such an image in an OCI index;
   * `chart` and `unknown` produce artifacts that are not images (not scannable).
   */
  async seed(repository: string, tag: string, kind: SeedKind = 'image'): Promise<ResolvedArtifact> {
    const nonce = randomBytes(8).toString('hex');
    const configMediaType =
      kind === 'chart' ? MediaTypes.helmConfig : kind === 'unknown' ? 'application/vnd.example.thing.config.v1+json' : MediaTypes.ociConfig;
    const configJson =
      kind === 'chart'
        ? { name: repository.split('/').pop(), version: '0.1.0', apiVersion: 'v2' }
        : {
            architecture: 'amd64',
            os: 'linux',
            created: new Date().toISOString(),
            author: 'harbor-simulator',
            config: { Labels: { nonce } },
            rootfs: { type: 'layers', diff_ids: [] },
          };
    const config = await this.pushBlob(repository, Buffer.from(JSON.stringify(configJson)));
    const layer = await this.pushBlob(repository, Buffer.from(`layer of ${repository}:${tag} ${nonce}\n`));
    const imageManifest = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociManifest,
      config: { mediaType: configMediaType, digest: config.digest, size: config.size },
      layers: [
        { mediaType: kind === 'chart' ? 'application/vnd.cncf.helm.chart.content.v1.tar+gzip' : MediaTypes.ociLayer, digest: layer.digest, size: layer.size },
      ],
    };
    const imageBytes = Buffer.from(JSON.stringify(imageManifest));
    const image: StoredManifest = { digest: sha256Digest(imageBytes), mediaType: MediaTypes.ociManifest, bytes: imageBytes };
    if (kind !== 'index') {
      await this.store.putManifest(repository, image, tag);
      const resolved = await this.mustResolve(repository, image.digest);
      this.afterPush(resolved, tag);
      return resolved;
    }
    await this.store.putManifest(repository, image);
    this.afterPush(await this.mustResolve(repository, image.digest), undefined);
    const index = {
      schemaVersion: 2,
      mediaType: MediaTypes.ociIndex,
      manifests: [{ mediaType: MediaTypes.ociManifest, digest: image.digest, size: imageBytes.length, platform: { architecture: 'amd64', os: 'linux' } }],
    };
    const indexBytes = Buffer.from(JSON.stringify(index));
    const stored: StoredManifest = { digest: sha256Digest(indexBytes), mediaType: MediaTypes.ociIndex, bytes: indexBytes };
    await this.store.putManifest(repository, stored, tag);
    const resolved = await this.mustResolve(repository, stored.digest);
    this.afterPush(resolved, tag);
    return resolved;
  }

  private async mustResolve(repository: string, digest: string): Promise<ResolvedArtifact> {
    const resolved = await this.resolve(repository, digest);
    if (!resolved) throw new Error(`manifest ${digest} vanished from ${repository}`);
    return resolved;
  }

  private async pushBlob(repository: string, bytes: Buffer): Promise<{ digest: string; size: number }> {
    const digest = sha256Digest(bytes);
    const existing = await this.store.statBlob(repository, digest);
    if (existing) return existing;
    const id = await this.store.startUpload(repository);
    return this.store.completeUpload(repository, id, digest, bytes);
  }

  private references(repository: string, parentId: number, parsed: Extract<ParsedManifest, { kind: 'index' }>): Array<Record<string, unknown>> {
    return parsed.manifests.map((child) => ({
      parent_id: parentId,
      child_id: this.state.artifact(repository, child.digest).id,
      child_digest: child.digest,
      platform: child.platform ?? null,
      annotations: child.annotations ?? null,
      urls: child.urls ?? null,
    }));
  }

  private async extraAttrs(artifact: ResolvedArtifact): Promise<Record<string, unknown> | null> {
    if (artifact.parsed.kind !== 'image' || artifact.type === 'UNKNOWN') return null;
    const bytes = await this.store.getBlob(artifact.repository, artifact.parsed.config.digest);
    if (!bytes) return null;
    try {
      const config = JSON.parse(Buffer.from(bytes).toString('utf8')) as Record<string, unknown>;
      if (artifact.type !== 'IMAGE') return config;
      const { architecture, os, author, created, config: runConfig } = config;
      return { architecture, os, author, created, config: runConfig ?? {} };
    } catch {
      return null;
    }
  }
}

export function artifactType(parsed: ParsedManifest): ArtifactType {
  if (parsed.kind === 'index') return 'IMAGE';
  const configType = parsed.config.mediaType ?? '';
  if (imageConfigMediaTypes.includes(configType)) return 'IMAGE';
  if (configType === MediaTypes.helmConfig) return 'CHART';
  if (configType.startsWith('application/vnd.cnab')) return 'CNAB';
  return 'UNKNOWN';
}

function artifactSize(manifest: StoredManifest, parsed: ParsedManifest): number {
  if (parsed.kind === 'index') return manifest.bytes.length + parsed.manifests.reduce((sum, m) => sum + m.size, 0);
  return manifest.bytes.length + parsed.config.size + parsed.layers.reduce((sum, l) => sum + l.size, 0);
}
