// The External Secrets stand-in without a cluster: its webhook request, its reading of the
// answer and its Secret (external-secrets-render.ts), and one loop over an in-memory Kubernetes
// API with a local HTTP server in the engine's place.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { KubeApiError } from './kube-api.js';
import {
  ANNOTATION_DATA_HASH,
  LABEL_MANAGED,
  SyncError,
  dataHash,
  desiredSecret,
  goDurationMs,
  jsonPathGet,
  queryEscape,
  resourceVersionOf,
  secretMapFromResponse,
  secretValueFromResponse,
  webhookRequest,
  withReadyCondition,
  type ExternalSecret,
  type KubeSecret,
  type WebhookProvider,
} from './external-secrets-render.js';
import { startExternalSecretsStandIn } from './external-secrets.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const b64 = (s: string) => Buffer.from(s).toString('base64');
const unb64 = (s: string | undefined) => Buffer.from(s ?? '', 'base64').toString('utf8');

/** The ESO template of the chart's pull secret, as Helm passes it through (templates/pull-secret.yaml). */
function chartDockerConfigTemplate(): string {
  const chart = readFileSync(path.join(root, 'gitops', 'chart-template', 'templates', 'pull-secret.yaml'), 'utf8');
  const raw = /\.dockerconfigjson:\s*\{\{\s*`'(.*)'`\s*\}\}/.exec(chart)?.[1];
  if (!raw) throw new Error('templates/pull-secret.yaml has no .dockerconfigjson ESO template');
  return raw;
}

const STORE_PROVIDER: WebhookProvider = {
  url: 'http://127.0.0.1:3000/v1/pull-credentials/{{ .remoteRef.key }}',
  method: 'GET',
  headers: { Authorization: 'Bearer {{ .auth.token }}' },
  result: { jsonPath: '$' },
  secrets: [{ name: 'auth', secretRef: { name: 'deploy-engine-pull-credentials', key: 'token', namespace: 'external-secrets' } }],
};

function externalSecret(overrides: Partial<ExternalSecret['spec']> = {}): ExternalSecret {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: 'alice-shop-pull', namespace: 'user-alice', uid: 'uid-1', generation: 1, labels: { 'app.kubernetes.io/instance': 'alice-shop' } },
    spec: {
      refreshInterval: '1h',
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'deploy-engine-registry' },
      target: {
        name: 'alice-shop-pull',
        creationPolicy: 'Owner',
        template: { engineVersion: 'v2', type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': chartDockerConfigTemplate() } },
      },
      dataFrom: [{ extract: { key: 'dev' } }],
      ...overrides,
    },
  };
}

const credentials = { registry: 'harbor.example.com:8443', username: 'robot$apps+pull-dev', password: 'p&ss<w>rd"\\' };

describe('the webhook request (ESO webhook provider)', () => {
  it('puts the query-escaped key into the URL and the store secret into the header, unescaped', () => {
    const request = webhookRequest(STORE_PROVIDER, { key: 'a b/c' }, 'user-alice', { auth: { token: 't+k/n' } });
    expect(request).toEqual({
      method: 'GET',
      url: 'http://127.0.0.1:3000/v1/pull-credentials/a+b%2Fc',
      headers: { Authorization: 'Bearer t+k/n' },
      body: '',
      timeoutMs: undefined,
    });
  });

  it("escapes like Go's url.QueryEscape and reads Go durations", () => {
    expect(queryEscape("ws-1_a.b~c!'()* ")).toBe('ws-1_a.b~c%21%27%28%29%2A+');
    expect(goDurationMs('1h0m0s')).toBe(3_600_000);
    expect(goDurationMs('1m30s')).toBe(90_000);
    expect(goDurationMs('0')).toBe(0);
    expect(() => goDurationMs('1 hour')).toThrow(SyncError);
  });

  it("prints <no value> for a store secret key that is missing, as Go's default does, and refuses NTLM", () => {
    expect(webhookRequest(STORE_PROVIDER, { key: 'dev' }, 'ns', { auth: {} }).headers.Authorization).toBe('Bearer <no value>');
    expect(() => webhookRequest({ ...STORE_PROVIDER, auth: { ntlm: {} } }, { key: 'dev' }, 'ns', {})).toThrow(/NTLM/);
  });
});

