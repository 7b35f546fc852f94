import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { cpSync, rmSync as removeFile } from 'node:fs';
import { platformValues } from '../activities/gitops.js';
import { liveUrlOf } from './project-view.js';
import { loadConfig } from '../lib/config.js';
import { helmPath } from '../scripts/lib/tools.js';
import { APP_CONFIG_FILE, CHART_TEMPLATE_DIR, TEMPLATE_FILES, renderAppConfig, renderChartFiles, renderReleaseFiles } from './chart.js';
import { appNames, dnsLabel, releaseName } from './naming.js';
import type { Identity, NamespaceScope } from './naming.js';
import { ChartValuesError, buildValues, parseValues, pullSecretName } from './values.js';
import type { ChartValues } from './values.js';

const identity: Identity = { workspaceId: 'ws1', userId: 'alice', projectName: 'shop' };
const digest = `sha256:${'ab'.repeat(32)}`;
const commitSha = '3f2a9c1e5b7d9f0123456789abcdef0123456789';
const deploymentId = '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d';

function sampleValues(overrides: Partial<Parameters<typeof buildValues>[0]> = {}): ChartValues {
  return buildValues({
    identity,
    namespaceScope: 'user',
    framework: 'nextjs',
    imageRepository: '127.0.0.1:8082/apps/ws1/alice-shop',
    imageTag: '3f2a9c1-1a2b3c4d',
    imageDigest: digest,
    host: 'shop-alice.apps.localhost',
    release: { deploymentId, commitSha, kind: 'deploy' },
    ...overrides,
  });
}

describe('renderChartFiles', () => {
  it('renders Chart.yaml, values.yaml and the five static templates', () => {
    const values = sampleValues();
    const files = renderChartFiles(values);
    expect(Object.keys(files).sort()).toEqual([
      'Chart.yaml',
      'templates/deployment.yaml',
      'templates/hpa.yaml',
      'templates/ingress.yaml',
      'templates/pull-secret.yaml',
      'templates/service.yaml',
      'values.yaml',
    ]);
    for (const template of TEMPLATE_FILES) expect(files[template]).toBe(readFileSync(path.join(CHART_TEMPLATE_DIR, template), 'utf8'));

    const chart = parse(files['Chart.yaml']!) as Record<string, unknown>;
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'ws1-alice-shop', type: 'application', version: '1.1.0', appVersion: '3f2a9c1' });
    expect(files['Chart.yaml']).toContain('appVersion: "3f2a9c1"');

    const back = parse(files['values.yaml']!) as unknown;
    expect(back).toEqual(values);
    expect(parseValues(back)).toEqual(values);
    expect(back).toMatchObject({
      appName: 'ws1-alice-shop',
      namespace: 'user-alice',
      image: { repository: '127.0.0.1:8082/apps/ws1/alice-shop', tag: '3f2a9c1-1a2b3c4d', digest, pullPolicy: 'IfNotPresent' },
      ingress: { enabled: true, className: 'nginx', host: 'shop-alice.apps.localhost', tls: false },
      // The house default: the release's own ExternalSecret from the workspace's robot account.
      pullSecret: { mode: 'external-secret', name: 'alice-shop-pull', store: 'deploy-engine-registry', key: 'ws1', refreshInterval: '1h' },
      release: { deploymentId, commitSha, kind: 'deploy' },
    });
  });

  it('is deterministic: the same values give the same bytes', () => {
    expect(renderChartFiles(sampleValues())).toEqual(renderChartFiles(sampleValues()));
  });

  it('quotes strings a YAML 1.1 parser (Helm) would read as booleans or numbers', () => {
    const values = {
      ...sampleValues(),
      framework: 'on',
      release: { deploymentId, commitSha: '1234567000000000000000000000000000000000', kind: 'deploy' as const },
    };
    const files = renderChartFiles(values);
    const yaml11 = parse(files['values.yaml']!, { schema: 'yaml-1.1' }) as ChartValues;
    expect(yaml11.framework).toBe('on');
    const chart = parse(files['Chart.yaml']!, { schema: 'yaml-1.1' }) as { appVersion: unknown };
    expect(chart.appVersion).toBe('1234567');
  });

  it.each([
    ['a digest that is not sha256', { image: { ...sampleValues().image, digest: 'md5:abc' } }],
    ['an upper-case app name', { appName: 'WS1-alice-shop' }],
    ['a host with a slash', { ingress: { ...sampleValues().ingress, host: 'shop.example.com/evil' } }],
    ['a YAML-breaking tag', { image: { ...sampleValues().image, tag: 'x\nkind: Secret' } }],
    ['min > max replicas', { autoscaling: { enabled: true, minReplicas: 5, maxReplicas: 2, targetCPUUtilizationPercentage: 80 } }],
    ['an unknown key', { extra: true }],
    ['a short commit SHA', { release: { deploymentId, commitSha: '3f2a9c1', kind: 'deploy' } }],
    ['a credential in the pull secret values', { pullSecret: { ...sampleValues().pullSecret, password: 'hunter2' } }],
    ['an unknown pull secret mode', { pullSecret: { mode: 'inline', name: 'x' } }],
    [
      'an ExternalSecret without its workspace key',
      { pullSecret: { mode: 'external-secret', name: 'alice-shop-pull', store: 'deploy-engine-registry', refreshInterval: '1h' } },
    ],
    ['a store name with a slash', { pullSecret: { ...sampleValues().pullSecret, store: 'a/b' } }],
    ['the pull secret listed twice', { imagePullSecrets: ['alice-shop-pull'] }],
    ['a cluster issuer without tls', { ingress: { ...sampleValues().ingress, tls: false, clusterIssuer: 'letsencrypt' } }],
  ])('refuses values with %s (ChartValuesError, terminal)', (_what, patch) => {
    const bad = { ...sampleValues(), ...patch } as unknown as ChartValues;
    expect(() => renderChartFiles(bad)).toThrow(ChartValuesError);
    expect(new ChartValuesError('x').transient).toBe(false);
  });
});

