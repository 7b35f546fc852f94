// The values.yaml of one release: the only per-release input of the chart besides
// Chart.yaml's appVersion. The Argo CD simulator reads image.{repository,tag,digest},
// appName, namespace and ingress.host from it, so the shape is a contract: change it
// together with gitops/chart-template/ and the simulator.
//
// Values files written before a key existed must still parse and render (a platform reverting
// a GitOps commit, or anything reading an earlier release back): new keys are optional here,
// and the templates treat a missing key as the behaviour from before it existed. buildValues()
// always writes them, with the house defaults below.
import { z } from 'zod';
import { OCI_TAG, appNames, dnsLabel, hostnameSchema, workspaceIdSchema } from './naming.js';
import type { Identity, NamespaceScope } from './naming.js';

/** Kubernetes resource quantity, e.g. `50m`, `1`, `0.5`, `64Mi`, `1G`. */
const quantity = z.string().regex(/^[0-9]+(\.[0-9]+)?(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?$/, 'must be a Kubernetes quantity such as 50m, 64Mi or 1');
const port = z.number().int().min(1).max(65535);

/** `host[:port]/path` of an image without tag or digest, lowercase as OCI requires. */
const imageRepositorySchema = z
  .string()
  .max(255)
  .regex(
    /^([a-z0-9.-]+(:[0-9]{1,5})?\/)?[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*$/,
    'must be an image repository such as registry.example.com/apps/ws/user-app',
  );

/** A Kubernetes object name that may contain dots (RFC 1123 subdomain): IngressClass, ClusterIssuer, ClusterSecretStore. */
export const subdomainName = z
  .string()
  .max(253)
  .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'must be a Kubernetes name: lowercase letters, digits, "-" and "."');

/** A Go duration as the External Secrets Operator reads `refreshInterval`, e.g. `1h`, `30m`, `1h30m`. */
const goDuration = z.string().regex(/^([0-9]+(ms|s|m|h))+$/, 'must be a duration such as 1h or 30m');

export const digestSchema = z.string().regex(/^sha256:[0-9a-f]{64}$/, 'must be a sha256 digest (sha256:<64 hex>)');

export const releaseKinds = ['deploy', 'rollback'] as const;

/**
 * How a release's pods get their registry credentials (docs/pull-secrets-and-tls.md):
 * `external-secret`: the chart renders an ExternalSecret that the External Secrets Operator
 * fills from a ClusterSecretStore with the workspace's pull-only robot account, into a Secret
 * of this release only; `existing`: a Secret the platform created in the namespace itself;
 * `none`: a public registry, or credentials the namespace's service account already carries.
 */
export const pullSecretModes = ['external-secret', 'existing', 'none'] as const;
export type PullSecretMode = (typeof pullSecretModes)[number];

const pullSecretSchema = z.discriminatedUnion('mode', [
  z
    .object({
      mode: z.literal('external-secret'),
      /** The ExternalSecret and the Secret it creates: pullSecretName(releaseName). */
      name: dnsLabel,
      /** The ClusterSecretStore that answers {registry, username, password} per workspace. */
      store: subdomainName,
      /** The key asked of the store: the workspace id (one robot account per workspace). */
      key: workspaceIdSchema,
      refreshInterval: goDuration,
    })
    .strict(),
  z.object({ mode: z.literal('existing'), name: dnsLabel }).strict(),
  z.object({ mode: z.literal('none') }).strict(),
]);

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
    /** Names of further docker-registry Secrets in the namespace, referenced as they are. */
    imagePullSecrets: z.array(dnsLabel).max(5).optional(),
    /** Missing in values written before it existed: then the chart references no pull secret of its own (mode `none`). */
    pullSecret: pullSecretSchema.optional(),
    app: z.object({ port }).strict(),
    service: z.object({ port }).strict(),
    ingress: z
      .object({
        enabled: z.boolean(),
        className: subdomainName,
        host: hostnameSchema,
        /** A `tls` entry per host, secret `<release>-tls`; on exactly when the live URL is https. */
        tls: z.boolean(),
        /** cert-manager ClusterIssuer that issues the TLS secret (annotation `cert-manager.io/cluster-issuer`). */
        clusterIssuer: subdomainName.optional(),
      })
      .strict()
      .refine((i) => i.tls || i.clusterIssuer === undefined, { message: 'a cluster issuer needs tls: true', path: ['clusterIssuer'] }),
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
  .strict()
  .refine((v) => v.pullSecret === undefined || v.pullSecret.mode === 'none' || !v.imagePullSecrets?.includes(v.pullSecret.name), {
    message: 'must not list the pull secret of pullSecret.name again',
    path: ['imagePullSecrets'],
  });

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
  pullSecret: { mode: 'external-secret', store: 'deploy-engine-registry', refreshInterval: '1h' },
  autoscaling: { enabled: false, minReplicas: 1, maxReplicas: 3, targetCPUUtilizationPercentage: 80 },
  resources: { requests: { cpu: '50m', memory: '64Mi' }, limits: { memory: '256Mi' } },
} as const;