describe('reading the answer', () => {
  it('dataFrom.extract with jsonPath $: every key of the object, non-strings as ESO encodes them', () => {
    expect(secretMapFromResponse(JSON.stringify({ ...credentials, port: 5000, tls: true, none: null, nested: { b: 1, a: '<' } }), '$')).toEqual({
      ...credentials,
      port: '5000',
      tls: 'true',
      none: '',
      nested: '{"a":"\\u003c","b":1}',
    });
    // A JSON object inside a string at the path is parsed again.
    expect(secretMapFromResponse(JSON.stringify({ inner: JSON.stringify({ a: 'b' }) }), '$.inner')).toEqual({ a: 'b' });
    expect(() => secretMapFromResponse('[1]', '$')).toThrow(/wrong type: list/);
    expect(() => secretMapFromResponse('not json', '$')).toThrow(/failed to parse response json/);
  });

  it('spec.data: one value at the path, the whole body without one', () => {
    expect(secretValueFromResponse('{"a":{"b":["x","y"]}}', '$.a.b[1]')).toBe('y');
    expect(secretValueFromResponse('{"a":["x","y"]}', "$['a']")).toBe('x');
    expect(secretValueFromResponse('{"n":4.7}', '$.n')).toBe('5');
    expect(secretValueFromResponse('plain text', '')).toBe('plain text');
  });

  it('refuses JSONPath it does not serve instead of guessing', () => {
    expect(() => jsonPathGet('$..a', {})).toThrow(/only \$, \.key/);
    expect(() => jsonPathGet('$.a', { b: 1 })).toThrow(/unknown key a/);
  });
});

describe('the target Secret', () => {
  it("renders the chart's dockerconfigjson template as Go would: sorted keys, HTML-safe escapes, the auth field", () => {
    const secret = desiredSecret(externalSecret(), credentials);
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    const text = unb64(secret.data?.['.dockerconfigjson']);
    const auth = Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64');
    expect(text).toBe(
      `{"auths":{"harbor.example.com:8443":{"auth":"${auth}","password":"p\\u0026ss\\u003cw\\u003erd\\"\\\\","username":"robot$apps+pull-dev"}}}`,
    );
    expect(JSON.parse(text)).toEqual({ auths: { [credentials.registry]: { username: credentials.username, password: credentials.password, auth } } });
    expect(Object.keys(secret.data ?? {})).toEqual(['.dockerconfigjson']);
  });

  it("is owned by its ExternalSecret (creationPolicy Owner) and carries ESO's label and data hash, not the ExternalSecret's labels", () => {
    const secret = desiredSecret(externalSecret(), credentials);
    expect(secret.metadata.ownerReferences).toEqual([
      { apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'alice-shop-pull', uid: 'uid-1', controller: true, blockOwnerDeletion: true },
    ]);
    expect(secret.metadata.labels?.[LABEL_MANAGED]).toBe('true');
    expect(secret.metadata.labels?.['app.kubernetes.io/instance']).toBeUndefined();
    expect(secret.metadata.annotations?.[ANNOTATION_DATA_HASH]).toBe(dataHash(secret.data));
    // ESO's ObjectHash: MD5 of Go's %+v. The values below are what Go printed for the same input.
    expect(dataHash({ k: b64('AB') })).toBe('e68e1235a04abbb199469571f6a4e375');
    expect(secret.metadata.labels?.['reconcile.external-secrets.io/created-by']).toBe('ce1457c73728a7835c6f83731bfa38a2');
    expect(resourceVersionOf(externalSecret())).toBe('1-2b1e55a5c5025a6cb5dc7bfd2202d6f5');
  });

  it('fails on a key the answer does not have (missingkey=error), and on functions it does not know', () => {
    expect(() => desiredSecret(externalSecret(), { registry: 'r', username: 'u' })).toThrow(
      /unable to execute template at key \.dockerconfigjson: map has no entry for key "password"/,
    );
    const es = externalSecret();
    es.spec.target!.template!.data = { x: '{{ .password | sha1024 }}' };
    expect(() => desiredSecret(es, credentials)).toThrow(/function "sha1024" not defined/);
    es.spec.target!.template!.data = { x: '{{ . }}' };
    expect(() => desiredSecret(es, credentials)).toThrow(/cannot print a map/);
  });

  it("without a template copies the data and the ExternalSecret's labels; creationPolicy Merge keeps the other keys", () => {
    const plain = externalSecret();
    delete plain.spec.target!.template;
    const copied = desiredSecret(plain, { a: '1' });
    expect(copied.type).toBe('Opaque');
    expect(unb64(copied.data?.a)).toBe('1');
    expect(copied.metadata.labels?.['app.kubernetes.io/instance']).toBe('alice-shop');

    plain.spec.target!.creationPolicy = 'Merge';
    const existing: KubeSecret = { metadata: { name: 'alice-shop-pull', namespace: 'user-alice' }, type: 'Opaque', data: { keep: b64('me') } };
    const merged = desiredSecret(plain, { a: '1' }, existing);
    expect(Object.keys(merged.data ?? {}).sort()).toEqual(['a', 'keep']);
    expect(merged.metadata.ownerReferences).toBeUndefined();
  });

  it("keeps the Ready condition's transition time while its status holds", () => {
    const first = withReadyCondition(undefined, { status: 'False', reason: 'SecretSyncedError', message: 'x' }, 't1');
    const same = withReadyCondition(first, { status: 'False', reason: 'SecretSyncedError', message: 'x' }, 't2');
    expect(same).toBe(first);
    const other = withReadyCondition(first, { status: 'False', reason: 'SecretSyncedError', message: 'y' }, 't3');
    expect(other[0]!.lastTransitionTime).toBe('t1');
    expect(withReadyCondition(other, { status: 'True', reason: 'SecretSynced', message: 'secret synced' }, 't4')[0]!.lastTransitionTime).toBe('t4');
  });
});