describe('renderReleaseFiles', () => {
  it('adds app.json with the names the ApplicationSet needs, at the project path', () => {
    const { path: dir, files } = renderReleaseFiles(identity, sampleValues(), 'user');
    expect(dir).toBe('apps/ws1/alice/shop');
    expect(Object.keys(files)).toHaveLength(8);
    expect(JSON.parse(files[APP_CONFIG_FILE]!)).toEqual({
      appName: 'ws1-alice-shop',
      releaseName: 'alice-shop',
      namespace: 'user-alice',
      workspaceId: 'ws1',
      userId: 'alice',
      projectName: 'shop',
    });
    expect(JSON.parse(renderAppConfig(identity, 'user'))).not.toHaveProperty('path');
  });

  it('refuses values that belong to another project', () => {
    expect(() => renderReleaseFiles({ ...identity, userId: 'bob' }, sampleValues(), 'user')).toThrow(ChartValuesError);
    // Values for the shared namespace do not go out under the workspace-scoped one.
    expect(() => renderReleaseFiles(identity, sampleValues(), 'workspace')).toThrow(/not ws1-alice-shop in w3-ws1-alice/);
  });
});

describe('pullSecretName', () => {
  it('is a DNS label unique per release, also for the longest release names', () => {
    expect(pullSecretName(releaseName('alice', 'shop'))).toBe('alice-shop-pull');
    // Two names that share the first 44 characters: the release names' hash cut keeps them apart.
    const long = [releaseName('u'.repeat(63), `${'p'.repeat(62)}a`), releaseName('u'.repeat(63), `${'p'.repeat(62)}b`)].map(pullSecretName);
    for (const name of long) expect(dnsLabel.parse(name)).toHaveLength(58);
    expect(new Set(long).size).toBe(2);
  });
});

const helm = helmPath();