/**
 * The Secret (and ExternalSecret) holding one release's registry credentials. Per release, not
 * per namespace: with NAMESPACE_SCOPE=user one namespace holds a user's apps of several
 * workspaces, each with its own workspace's robot account. Release names are unique in a
 * namespace and at most 53 characters (gitops/naming.ts), so this is unique there too and a DNS
 * label (at most 58). The chart's other Secret is `<release>-tls`, so two releases' Secrets never
 * share a name either.
 */
export function pullSecretName(releaseName: string): string {
  return `${releaseName}-pull`;
}

/** What the platform chose for pull secrets (PULL_SECRET_MODE, lib/config.ts). */
export type PullSecretChoice = { mode: 'external-secret'; store: string; refreshInterval?: string } | { mode: 'existing'; name: string } | { mode: 'none' };

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
  /** Serve the host over TLS (APPS_URL_SCHEME=https). Default false. */
  tls?: boolean;
  /** cert-manager ClusterIssuer for the TLS secret; only with tls. */
  clusterIssuer?: string;
  /** INGRESS_CLASS_NAME. */
  ingressClassName?: string;
  /** Default: an ExternalSecret from the `deploy-engine-registry` ClusterSecretStore. */
  pullSecret?: PullSecretChoice;
  replicaCount?: number;
  imagePullSecrets?: string[];
}

function pullSecretValues(choice: PullSecretChoice, releaseName: string, workspaceId: string): ChartValues['pullSecret'] {
  switch (choice.mode) {
    case 'external-secret':
      return {
        mode: 'external-secret',
        name: pullSecretName(releaseName),
        store: choice.store,
        key: workspaceId,
        refreshInterval: choice.refreshInterval ?? DEFAULT_VALUES.pullSecret.refreshInterval,
      };
    case 'existing':
      return { mode: 'existing', name: choice.name };
    case 'none':
      return { mode: 'none' };
  }
}

/** Values of a release with the house defaults, validated (throws ChartValuesError). */
export function buildValues(input: BuildValuesInput): ChartValues {
  const names = appNames(input.identity, input.namespaceScope);
  return parseValues({
    appName: names.appName,
    namespace: names.namespace,
    framework: input.framework,
    replicaCount: input.replicaCount ?? DEFAULT_VALUES.replicaCount,
    image: {
      repository: input.imageRepository,
      tag: input.imageTag,
      ...(input.imageDigest ? { digest: input.imageDigest } : {}),
      pullPolicy: DEFAULT_VALUES.pullPolicy,
    },
    ...(input.imagePullSecrets?.length ? { imagePullSecrets: input.imagePullSecrets } : {}),
    pullSecret: pullSecretValues(input.pullSecret ?? DEFAULT_VALUES.pullSecret, names.releaseName, input.identity.workspaceId),
    app: { port: input.appPort ?? DEFAULT_VALUES.appPort },
    service: { port: DEFAULT_VALUES.servicePort },
    ingress: {
      enabled: true,
      className: input.ingressClassName ?? DEFAULT_VALUES.ingressClassName,
      host: input.host,
      tls: input.tls ?? false,
      ...(input.tls && input.clusterIssuer ? { clusterIssuer: input.clusterIssuer } : {}),
    },
    autoscaling: { ...DEFAULT_VALUES.autoscaling },
    resources: { requests: { ...DEFAULT_VALUES.resources.requests }, limits: { ...DEFAULT_VALUES.resources.limits } },
    release: { ...input.release },
  });
}