/** Just enough of the Kubernetes API for the loop: objects by path, lists, status patches, label selectors. */
class FakeKube {
  readonly objects = new Map<string, any>();
  writes: string[] = [];
  private uid = 0;

  put(path: string, object: any): void {
    this.objects.set(path, structuredClone(object));
  }

  async get<T>(path: string): Promise<T | undefined> {
    const [base = '', query] = path.split('?');
    const selector = new URLSearchParams(query ?? '').get('labelSelector');
    const list = this.listOf(base);
    if (list) {
      const items = list.filter(
        (o) =>
          !selector ||
          selector.split(',').every((term) => {
            const [k, v] = term.split('=');
            return o.metadata?.labels?.[k!] === v;
          }),
      );
      return { items: structuredClone(items) } as T;
    }
    return structuredClone(this.objects.get(base)) as T | undefined;
  }

  private listOf(path: string): any[] | undefined {
    const lists: Record<string, RegExp> = {
      '/apis/external-secrets.io/v1/clustersecretstores': /^\/apis\/external-secrets\.io\/v1\/clustersecretstores\/[^/]+$/,
      '/apis/external-secrets.io/v1/externalsecrets': /^\/apis\/external-secrets\.io\/v1\/namespaces\/[^/]+\/externalsecrets\/[^/]+$/,
      '/api/v1/secrets': /^\/api\/v1\/namespaces\/[^/]+\/secrets\/[^/]+$/,
    };
    const pattern = lists[path];
    return pattern ? [...this.objects.entries()].filter(([p]) => pattern.test(p)).map(([, o]) => o) : undefined;
  }

