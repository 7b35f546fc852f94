// A STAND-IN for the External Secrets Operator's controllers, webhook provider only. The real
// cluster has ESO's real CRDs (v1.3.2, from its Go module), so Argo CD applies ExternalSecrets
// and judges them with its own health check, which waits for a Ready condition. ESO itself
// cannot be built here (its go.mod replaces modules the Go proxy does not serve), so this loop
// does what its controllers would for the engine's charts, once a second:
//
// - each ClusterSecretStore with a webhook provider is marked Ready (reason Valid), any other
//   is Ready=False: only the webhook provider is stood in;
// - each ExternalSecret that is due (never synced, changed since, its Secret missing or edited,
//   or its refreshInterval passed; after a failure, again 5 s later) is synced as ESO v1.3 does:
//   the store's URL, headers and body rendered (the key query-escaped in the URL), its secrets
//   read from Kubernetes (with the `external-secrets.io/type: webhook` label ESO requires), the
//   answer read at `result.jsonPath`, spec.data and dataFrom.extract merged, the target
//   template (v2) rendered, the Secret created or updated with ESO's labels, annotation and
//   controller reference (creationPolicy Owner), and status written through the status
//   subresource: Ready True/SecretSynced, refreshTime, syncedResourceVersion, binding;
//   on an error Ready False/SecretSyncedError with ESO's message and the cause, never a value.
//
// Not done: other providers, SecretStore (namespaced), dataFrom.find, generators (sourceRef),
// rewrite, templateFrom, template engine v1, decoding/conversion strategies, NTLM and custom CA
// for the webhook, PushSecret and ClusterExternalSecret, events, metrics, the refresh
// annotation (force-sync), and ESO's validating webhooks. docs/real-cluster.md.
import type { KubeApi } from './kube-api.js';
import {
  ESO_GROUP_VERSION,
  LABEL_MANAGED,
  ANNOTATION_DATA_HASH,
  WEBHOOK_SECRET_LABEL,
  NoSecretError,
  SyncError,
  creationPolicy,
  dataHash,
  desiredSecret,
  goDurationMs,
  kubeTime,
  ownedByAnother,
  resourceVersionOf,
  resultJsonPath,
  sameSecret,
  secretMapFromResponse,
  secretValueFromResponse,
  targetName,
  webhookRequest,
  withReadyCondition,
  type ClusterSecretStore,
  type Condition,
  type ExternalSecret,
  type KubeSecret,
  type RemoteRef,
  type WebhookProvider,
} from './external-secrets-render.js';

const API = `/apis/${ESO_GROUP_VERSION}`;
const DEFAULT_REFRESH = '1h';
/** Without a timeout on the store, a call that hangs would stop the loop; ESO has none by default. */
const DEFAULT_CALL_TIMEOUT_MS = 30_000;

export interface ExternalSecretsStandIn {
  /** One pass now (tests); the loop keeps running. */
  pass(): Promise<void>;
  stop(): Promise<void>;
}

export interface StandInOptions {
  intervalMs?: number;
  /** After a failed sync, the next try waits this long (ESO backs off exponentially). */
  retryMs?: number;
  onError?: (error: unknown) => void;
  now?: () => number;
  fetch?: typeof fetch;
}

type Kube = Pick<KubeApi, 'get' | 'request' | 'mergePatch'>;
interface List<T> {
  items?: T[];
}

const secretPath = (namespace: string, name?: string) =>
  `/api/v1/namespaces/${encodeURIComponent(namespace)}/secrets${name ? `/${encodeURIComponent(name)}` : ''}`;
const esStatusPath = (es: ExternalSecret) =>
  `${API}/namespaces/${encodeURIComponent(es.metadata.namespace)}/externalsecrets/${encodeURIComponent(es.metadata.name)}/status`;
const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

