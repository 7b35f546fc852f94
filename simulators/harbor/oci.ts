// OCI / Docker distribution basics shared by the Harbor simulator: media types, digests,
// name/tag/digest grammar and manifest parsing.
import { createHash } from 'node:crypto';
import { z } from 'zod';

export const MediaTypes = {
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  helmConfig: 'application/vnd.cncf.helm.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
} as const;

/** Manifest media types this registry stores; anything else is rejected with MANIFEST_INVALID. */
export const manifestMediaTypes: readonly string[] = [MediaTypes.ociIndex, MediaTypes.ociManifest, MediaTypes.dockerList, MediaTypes.dockerManifest];
export const indexMediaTypes: readonly string[] = [MediaTypes.ociIndex, MediaTypes.dockerList];
export const imageConfigMediaTypes: readonly string[] = [MediaTypes.ociConfig, MediaTypes.dockerConfig];

/** The distribution grammar: path components separated by `/`. */
export const repositoryNamePattern = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
export const tagPattern = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;
export const digestPattern = /^sha256:[a-f0-9]{64}$/;

export function isDigest(reference: string): boolean {
  return digestPattern.test(reference);
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

const descriptorSchema = z.object({
  mediaType: z.string().optional(),
  digest: z.string().regex(digestPattern),
  size: z.number().int().min(0),
  platform: z.object({ architecture: z.string(), os: z.string(), variant: z.string().optional() }).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  urls: z.array(z.string()).optional(),
});
export type Descriptor = z.infer<typeof descriptorSchema>;

const imageManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: descriptorSchema,
  layers: z.array(descriptorSchema),
  subject: descriptorSchema.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});

const indexManifestSchema = z.object({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  manifests: z.array(descriptorSchema),
  annotations: z.record(z.string(), z.string()).optional(),
});

export type ParsedManifest =
  | { kind: 'image'; mediaType: string; config: Descriptor; layers: Descriptor[]; annotations?: Record<string, string> }
  | { kind: 'index'; mediaType: string; manifests: Descriptor[]; annotations?: Record<string, string> };

/**
 * Parses a manifest body sent with `contentType`. The media type is the Content-Type (when it
 * is a manifest type) or the body's `mediaType` field; they must agree when both are given,
 * as distribution requires.
 */
export function parseManifest(bytes: Uint8Array, contentType: string | undefined): ParsedManifest {
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(bytes).toString('utf8'));
  } catch {
    throw new ManifestError('MANIFEST_INVALID', 'manifest invalid: not JSON');
  }
  const declared = typeof json === 'object' && json !== null && 'mediaType' in json && typeof json.mediaType === 'string' ? json.mediaType : undefined;
  const header = contentType?.split(';')[0]?.trim();
  const headerType = header && manifestMediaTypes.includes(header) ? header : undefined;
  if (headerType && declared && declared !== headerType) {
    throw new ManifestError('MANIFEST_INVALID', `manifest invalid: mediaType ${declared} does not match Content-Type ${headerType}`);
  }
  const mediaType = headerType ?? declared ?? (json && typeof json === 'object' && 'manifests' in json ? MediaTypes.ociIndex : MediaTypes.ociManifest);
  if (!manifestMediaTypes.includes(mediaType)) throw new ManifestError('MANIFEST_INVALID', `manifest invalid: unsupported media type ${mediaType}`);
  if (indexMediaTypes.includes(mediaType)) {
    const parsed = indexManifestSchema.safeParse(json);
    if (!parsed.success) throw new ManifestError('MANIFEST_INVALID', 'manifest invalid: not an image index');
    return { kind: 'index', mediaType, manifests: parsed.data.manifests, annotations: parsed.data.annotations };
  }
  const parsed = imageManifestSchema.safeParse(json);
  if (!parsed.success) throw new ManifestError('MANIFEST_INVALID', 'manifest invalid: not an image manifest');
  return { kind: 'image', mediaType, config: parsed.data.config, layers: parsed.data.layers, annotations: parsed.data.annotations };
}

export class ManifestError extends Error {
  constructor(
    readonly code: 'MANIFEST_INVALID' | 'MANIFEST_BLOB_UNKNOWN',
    message: string,
    readonly detail?: unknown,
  ) {
    super(message);
    this.name = 'ManifestError';
  }
}

/** The media types a client accepts, from one or several Accept headers (q-values ignored). */
export function acceptedTypes(accept: string | undefined): string[] {
  if (!accept) return [];
  return accept
    .split(',')
    .map((part) => part.split(';')[0]?.trim().toLowerCase() ?? '')
    .filter((type) => type.length > 0);
}