interface Meta {
  name: string;
  namespace?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface Container {
  image: string;
  ports: { name: string; containerPort: number; protocol: string }[];
  readinessProbe: { tcpSocket: { port: string } };
}
/** The parts of `helm template` output the tests look at. */
interface Rendered {
  Deployment?: {
    metadata: Meta;
    spec: {
      replicas?: number;
      selector: { matchLabels: Record<string, string> };
      template: { metadata: Meta; spec: { containers: Container[]; imagePullSecrets?: { name: string }[] } };
    };
  };
  Service?: { metadata: Meta };
  Ingress?: {
    metadata: Meta;
    spec: {
      ingressClassName: string;
      rules: { host: string; http: { paths: { backend: { service: { name: string } } }[] } }[];
      tls?: { hosts: string[]; secretName: string }[];
    };
  };
  ExternalSecret?: {
    apiVersion: string;
    metadata: Meta;
    spec: {
      refreshInterval: string;
      secretStoreRef: { kind: string; name: string };
      target: { name: string; creationPolicy: string; template: { engineVersion: string; type: string; data: Record<string, string> } };
      dataFrom: { extract: { key: string } }[];
    };
  };
  HorizontalPodAutoscaler?: { metadata: Meta; spec: Record<string, unknown> };
}

describe.skipIf(!helm)(
  `helm lint and helm template of a written chart${helm ? '' : ' (SKIPPED: no helm binary; run `npm run setup` or set HELM_PATH)'}`,
  () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'gitops-chart-'));
    afterAll(() => rmSync(base, { recursive: true, force: true }));
    let counter = 0;

    function writeChart(id: Identity, values: ChartValues, scope: NamespaceScope): string {
      const { path: dir, files } = renderReleaseFiles(id, values, scope);
      const root = path.join(base, String(counter++));
      for (const [name, content] of Object.entries(files)) {
        const abs = path.join(root, dir, name);
        mkdirSync(path.dirname(abs), { recursive: true });
        writeFileSync(abs, content);
      }
      return path.join(root, dir);
    }

    /** `helm lint` and `helm template` of a written chart, as Argo CD runs it: `--namespace` is the Application's destination. */
    function helmTemplate(id: Identity, dir: string, scope: NamespaceScope, destination: string): string {
      execFileSync(helm!, ['lint', '--strict', dir, '--namespace', destination], { encoding: 'utf8' });
      return execFileSync(helm!, ['template', appNames(id, scope).releaseName, dir, '--namespace', destination], { encoding: 'utf8' });
    }

    function byKind(out: string): Rendered {
      const docs = parseAllDocuments(out).map((d) => d.toJS() as { kind: string } | null);
      return Object.fromEntries(docs.filter((d) => d !== null).map((d) => [d.kind, d]));
    }

    function template(id: Identity, values: ChartValues, scope: NamespaceScope = 'user', destination = appNames(id, scope).namespace) {
      return byKind(helmTemplate(id, writeChart(id, values, scope), scope, destination));
    }

    it('lints and renders a Deployment pinned to the image digest', () => {
      const rendered = template(identity, sampleValues());
      expect(Object.keys(rendered).sort()).toEqual(['Deployment', 'ExternalSecret', 'Ingress', 'Service']);
      const deployment = rendered.Deployment!;
      expect(deployment.metadata.name).toBe('alice-shop');
      const pod = deployment.spec.template;
      const container = pod.spec.containers[0]!;
      expect(container.image).toBe(`127.0.0.1:8082/apps/ws1/alice-shop@${digest}`);
      expect(container.ports[0]).toEqual({ name: 'http', containerPort: 3000, protocol: 'TCP' });
      expect(container.readinessProbe.tcpSocket.port).toBe('http');
      expect(pod.metadata.annotations?.['deploy.engine/deployment-id']).toBe(deploymentId);
      expect(pod.metadata.labels).toMatchObject({ 'app.kubernetes.io/name': 'ws1-alice-shop', 'app.kubernetes.io/instance': 'alice-shop' });
      expect(deployment.spec.selector.matchLabels).toEqual({ 'app.kubernetes.io/name': 'ws1-alice-shop', 'app.kubernetes.io/instance': 'alice-shop' });
      expect(deployment.spec.replicas).toBe(1);
      expect(rendered.Ingress!.spec.rules[0]!.host).toBe('shop-alice.apps.localhost');
      expect(rendered.Ingress!.spec.rules[0]!.http.paths[0]!.backend.service.name).toBe(rendered.Service!.metadata.name);
    });

    it('uses repository:tag without a digest, adds the HPA and drops the Ingress when asked', () => {
      const values = sampleValues({ imageDigest: undefined, tls: true });
      const withHpa = { ...values, autoscaling: { ...values.autoscaling, enabled: true }, ingress: { ...values.ingress, enabled: false } };
      const rendered = template(identity, withHpa);
      expect(Object.keys(rendered).sort()).toEqual(['Deployment', 'ExternalSecret', 'HorizontalPodAutoscaler', 'Service']);
      expect(rendered.Deployment!.spec.template.spec.containers[0]!.image).toBe('127.0.0.1:8082/apps/ws1/alice-shop:3f2a9c1-1a2b3c4d');
      expect(rendered.Deployment!.spec.replicas).toBeUndefined();
      expect(rendered.HorizontalPodAutoscaler!.spec).toMatchObject({
        minReplicas: 1,
        maxReplicas: 3,
        scaleTargetRef: { kind: 'Deployment', name: 'alice-shop' },
      });
    });

    it('puts every resource in the namespace of NAMESPACE_SCOPE, whatever namespace helm is given', () => {
      const scoped = template(identity, sampleValues({ namespaceScope: 'workspace' }), 'workspace');
      expect(Object.keys(scoped).sort()).toEqual(['Deployment', 'ExternalSecret', 'Ingress', 'Service']);
      for (const doc of Object.values(scoped)) expect(doc.metadata.namespace).toBe('w3-ws1-alice');
      // The namespace comes from the values the engine wrote, not from the destination alone.
      const elsewhere = template(identity, sampleValues({ namespaceScope: 'workspace' }), 'workspace', 'default');
      for (const doc of Object.values(elsewhere)) expect(doc.metadata.namespace).toBe('w3-ws1-alice');
      const shared = template(identity, sampleValues());
      for (const doc of Object.values(shared)) expect(doc.metadata.namespace).toBe('user-alice');
    });

    it('gives the Service a DNS-1035 name when the release name starts with a digit', () => {
      const id: Identity = { workspaceId: 'ws1', userId: '42', projectName: 'shop' };
      const values = sampleValues({ identity: id, host: 'shop-42.apps.localhost', tls: true });
      const rendered = template(id, values);
      expect(rendered.Service!.metadata.name).toBe('svc-42-shop');
      expect(rendered.Ingress!.spec.rules[0]!.http.paths[0]!.backend.service.name).toBe('svc-42-shop');
      expect(rendered.Ingress!.spec.tls?.[0]).toEqual({ hosts: ['shop-42.apps.localhost'], secretName: '42-shop-tls' });
    });
    /** The ESO template that turns the store's {registry, username, password} into a .dockerconfigjson, exactly as ESO must receive it. */
    const ESO_TEMPLATE =
      '{{ dict "auths" (dict .registry (dict "username" .username "password" .password "auth" (printf "%s:%s" .username .password | b64enc))) | toJson }}';

    it('references a pull secret of its own by default, delivered by an ExternalSecret from the workspace key, with no credential anywhere', () => {
      const values = sampleValues();
      const dir = writeChart(identity, values, 'user');
      const out = helmTemplate(identity, dir, 'user', 'user-alice');
      const rendered = byKind(out);
      const external = rendered.ExternalSecret!;
      expect(external.apiVersion).toBe('external-secrets.io/v1');
      expect(external.metadata).toMatchObject({ name: 'alice-shop-pull', namespace: 'user-alice', annotations: { 'argocd.argoproj.io/sync-wave': '-1' } });
      expect(external.spec).toEqual({
        refreshInterval: '1h',
        secretStoreRef: { kind: 'ClusterSecretStore', name: 'deploy-engine-registry' },
        target: {
          name: 'alice-shop-pull',
          creationPolicy: 'Owner',
          template: { engineVersion: 'v2', type: 'kubernetes.io/dockerconfigjson', data: { '.dockerconfigjson': ESO_TEMPLATE } },
        },
        dataFrom: [{ extract: { key: 'ws1' } }],
      });
      // The pod pulls with exactly the Secret the ExternalSecret writes.
      expect(rendered.Deployment!.spec.template.spec.imagePullSecrets).toEqual([{ name: external.spec.target.name }]);

      // Nothing secret in Git or in what Argo CD applies: no Secret object, no credential-looking
      // string (the engine's Harbor password, a robot name, a base64 or random-looking token).
      const values_yaml = readFileSync(path.join(dir, 'values.yaml'), 'utf8');
      expect(Object.keys(rendered)).not.toContain('Secret');
      const strings: string[] = [];
      const collect = (node: unknown): void => {
        if (typeof node === 'string') strings.push(node);
        else if (node && typeof node === 'object') {
          for (const [key, child] of Object.entries(node)) {
            strings.push(key);
            collect(child);
          }
        }
      };
      for (const doc of parseAllDocuments(out)) collect(doc.toJS());
      collect(parse(values_yaml));
      expect(strings).toContain(ESO_TEMPLATE);
      expect(strings).toContain('alice-shop-pull');
      const config = loadConfig({ DATABASE_URL: 'postgresql://u@127.0.0.1:5432/db' });
      const tokenLike = /(?=[A-Za-z0-9+/]*[A-Z])(?=[A-Za-z0-9+/]*[a-z])(?=[A-Za-z0-9+/]*[0-9])[A-Za-z0-9+/]{20,}={0,2}/;
      for (const text of strings) {
        expect(text).not.toContain(config.HARBOR_PASSWORD);
        expect(text).not.toMatch(/robot\$/);
        expect(text).not.toMatch(tokenLike);
        expect(text).not.toMatch(/"(username|password|auth)"\s*:\s*"/);
      }
    });

    it("uses the platform's own Secret with PULL_SECRET_MODE=existing, and none at all with none", () => {
      const existing = template(identity, sampleValues({ pullSecret: { mode: 'existing', name: 'harbor-pull' }, imagePullSecrets: ['extra-pull'] }));
      expect(Object.keys(existing).sort()).toEqual(['Deployment', 'Ingress', 'Service']);
      expect(existing.Deployment!.spec.template.spec.imagePullSecrets).toEqual([{ name: 'harbor-pull' }, { name: 'extra-pull' }]);
      const none = template(identity, sampleValues({ pullSecret: { mode: 'none' } }));
      expect(Object.keys(none).sort()).toEqual(['Deployment', 'Ingress', 'Service']);
      expect(none.Deployment!.spec.template.spec.imagePullSecrets).toBeUndefined();
    });

    const env = (extra: Record<string, string> = {}) => loadConfig({ DATABASE_URL: 'postgresql://u@127.0.0.1:5432/db', ...extra });
    /** The values commitRelease writes for this project under this configuration. */
    const configured = (config: ReturnType<typeof env>, host = 'shop-alice.apps.localhost') => sampleValues({ host, ...platformValues(config) });

    it.each([
      ['the platform host', 'shop-alice.apps.example.com', undefined],
      ['a custom domain', 'shop.example.com', 'shop.example.com'],
    ])('serves %s over TLS from cert-manager when APPS_URL_SCHEME=https, the scheme of the live URL', (_what, host, customDomain) => {
      const config = env({ APPS_DOMAIN: 'apps.example.com', INGRESS_CLASS_NAME: 'public-nginx', CERT_MANAGER_CLUSTER_ISSUER: 'letsencrypt-prod' });
      expect(config.APPS_URL_SCHEME).toBe('https');
      const project = { workspaceId: 'ws1', userId: 'alice', name: 'shop', customDomain: customDomain ?? null };
      expect(liveUrlOf(project, config)).toBe(`https://${host}`);
      const ingress = template(identity, configured(config, host)).Ingress!;
      expect(ingress.spec.ingressClassName).toBe('public-nginx');
      expect(ingress.metadata.annotations).toEqual({ 'cert-manager.io/cluster-issuer': 'letsencrypt-prod' });
      expect(ingress.spec.rules.map((r) => r.host)).toEqual([host]);
      // One entry per host the Ingress serves, each with its own secret.
      expect(ingress.spec.tls).toEqual([{ hosts: [host], secretName: 'alice-shop-tls' }]);
    });

    it('has no tls block and no issuer with APPS_URL_SCHEME=http, and no issuer with CERT_MANAGER_CLUSTER_ISSUER=none', () => {
      const http = env({ APPS_URL_SCHEME: 'http' });
      expect(liveUrlOf({ workspaceId: 'ws1', userId: 'alice', name: 'shop', customDomain: null }, http)).toBe('http://shop-alice.apps.localhost');
      const plain = template(identity, configured(http)).Ingress!;
      expect(plain.spec.tls).toBeUndefined();
      expect(plain.metadata.annotations).toBeUndefined();
      expect(plain.spec.ingressClassName).toBe('nginx');

      const ownCertificates = template(identity, configured(env({ CERT_MANAGER_CLUSTER_ISSUER: 'none' }))).Ingress!;
      expect(ownCertificates.spec.tls).toEqual([{ hosts: ['shop-alice.apps.localhost'], secretName: 'alice-shop-tls' }]);
      expect(ownCertificates.metadata.annotations).toBeUndefined();
    });

    it('maps PULL_SECRET_MODE and PULL_SECRET_STORE into the values', () => {
      expect(configured(env()).pullSecret).toEqual({
        mode: 'external-secret',
        name: 'alice-shop-pull',
        store: 'deploy-engine-registry',
        key: 'ws1',
        refreshInterval: '1h',
      });
      expect(configured(env({ PULL_SECRET_STORE: 'harbor-robots' })).pullSecret).toMatchObject({ store: 'harbor-robots' });
      expect(configured(env({ PULL_SECRET_MODE: 'existing' })).pullSecret).toEqual({ mode: 'existing', name: 'harbor-pull' });
      expect(configured(env({ PULL_SECRET_MODE: 'existing', PULL_SECRET_NAME: 'regcred' })).pullSecret).toEqual({ mode: 'existing', name: 'regcred' });
      expect(configured(env({ PULL_SECRET_MODE: 'none' })).pullSecret).toEqual({ mode: 'none' });
    });

    /** values.yaml exactly as the engine wrote it before pullSecret and ingress.clusterIssuer existed (chart 1.0.0). */
    const OLD_VALUES = `# Generated by deploy-engine for one release. Do not edit: the next deploy overwrites it.
appName: ws1-alice-shop
namespace: user-alice
framework: nextjs
replicaCount: 1
image:
  repository: 127.0.0.1:8082/apps/ws1/alice-shop
  tag: 3f2a9c1-1a2b3c4d
  digest: sha256:${'ab'.repeat(32)}
  pullPolicy: IfNotPresent
imagePullSecrets:
  - harbor-pull
app:
  port: 3000
service:
  port: 80
ingress:
  enabled: true
  className: nginx
  host: shop-alice.apps.localhost
  tls: true
autoscaling:
  enabled: false
  minReplicas: 1
  maxReplicas: 3
  targetCPUUtilizationPercentage: 80
resources:
  requests:
    cpu: 50m
    memory: 64Mi
  limits:
    memory: 256Mi
release:
  deploymentId: ${deploymentId}
  commitSha: ${commitSha}
  kind: deploy
`;

    it('still parses and renders a values file written before pullSecret existed: no pull secret of its own, as then', () => {
      const old = parseValues(parse(OLD_VALUES));
      expect(old.pullSecret).toBeUndefined();
      const rendered = template(identity, old);
      expect(Object.keys(rendered).sort()).toEqual(['Deployment', 'Ingress', 'Service']);
      expect(rendered.Deployment!.spec.template.spec.imagePullSecrets).toEqual([{ name: 'harbor-pull' }]);
      expect(rendered.Ingress!.spec.tls).toEqual([{ hosts: ['shop-alice.apps.localhost'], secretName: 'alice-shop-tls' }]);
      expect(rendered.Ingress!.metadata.annotations).toBeUndefined();
      // The same file as it is in Git (not re-serialised), next to the new templates.
      const dir = writeChart(identity, old, 'user');
      writeFileSync(path.join(dir, 'values.yaml'), OLD_VALUES);
      expect(byKind(helmTemplate(identity, dir, 'user', 'user-alice')).Deployment!.spec.template.spec.imagePullSecrets).toEqual([{ name: 'harbor-pull' }]);
    });

    it('refuses a platform chart template without templates/pull-secret.yaml with a terminal ChartValuesError', () => {
      const dir = path.join(base, 'old-template');
      cpSync(CHART_TEMPLATE_DIR, dir, { recursive: true });
      removeFile(path.join(dir, 'templates', 'pull-secret.yaml'));
      expect(() => renderChartFiles(sampleValues(), dir)).toThrow(/has no templates\/pull-secret\.yaml/);
      expect(() => renderChartFiles(sampleValues(), dir)).toThrow(ChartValuesError);
    });
  },
);
