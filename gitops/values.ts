// The values.yaml of one release: the only per-release input of the chart besides
// Chart.yaml's appVersion. The Argo CD simulator reads image.{repository,tag,digest},
// appName, namespace and ingress.host from it, so the shape is a contract: change it
// together with gitops/chart-template/ and the simulator.
import { z } from 'zod';
import { OCI_TAG, appNames, dnsLabel, hostnameSchema } from './naming.js';
import type { Identity, NamespaceScope } from './naming.js';

/** Kubernetes resource quantity, e.g. `50m`, `1`, `0.5`, `64Mi`, `1G`. */
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, 'must be a Kubernetes quantity such as 50m, 64Mi or 1');
const port = z.number().int().min(1).max(65535);

/** `host[:port]/path` of an image without tag or digest, lowercase as OCI requires. */
const imageRepositorySchema = z
  .string()
  .max(255)
  .regex(/^([a-z0-9.-]+(:[0-9]{1,5})?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/, 'must be an image repository such as registry.example.com/apps/ws/user-app');

export const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be a sha256 digest (sha256:<64 hex>)');

export const releaseKinds = ['deploy', 'rollback'] as const;

export const valuesSchema = z
  .object({
    appName: dnsLabel,
    namespace: dnsLabel,
    framework: z.string().regex(/^[a-z0-9][a-z0-9.-]{0,39}$/, 'must be a framework id such as nextjs'),
    replicaCount: z.number().int().min(0).max(50),
    image: z
      .object({
        repository: imageRepositorySchema,
        tag: z.string().regex(OCI_TAG, 'must be a valid OCI tag'),
        /** When set, the chart deploys `repository@digest` (immutable); else `repository:tag`. */
        digest: digestSchema.optional(),
        pullPolicy: z.enum(['IfNotPresent', 'Always', 'Never']),
      })
      .strict(),
    /** Names of existing docker-registry Secrets in the namespace (see bootstrap/registry-secret.md). */
    imagePullSecrets: z.array(dnsLabel).max(5).optional(),
    app: z.object({ port }).strict(),
    service: z.object({ port }).strict(),
    ingress: z
      .object({
        enabled: z.boolean(),
        className: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be an IngressClass name').max(253),
        host: hostnameSchema,
        tls: z.boolean(),
      })
      .strict(),
    autoscaling: z
      .object({
        enabled: z.boolean(),
        minReplicas: z.number().int().min(1).max(50),
        maxReplicas: z.number().int().min(1).max(50),
        targetCPUUtilizationPercentage: z.number().int().min(1).max(100),
      })
      .strict()
      .refine((a) => a.minReplicas <= a.maxReplicas, { message: 'minReplicas must not exceed maxReplicas', path: ['minReplicas'] }),
    resources: z
      .object({
        requests: z.object({ cpu: quantity, memory: quantity }).strict(),
        limits: z.object({ cpu: quantity.optional(), memory: quantity }).strict(),
      })
      .strict(),
    release: z
      .object({
        deploymentId: z.uuid({ message: 'must be a UUID' }),
        commitSha: z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-hex git commit SHA'),
        kind: z.enum(releaseKinds),
      })
      .strict(),
  })
  .strict();

export type ChartValues = z.infer<typeof valuesSchema>;
export type ReleaseKind = (typeof releaseKinds)[number];

/** The chart values could not be produced: terminal ("an invalid chart"). */
export class ChartValuesError extends Error {
  override readonly name = 'ChartValuesError';
  readonly transient = false;
}

/** Validates values (e.g. read back from the GitOps repository for a rollback). */
export function parseValues(input: unknown): ChartValues {
  const parsed = valuesSchema.safeParse(input);
  if (parsed.success) return parsed.data;
  throw new ChartValuesError(`invalid chart values: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
}

/** Defaults of the fields a deploy does not usually choose. */
export const DEFAULT_VALUES = {
  replicaCount: 1,
  pullPolicy: 'IfNotPresent',
  appPort: 3000,
  servicePort: 80,
  ingressClassName: 'nginx',
  autoscaling: { enabled: false, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 80 },
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
} as const;

export interface BuildValuesInput {
  identity: Identity;
  /** NAMESPACE_SCOPE: which namespace the release goes to. */
  namespaceScope: NamespaceScope;
  framework: string;
  /** Full repository including the registry host, e.g. `harbor.example.com/apps/ws1/alice-shop`. */
  imageRepository: string;
  imageTag: string;
  imageDigest?: string;
  /** From `appHost()`. */
  host: string;
  release: { deploymentId: string; commitSha: string; kind: ReleaseKind };
  appPort?: number;
  tls?: boolean;
  replicaCount?: number;
  imagePullSecrets?: string[];
}

/** Values of a release with the house defaults, validated (throws ChartValuesError). */
export function buildValues(input: BuildValuesInput): ChartValues {
  const names = appNames(input.identity, input.namespaceScope);
  return parseValues({
    appName: names.appName,
    namespace: names.namespace,
    framework: input.framework,
    replicaCount: input.replicaCount ?? DEFAULT_VALUES.replicaCount,
    image: { repository: input.imageRepository, tag: input.imageTag, ...(input.imageDigest ? { digest: input.imageDigest } : {}), pullPolicy: DEFAULT_VALUES.pullPolicy },
    ...(input.imagePullSecrets?.length ? { imagePullSecrets: input.imagePullSecrets } : {}),
    app: { port: input.appPort ?? DEFAULT_VALUES.appPort },
    service: { port: DEFAULT_VALUES.servicePort },
    ingress: { enabled: true, className: DEFAULT_VALUES.ingressClassName, host: input.host, tls: input.tls ?? false },
    autoscaling: { ...DEFAULT_VALUES.autoscaling },
    resources: { requests: { ...DEFAULT_VALUES.resources.requests }, limits: { ...DEFAULT_VALUES.resources.limits } },
    release: { ...input.release },
  });
}