export function startExternalSecretsStandIn(kube: Kube, options: StandInOptions = {}): ExternalSecretsStandIn {
  const intervalMs = options.intervalMs ?? 1_000;
  const retryMs = options.retryMs ?? 5_000;
  const now = options.now ?? Date.now;
  const fetchImpl = options.fetch ?? fetch;
  /** uid → when its last sync failed, for the retry delay. */
  const failedAt = new Map<string, number>();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function reconcileStore(store: ClusterSecretStore): Promise<void> {
    const webhook = store.spec?.provider?.webhook;
    const others = Object.keys(store.spec?.provider ?? {}).filter((p) => p !== 'webhook');
    const ready: Omit<Condition, 'type' | 'lastTransitionTime'> =
      webhook && others.length === 0
        ? { status: 'True', reason: 'Valid', message: 'store validated' }
        : {
            status: 'False',
            reason: 'InvalidProviderConfig',
            message: `the real-cluster stand-in for External Secrets serves the webhook provider only (this store: ${others.join(', ') || 'none'})`,
          };
    const conditions = withReadyCondition(store.status?.conditions, ready, kubeTime(now()));
    if (conditions === store.status?.conditions && store.status?.capabilities) return;
    await kube.mergePatch(`${API}/clustersecretstores/${encodeURIComponent(store.metadata.name)}/status`, {
      status: { conditions, capabilities: 'ReadWrite' },
    });
  }

  /** The store's secrets by their template names, values decoded (getStoreSecret with ClusterScoped and EnforceLabels). */
  async function storeSecrets(provider: WebhookProvider): Promise<Record<string, Record<string, string>>> {
    const out: Record<string, Record<string, string>> = {};
    for (const ref of provider.secrets ?? []) {
      const { name, namespace } = ref.secretRef;
      if (!namespace) throw new SyncError(`no namespace on ClusterScoped webhook secret ${name}`);
      const secret = await kube.get<KubeSecret>(secretPath(namespace, name));
      if (!secret) throw new SyncError(`failed to get clustersecretstore webhook secret ${name}: secrets "${name}" not found`);
      const type = secret.metadata.labels?.[WEBHOOK_SECRET_LABEL];
      if (type === undefined)
        throw new SyncError(`secret does not contain needed label '${WEBHOOK_SECRET_LABEL}: webhook'. Update secret label to use it with webhook`);
      if (type !== 'webhook') throw new SyncError("secret type is not 'webhook'");
      out[ref.name] = {
        ...out[ref.name],
        ...Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString('utf8')])),
      };
    }
    return out;
  }

  async function call(
    provider: WebhookProvider,
    ref: RemoteRef,
    namespace: string,
  ): Promise<{ body: string; secrets: Record<string, Record<string, string>> }> {
    for (const [field, value] of [
      ['decodingStrategy', ref.decodingStrategy],
      ['conversionStrategy', ref.conversionStrategy],
      ['metadataPolicy', ref.metadataPolicy],
    ] as const) {
      if (value && !['None', 'Default'].includes(value)) throw new SyncError(`${field} ${value} is not served by the real-cluster stand-in`);
    }
    const secrets = await storeSecrets(provider);
    const request = webhookRequest(provider, ref, namespace, secrets);
    let response: Response;
    try {
      response = await fetchImpl(request.url, {
        method: request.method,
        headers: request.headers,
        ...(request.body && !['GET', 'HEAD'].includes(request.method.toUpperCase()) ? { body: request.body } : {}),
        signal: AbortSignal.timeout(request.timeoutMs ?? DEFAULT_CALL_TIMEOUT_MS),
        redirect: 'follow',
      });
    } catch (error) {
      throw new SyncError(`failed to call endpoint: ${message(error)}`);
    }
    const body = await response.text();
    if (response.status === 404) throw new NoSecretError();
    if (response.status < 200 || response.status >= 300) throw new SyncError(`endpoint gave error ${response.status} ${response.statusText}`.trim());
    return { body, secrets };
  }

  /** GetProviderSecretData: dataFrom first, then data; a 404 is skipped unless deletionPolicy is Retain. */
  async function providerData(es: ExternalSecret, provider: WebhookProvider): Promise<Record<string, string>> {
    const retain = (es.spec.target?.deletionPolicy ?? 'Retain') === 'Retain';
    const out: Record<string, string> = {};
    const namespace = es.metadata.namespace;
    for (const [i, from] of (es.spec.dataFrom ?? []).entries()) {
      if (!from.extract) throw new SyncError(`spec.dataFrom[${i}]: only extract is served by the real-cluster stand-in (not find or sourceRef)`);
      if (from.rewrite?.length) throw new SyncError(`spec.dataFrom[${i}].rewrite is not served by the real-cluster stand-in`);
      try {
        const { body, secrets } = await call(provider, from.extract, namespace);
        Object.assign(out, secretMapFromResponse(body, resultJsonPath(provider, from.extract, namespace, secrets)));
      } catch (error) {
        if (error instanceof NoSecretError && !retain) continue;
        throw error;
      }
    }
    for (const [i, item] of (es.spec.data ?? []).entries()) {
      if (item.sourceRef) throw new SyncError(`spec.data[${i}].sourceRef is not served by the real-cluster stand-in`);
      try {
        const { body, secrets } = await call(provider, item.remoteRef, namespace);
        out[item.secretKey] = secretValueFromResponse(body, resultJsonPath(provider, item.remoteRef, namespace, secrets));
      } catch (error) {
        if (error instanceof NoSecretError && !retain) continue;
        throw new SyncError(`error processing spec.data[${i}] (key: ${item.remoteRef.key}), err: ${message(error)}`);
      }
    }
    return out;
  }

  async function writeStatus(es: ExternalSecret, ready: Omit<Condition, 'type' | 'lastTransitionTime'>, synced: boolean): Promise<void> {
    const at = kubeTime(now());
    const conditions = withReadyCondition(es.status?.conditions, ready, at);
    await kube.mergePatch(esStatusPath(es), {
      status: { conditions, ...(synced ? { refreshTime: at, syncedResourceVersion: resourceVersionOf(es), binding: { name: targetName(es) } } : {}) },
    });
  }

  /** The sync of one ExternalSecret; the failed step's message is ESO's own. */
  async function sync(es: ExternalSecret, stores: Map<string, ClusterSecretStore>, existing: KubeSecret | undefined): Promise<void> {
    const ref = es.spec.secretStoreRef;
    const kind = ref?.kind ?? 'SecretStore';
    let step = 'could not get secret data from provider';
    try {
      if (!ref) throw new SyncError('spec.secretStoreRef is missing (generators are not served by the real-cluster stand-in)');
      if (kind !== 'ClusterSecretStore') throw new SyncError(`${kind} "${ref.name}": the real-cluster stand-in serves ClusterSecretStores only`);
      const store = stores.get(ref.name);
      if (!store) throw new SyncError(`could not get ClusterSecretStore "${ref.name}": clustersecretstores.external-secrets.io "${ref.name}" not found`);
      const provider = store.spec?.provider?.webhook;
      if (!provider) throw new SyncError(`ClusterSecretStore "${ref.name}" has no webhook provider, the only one the real-cluster stand-in serves`);
      const data = await providerData(es, provider);
      const policy = creationPolicy(es);
      const deletion = es.spec.target?.deletionPolicy ?? 'Retain';
      if (Object.keys(data).length === 0 && deletion === 'Retain')
        return await writeStatus(es, { status: 'True', reason: 'SecretSynced', message: 'secret retained due to DeletionPolicy=Retain' }, true);
      if (Object.keys(data).length === 0 && deletion === 'Delete') {
        step = 'could not delete secret';
        if (policy !== 'Owner') throw new SyncError(`unable to delete secret ${targetName(es)}: creationPolicy=${policy} is not Owner`);
        if (existing) await kube.request('DELETE', secretPath(es.metadata.namespace, targetName(es)));
        return await writeStatus(es, { status: 'True', reason: 'SecretDeleted', message: 'secret deleted due to DeletionPolicy' }, true);
      }
      if (policy === 'None') return await writeStatus(es, { status: 'True', reason: 'SecretSynced', message: 'secret synced' }, true);
      if (policy === 'Merge' && !existing)
        return await writeStatus(es, { status: 'True', reason: 'SecretMissing', message: 'secret will not be created due to CreationPolicy=Merge' }, true);
      step = 'could not update secret';
      if (existing) {
        const other = ownedByAnother(es, existing);
        if (other) {
          step = 'target is owned by another ExternalSecret';
          throw new SyncError(other);
        }
        if (existing.immutable) {
          step = 'could not update secret, target is immutable';
          throw new SyncError(`Secret ${targetName(es)} is immutable`);
        }
      }
      const desired = desiredSecret(es, data, existing);
      if (!existing) await kube.request('POST', secretPath(es.metadata.namespace), desired);
      else if (!sameSecret(existing, desired)) await kube.request('PUT', secretPath(es.metadata.namespace, targetName(es)), desired);
      await writeStatus(es, { status: 'True', reason: 'SecretSynced', message: 'secret synced' }, true);
      failedAt.delete(es.metadata.uid);
    } catch (error) {
      failedAt.set(es.metadata.uid, now());
      await writeStatus(es, { status: 'False', reason: 'SecretSyncedError', message: `${step}: ${message(error)}` }, false);
    }
  }

  /** ESO's shouldRefresh, plus a changed or missing target Secret (its isSecretValid). */
  function due(es: ExternalSecret, existing: KubeSecret | undefined): boolean {
    if (es.metadata.deletionTimestamp) return false;
    const ready = es.status?.conditions?.find((c) => c.type === 'Ready');
    const failed = failedAt.get(es.metadata.uid);
    if (ready?.status === 'False') return failed === undefined || now() - failed >= retryMs;
    if (!es.status?.refreshTime || es.status.syncedResourceVersion !== resourceVersionOf(es)) return true;
    const policy = creationPolicy(es);
    if ((policy === 'Owner' || policy === 'Orphan') && (es.spec.target?.deletionPolicy ?? 'Retain') !== 'Delete') {
      if (
        !existing ||
        existing.metadata.labels?.[LABEL_MANAGED] !== 'true' ||
        existing.metadata.annotations?.[ANNOTATION_DATA_HASH] !== dataHash(existing.data)
      )
        return true;
    }
    let interval: number;
    try {
      interval = goDurationMs(es.spec.refreshInterval ?? DEFAULT_REFRESH);
    } catch {
      return false;
    }
    return interval > 0 && Date.parse(es.status.refreshTime) + interval <= now();
  }

  async function pass(): Promise<void> {
    const stores = (await kube.get<List<ClusterSecretStore>>(`${API}/clustersecretstores`))?.items ?? [];
    const errors: unknown[] = [];
    for (const store of stores) await reconcileStore(store).catch((error: unknown) => errors.push(error));
    const secrets = await kube.get<List<ExternalSecret>>(`${API}/externalsecrets`);
    const items = secrets?.items ?? [];
    if (items.length > 0) {
      const byName = new Map(stores.map((s) => [s.metadata.name, s]));
      const managed = (await kube.get<List<KubeSecret>>(`/api/v1/secrets?labelSelector=${encodeURIComponent(`${LABEL_MANAGED}=true`)}`))?.items ?? [];
      const secretByKey = new Map(managed.map((s) => [`${s.metadata.namespace}/${s.metadata.name}`, s]));
      for (const es of items) {
        let existing = secretByKey.get(`${es.metadata.namespace}/${targetName(es)}`);
        try {
          if (!due(es, existing)) continue;
          // Unmanaged Secrets are not in the list: read the target itself before writing it.
          existing ??= await kube.get<KubeSecret>(secretPath(es.metadata.namespace, targetName(es)));
          await sync(es, byName, existing);
        } catch (error) {
          errors.push(error);
        }
      }
    }
    for (const seen of failedAt.keys()) if (!items.some((es) => es.metadata.uid === seen)) failedAt.delete(seen);
    if (errors.length > 0) throw errors[0];
  }

  const tick = () => {
    if (stopped) return;
    running = pass()
      .catch((error: unknown) => options.onError?.(error))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();

  return {
    pass: async () => {
      await running;
      await pass();
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