  async request<T>(method: string, path: string, body?: any): Promise<T | undefined> {
    this.writes.push(`${method} ${path}`);
    if (method === 'POST') {
      const full = `${path}/${body.metadata.name}`;
      if (this.objects.has(full)) throw new KubeApiError('exists', 409);
      this.put(full, { ...body, metadata: { ...body.metadata, uid: `u${++this.uid}`, resourceVersion: '1' } });
    } else if (method === 'PUT') {
      if (!this.objects.has(path)) throw new KubeApiError('not found', 404);
      const old = this.objects.get(path);
      if (old.type !== body.type) throw new KubeApiError('field is immutable: type', 422);
      this.put(path, { ...body, metadata: { ...body.metadata, resourceVersion: String(Number(old.metadata.resourceVersion) + 1) } });
    } else if (method === 'DELETE') {
      this.objects.delete(path);
    }
    return {} as T;
  }

  async mergePatch<T>(path: string, patch: any): Promise<T | undefined> {
    this.writes.push(`PATCH ${path}`);
    const target = path.replace(/\/status$/, '');
    const object = this.objects.get(target);
    if (!object) throw new KubeApiError('not found', 404);
    object.status = { ...object.status, ...patch.status };
    return {} as T;
  }
}

describe('the stand-in loop', () => {
  let server: Server;
  let engineUrl: string;
  const token = 'pull-token-0123456789abcdef0123456789abcdef';
  const calls: Array<{ url: string; authorization?: string }> = [];
  let answer: { status: number; body: unknown } = { status: 200, body: credentials };

  beforeAll(async () => {
    server = createServer((req, res) => {
      calls.push({ url: req.url ?? '', authorization: req.headers.authorization });
      const status = req.headers.authorization === `Bearer ${token}` ? answer.status : 401;
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(status === 200 ? answer.body : { error: 'no' }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    engineUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const esPath = '/apis/external-secrets.io/v1/namespaces/user-alice/externalsecrets/alice-shop-pull';
  const storePath = '/apis/external-secrets.io/v1/clustersecretstores/deploy-engine-registry';
  const targetPath = '/api/v1/namespaces/user-alice/secrets/alice-shop-pull';
  const tokenPath = '/api/v1/namespaces/external-secrets/secrets/deploy-engine-pull-credentials';

  function world(tokenLabels: Record<string, string> = { 'external-secrets.io/type': 'webhook' }) {
    const kube = new FakeKube();
    kube.put(storePath, {
      metadata: { name: 'deploy-engine-registry' },
      spec: { provider: { webhook: { ...STORE_PROVIDER, url: `${engineUrl}/v1/pull-credentials/{{ .remoteRef.key }}` } } },
    });
    kube.put(tokenPath, {
      metadata: { name: 'deploy-engine-pull-credentials', namespace: 'external-secrets', labels: tokenLabels },
      type: 'Opaque',
      data: { token: b64(token) },
    });
    kube.put(esPath, externalSecret());
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const standIn = startExternalSecretsStandIn(kube, { intervalMs: 3_600_000, now: () => clock });
    return { kube, standIn, advance: (ms: number) => (clock += ms) };
  }
  const ready = (kube: FakeKube, path: string) =>
    (kube.objects.get(path)?.status?.conditions as Array<{ type: string; status: string; reason: string; message: string }> | undefined)?.find(
      (c) => c.type === 'Ready',
    );

  it('syncs an ExternalSecret into its dockerconfigjson Secret and marks it and its store Ready', async () => {
    const { kube, standIn } = world();
    try {
      await standIn.pass();
      expect(calls.at(-1)).toEqual({ url: '/v1/pull-credentials/dev', authorization: `Bearer ${token}` });
      const secret = kube.objects.get(targetPath) as KubeSecret;
      expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
      expect(JSON.parse(unb64(secret.data?.['.dockerconfigjson'])).auths[credentials.registry].username).toBe(credentials.username);
      expect(ready(kube, esPath)).toMatchObject({ status: 'True', reason: 'SecretSynced', message: 'secret synced' });
      const status = kube.objects.get(esPath).status;
      expect(status.syncedResourceVersion).toBe(resourceVersionOf(externalSecret()));
      expect(status.refreshTime).toBe('2026-01-01T00:00:00Z');
      expect(status.binding).toEqual({ name: 'alice-shop-pull' });
      expect(ready(kube, storePath)).toMatchObject({ status: 'True', reason: 'Valid' });
    } finally {
      await standIn.stop();
    }
  });

  it('calls the engine again only when due: a changed Secret, a changed spec, or the refresh interval', async () => {
    const { kube, standIn, advance } = world();
    try {
      await standIn.pass();
      const before = calls.length;
      await standIn.pass();
      expect(calls.length).toBe(before);

      // Someone edits the Secret: ESO puts it back (its data hash no longer matches).
      kube.objects.get(targetPath).data['.dockerconfigjson'] = b64('{}');
      await standIn.pass();
      expect(calls.length).toBe(before + 1);
      expect(unb64(kube.objects.get(targetPath).data['.dockerconfigjson'])).toContain(credentials.username);

      kube.objects.get(esPath).metadata.generation = 2;
      await standIn.pass();
      expect(calls.length).toBe(before + 2);

      advance(3_600_000);
      await standIn.pass();
      expect(calls.length).toBe(before + 3);
    } finally {
      await standIn.stop();
    }
  });

  it("reports the engine's refusal as Ready=False SecretSyncedError, naming the status, never the values", async () => {
    const { kube, standIn, advance } = world();
    try {
      kube.objects.get(tokenPath).data.token = b64('wrong-token');
      await standIn.pass();
      const condition = ready(kube, esPath);
      expect(condition).toMatchObject({
        status: 'False',
        reason: 'SecretSyncedError',
        message: 'could not get secret data from provider: endpoint gave error 401 Unauthorized',
      });
      expect(condition!.message).not.toContain('wrong-token');
      expect(kube.objects.has(targetPath)).toBe(false);

      // Retried after the delay, not on every pass.
      kube.objects.get(tokenPath).data.token = b64(token);
      await standIn.pass();
      expect(ready(kube, esPath)?.status).toBe('False');
      advance(5_000);
      await standIn.pass();
      expect(ready(kube, esPath)).toMatchObject({ status: 'True', reason: 'SecretSynced' });
    } finally {
      await standIn.stop();
    }
  });

  it('reads only store secrets labelled for the webhook provider, as ESO does', async () => {
    const { kube, standIn } = world({});
    try {
      await standIn.pass();
      expect(ready(kube, esPath)?.message).toContain("needed label 'external-secrets.io/type: webhook'");
    } finally {
      await standIn.stop();
    }
  });

  it('a 404 from the engine (no robot yet) is an error with deletionPolicy Retain; a missing store too', async () => {
    const { kube, standIn, advance } = world();
    try {
      answer = { status: 404, body: {} };
      await standIn.pass();
      expect(ready(kube, esPath)?.message).toBe('could not get secret data from provider: Secret does not exist');
      answer = { status: 200, body: credentials };
      kube.objects.delete(storePath);
      advance(5_000);
      await standIn.pass();
      expect(ready(kube, esPath)?.message).toMatch(/ClusterSecretStore "deploy-engine-registry".*not found/);
    } finally {
      answer = { status: 200, body: credentials };
      await standIn.stop();
    }
  });

  it('marks a store of another provider not Ready, and leaves a Secret of another ExternalSecret alone', async () => {
    const { kube, standIn } = world();
    try {
      kube.put('/apis/external-secrets.io/v1/clustersecretstores/vault', { metadata: { name: 'vault' }, spec: { provider: { vault: {} } } });
      kube.put(targetPath, {
        metadata: {
          name: 'alice-shop-pull',
          namespace: 'user-alice',
          resourceVersion: '1',
          ownerReferences: [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', name: 'other', uid: 'x', controller: true }],
        },
        type: 'kubernetes.io/dockerconfigjson',
        data: {},
      });
      await standIn.pass();
      expect(ready(kube, '/apis/external-secrets.io/v1/clustersecretstores/vault')).toMatchObject({ status: 'False', reason: 'InvalidProviderConfig' });
      expect(ready(kube, esPath)?.message).toBe('target is owned by another ExternalSecret: other');
      expect(kube.writes.filter((w) => w.startsWith('PUT'))).toEqual([]);
    } finally {
      await standIn.stop();
    }
  });
});
