// The pure half of the External Secrets stand-in (external-secrets.ts): what External Secrets
// Operator v1.3's webhook provider sends and how it reads the answer, and the Secret its
// ExternalSecret controller builds from that, rewritten from ESO's source
// (providers/v1/webhook, pkg/controllers/externalsecret, runtime/template/v2). Objects in,
// objects out; no I/O. docs/real-cluster.md says what is left out.
import { createHash } from 'node:crypto';
import { executeGoTemplate, goJsonMarshal, TemplateError } from '../../simulators/argocd/go-template.js';

export const ESO_GROUP_VERSION = 'external-secrets.io/v1';
/** ESO's labels and annotation on a Secret it manages (esv1.LabelManaged, LabelOwner, AnnotationDataHash). */
export const LABEL_MANAGED = 'reconcile.external-secrets.io/managed';
export const LABEL_OWNER = 'reconcile.external-secrets.io/created-by';
export const ANNOTATION_DATA_HASH = 'reconcile.external-secrets.io/data-hash';
/** The label a Secret needs before the webhook provider reads it (EnforceLabels, always on for stores). */
export const WEBHOOK_SECRET_LABEL = 'external-secrets.io/type';

interface Meta {
  name: string;
  namespace?: string;
  uid?: string;
  generation?: number;
  resourceVersion?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  deletionTimestamp?: string;
  ownerReferences?: OwnerReference[];
}

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface Condition {
  type: string;
  status: 'True' | 'False' | 'Unknown';
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface RemoteRef {
  key: string;
  version?: string;
  property?: string;
  conversionStrategy?: string;
  decodingStrategy?: string;
  metadataPolicy?: string;
}

export interface ExternalSecret {
  apiVersion?: string;
  kind?: string;
  metadata: Meta & { namespace: string; uid: string };
  spec: {
    refreshInterval?: string;
    secretStoreRef?: { kind?: string; name: string };
    target?: {
      name?: string;
      creationPolicy?: 'Owner' | 'Orphan' | 'Merge' | 'None';
      deletionPolicy?: 'Retain' | 'Delete' | 'Merge';
      immutable?: boolean;
      template?: {
        type?: string;
        engineVersion?: string;
        mergePolicy?: 'Replace' | 'Merge';
        metadata?: { labels?: Record<string, string>; annotations?: Record<string, string> };
        data?: Record<string, string>;
        templateFrom?: unknown[];
      };
    };
    data?: Array<{ secretKey: string; remoteRef: RemoteRef; sourceRef?: unknown }>;
    dataFrom?: Array<{ extract?: RemoteRef; find?: unknown; rewrite?: unknown[]; sourceRef?: unknown }>;
  };
  status?: { conditions?: Condition[]; refreshTime?: string; syncedResourceVersion?: string; binding?: { name?: string } };
}

export interface WebhookProvider {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeout?: string;
  result?: { jsonPath?: string };
  secrets?: Array<{ name: string; secretRef: { name: string; key?: string; namespace?: string } }>;
  caBundle?: string;
  caProvider?: unknown;
  auth?: unknown;
}

export interface ClusterSecretStore {
  metadata: Meta;
  spec?: { provider?: Record<string, unknown> & { webhook?: WebhookProvider } };
  status?: { conditions?: Condition[]; capabilities?: string };
}

export interface KubeSecret {
  apiVersion?: 'v1';
  kind?: 'Secret';
  metadata: Meta;
  type?: string;
  data?: Record<string, string>;
  immutable?: boolean;
}

/** A failure the stand-in reports on the ExternalSecret. Its message never holds a secret value. */
export class SyncError extends Error {
  override readonly name = 'SyncError';
}

/** The webhook answered 404: ESO's NoSecretError ("Secret does not exist"). */
export class NoSecretError extends SyncError {
  constructor() {
    super('Secret does not exist');
  }
}

/** Go's url.QueryEscape: everything but letters, digits and -_.~ escaped, a space as +. */
export function queryEscape(value: string): string {
  return encodeURIComponent(value)
    .replace(/[!'()*]/g, (ch) => `%${ch.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** The template data of a webhook call (GetTemplateData): the remote ref, and each store secret by its name. */
export function webhookTemplateData(
  ref: RemoteRef,
  namespace: string,
  secrets: Record<string, Record<string, string>>,
  escape: boolean,
): Record<string, Record<string, string>> {
  const e = escape ? queryEscape : (v: string) => v;
  return { remoteRef: { key: e(ref.key), version: e(ref.version ?? ''), property: e(ref.property ?? ''), namespace }, ...secrets };
}

/** ESO's webhook templates: its function map (sprig), Go's default missing-key behaviour. */
function webhookTemplate(source: string | undefined, data: unknown, what: string): string {
  if (!source) return '';
  try {
    return executeGoTemplate(source, data, { name: 'webhooktemplate' });
  } catch (error) {
    throw new SyncError(`failed to parse ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

export interface WebhookRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number | undefined;
}

/**
 * The request of GetWebhookData: the URL rendered over query-escaped data, headers and body over
 * the raw data. `secrets` are the store's secrets, already read and decoded, by their names.
 */
export function webhookRequest(provider: WebhookProvider, ref: RemoteRef, namespace: string, secrets: Record<string, Record<string, string>>): WebhookRequest {
  if (provider.auth !== undefined) throw new SyncError('webhook auth (NTLM) is not served by the real-cluster stand-in');
  if (provider.caBundle || provider.caProvider) throw new SyncError('webhook caBundle/caProvider is not served by the real-cluster stand-in');
  const escaped = webhookTemplateData(ref, namespace, secrets, true);
  const raw = webhookTemplateData(ref, namespace, secrets, false);
  const url = webhookTemplate(provider.url, escaped, 'url');
  const body = webhookTemplate(provider.body, raw, 'body');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(provider.headers ?? {})) headers[name] = webhookTemplate(value, raw, `header ${name}`);
  return { method: provider.method || 'GET', url, headers, body, timeoutMs: provider.timeout ? goDurationMs(provider.timeout) : undefined };
}

/** The result path, itself a template over the raw data (GetSecret, GetSecretMap). */
export function resultJsonPath(provider: WebhookProvider, ref: RemoteRef, namespace: string, secrets: Record<string, Record<string, string>>): string {
  return webhookTemplate(provider.result?.jsonPath, webhookTemplateData(ref, namespace, secrets, false), 'json path');
}

/**
 * The JSONPath subset of a store's `result.jsonPath`: `$`, `.name`, `['name']` and `[index]`.
 * ESO uses PaesslerAG/jsonpath; filters, wildcards and `..` are refused here, not guessed.
 */
export function jsonPathGet(path: string, document: unknown): unknown {
  const trimmed = path.trim();
  if (!trimmed.startsWith('$')) throw new SyncError(`failed to get response path ${path}: it must start with $`);
  let rest = trimmed.slice(1);
  let value = document;
  while (rest) {
    const step = /^\.([A-Za-z_$][\w$-]*)|^\[\s*(?:'([^']*)'|"([^"]*)"|(\d+))\s*\]/.exec(rest);
    if (!step) throw new SyncError(`failed to get response path ${path}: only $, .key, ['key'] and [index] are served by the real-cluster stand-in`);
    rest = rest.slice(step[0].length);
    const index = step[4];
    if (index !== undefined) {
      if (!Array.isArray(value) || Number(index) >= value.length) throw new SyncError(`failed to get response path ${path}: index out of range`);
      value = value[Number(index)];
      continue;
    }
    const key = step[1] ?? step[2] ?? step[3] ?? '';
    if (!value || typeof value !== 'object' || Array.isArray(value) || !Object.hasOwn(value, key))
      throw new SyncError(`failed to get response path ${path}: unknown key ${key}`);
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new SyncError(`failed to parse ${what}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** esutils.GetByteValue: a value of the answer as the bytes of a Secret key. */
function byteValue(value: unknown, key: string): string {
  if (typeof value === 'string') return value;
  if (value === null) return '';
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return String(value);
  if (typeof value === 'object') return goJsonMarshal(value);
  throw new SyncError(`failed to get response for key '${key}'`);
}

/** GetSecretMap (dataFrom.extract): the answer, at the path, as a map of keys to values. */
export function secretMapFromResponse(body: string, jsonPath: string): Record<string, string> {
  let data = parseJson(body, 'response json');
  if (jsonPath) data = jsonPathGet(jsonPath, data);
  // A string at the path is parsed again: it may be a JSON object in a string.
  if (typeof data === 'string') data = parseJson(data, 'response json from jsonpath');
  if (!data || typeof data !== 'object' || Array.isArray(data))
    throw new SyncError(`failed to get response (wrong type: ${Array.isArray(data) ? 'list' : data === null ? 'null' : typeof data})`);
  return Object.fromEntries(Object.entries(data).map(([key, value]) => [key, byteValue(value, key)]));
}

/** GetSecret (spec.data): one value; without a path, the whole answer. */
export function secretValueFromResponse(body: string, jsonPath: string): string {
  if (!jsonPath) return body;
  const extract = (value: unknown): string => {
    if (typeof value === 'string') return value;
    if (value === null) return '';
    if (typeof value === 'boolean') return String(value);
    // strconv.FormatFloat(val, 'f', 0, 64): a number loses its fraction.
    if (typeof value === 'number') return value.toFixed(0);
    if (Array.isArray(value)) {
      if (value.length === 0) throw new SyncError("filter worked but didn't get any result");
      return extract(value[0]);
    }
    if (typeof value === 'object') return goJsonMarshal(value);
    throw new SyncError(`failed to get response (wrong type: ${typeof value})`);
  };
  return extract(jsonPathGet(jsonPath, parseJson(body, 'response json')));
}

/** A Go duration ("1h", "15s", "1h0m0s", "0") in milliseconds. */
export function goDurationMs(text: string): number {
  if (text === '0') return 0;
  const units: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };
  const parts = [...text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((p) => p[0]).join('') !== text) throw new SyncError(`invalid duration ${JSON.stringify(text)}`);
  return parts.reduce((sum, p) => sum + Number(p[1]) * units[p[2]!]!, 0);
}

/** esutils.ObjectHash: the MD5 of Go's `%+v` of the value. */
function goObjectHash(printed: string): string {
  return createHash('md5').update(printed).digest('hex');
}

/** ObjectHash(secret.Data) as ESO computes it (`map[k:[b1 b2 …] …]`, keys sorted), over base64 data. */
export function dataHash(data: Record<string, string> | undefined): string {
  const entries = Object.keys(data ?? {})
    .sort()
    .map((key) => `${key}:[${[...Buffer.from(data![key]!, 'base64')].join(' ')}]`);
  return goObjectHash(`map[${entries.join(' ')}]`);
}

/** ESO's syncedResourceVersion: the generation and a hash of the labels and annotations (ctrlutil.GetResourceVersion). */
export function resourceVersionOf(es: ExternalSecret): string {
  const sorted = (m: Record<string, string> | undefined) =>
    Object.keys(m ?? {})
      .sort()
      .map((k) => `${k}:${m![k]}`)
      .join(' ');
  return `${es.metadata.generation ?? 0}-${goObjectHash(`{annotations:map[${sorted(es.metadata.annotations)}] labels:map[${sorted(es.metadata.labels)}]}`)}`;
}

export const targetName = (es: ExternalSecret) => es.spec.target?.name || es.metadata.name;
export const creationPolicy = (es: ExternalSecret) => es.spec.target?.creationPolicy ?? 'Owner';

function renderValue(source: string, data: Record<string, string>, key: string): string {
  try {
    return executeGoTemplate(source, data, { missingKeyError: true, name: key });
  } catch (error) {
    if (error instanceof TemplateError) throw new SyncError(`unable to execute template at key ${key}: ${error.message}`);
    throw error;
  }
}

/**
 * The Secret the ExternalSecret asks for, from the provider's data (ApplyTemplate and the
 * controller's mutation): template v2 over the data as strings, Go's missingkey=error, the
 * template's type, ESO's labels and annotation, and with creationPolicy Owner the controller
 * reference that makes Kubernetes delete the Secret with its ExternalSecret.
 */
export function desiredSecret(es: ExternalSecret, provided: Record<string, string>, existing?: KubeSecret): KubeSecret {
  const template = es.spec.target?.template;
  const policy = creationPolicy(es);
  const labels: Record<string, string> = { ...existing?.metadata.labels };
  const annotations: Record<string, string> = { ...existing?.metadata.annotations };
  // Kept only with creationPolicy Merge; otherwise the Secret holds exactly what the ExternalSecret says.
  const plain: Record<string, string> =
    policy === 'Merge' ? Object.fromEntries(Object.entries(existing?.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])) : {};
  let type = existing?.type;
  if (!template) {
    Object.assign(labels, es.metadata.labels);
    Object.assign(annotations, es.metadata.annotations);
    Object.assign(plain, provided);
  } else {
    if (template.engineVersion && template.engineVersion !== 'v2')
      throw new SyncError(`template engine ${template.engineVersion} is not served by the real-cluster stand-in (v2 only)`);
    if ((template.templateFrom?.length ?? 0) > 0) throw new SyncError('template.templateFrom is not served by the real-cluster stand-in');
    if (template.type) type = template.type;
    const data = template.data ?? {};
    if (template.mergePolicy === 'Merge' || Object.keys(data).length === 0) Object.assign(plain, provided);
    for (const [key, source] of Object.entries(data)) plain[key] = renderValue(source, provided, key);
    for (const [key, source] of Object.entries(template.metadata?.labels ?? {})) labels[key] = renderValue(source, provided, key);
    for (const [key, source] of Object.entries(template.metadata?.annotations ?? {})) annotations[key] = renderValue(source, provided, key);
  }
  const data = Object.fromEntries(Object.entries(plain).map(([k, v]) => [k, Buffer.from(v, 'utf8').toString('base64')]));
  let ownerReferences = (existing?.metadata.ownerReferences ?? []).filter(
    (o) => !(o.kind === 'ExternalSecret' && o.apiVersion.startsWith('external-secrets.io/') && o.name === es.metadata.name),
  );
  if (policy === 'Owner') {
    ownerReferences = [
      ...ownerReferences,
      { apiVersion: ESO_GROUP_VERSION, kind: 'ExternalSecret', name: es.metadata.name, uid: es.metadata.uid, controller: true, blockOwnerDeletion: true },
    ];
    labels[LABEL_OWNER] = goObjectHash(`${es.metadata.namespace}/${es.metadata.name}`);
  } else {
    delete labels[LABEL_OWNER];
  }
  labels[LABEL_MANAGED] = 'true';
  annotations[ANNOTATION_DATA_HASH] = dataHash(data);
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      ...(existing?.metadata ?? {}),
      name: targetName(es),
      namespace: es.metadata.namespace,
      labels,
      annotations,
      ...(ownerReferences.length > 0 ? { ownerReferences } : {}),
    },
    type: type ?? 'Opaque',
    data,
    ...(existing?.immutable || es.spec.target?.immutable ? { immutable: true } : {}),
  };
}

/** Another ExternalSecret controls this Secret: ESO refuses to fight over it. */
export function ownedByAnother(es: ExternalSecret, secret: KubeSecret): string | undefined {
  const controller = secret.metadata.ownerReferences?.find((o) => o.controller);
  if (controller && controller.kind === 'ExternalSecret' && controller.apiVersion.startsWith('external-secrets.io/') && controller.name !== es.metadata.name)
    return controller.name;
  return undefined;
}

/** The same bytes, type, labels, annotations and owners: nothing to write. */
export function sameSecret(a: KubeSecret, b: KubeSecret): boolean {
  const canonical = (s: KubeSecret) =>
    goJsonMarshal({
      type: s.type ?? 'Opaque',
      data: s.data ?? {},
      labels: s.metadata.labels ?? {},
      annotations: s.metadata.annotations ?? {},
      owners: s.metadata.ownerReferences ?? [],
      immutable: s.immutable ?? false,
    });
  return canonical(a) === canonical(b);
}

/**
 * SetExternalSecretCondition: the Ready condition replaced, its lastTransitionTime kept while
 * its status stays the same, and nothing changed when status, reason and message are the same.
 */
export function withReadyCondition(current: Condition[] | undefined, next: Omit<Condition, 'type' | 'lastTransitionTime'>, now: string): Condition[] {
  const conditions = current ?? [];
  const old = conditions.find((c) => c.type === 'Ready');
  if (old && old.status === next.status && old.reason === next.reason && old.message === next.message) return conditions;
  const lastTransitionTime = old && old.status === next.status && old.lastTransitionTime ? old.lastTransitionTime : now;
  return [...conditions.filter((c) => c.type !== 'Ready'), { type: 'Ready', ...next, lastTransitionTime }];
}

/** A Kubernetes timestamp (RFC 3339, seconds). */
export function kubeTime(ms: number): string {
  return new Date(ms).toISOString().replace(/\.\d+Z$/, 'Z');
}
