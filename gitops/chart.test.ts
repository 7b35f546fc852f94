import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { helmPath } from '../scripts/lib/tools.js';
import { APP_CONFIG_FILE, CHART_TEMPLATE_DIR, TEMPLATE_FILES, renderAppConfig, renderChartFiles, renderReleaseFiles } from './chart.js';
import { appNames } from './naming.js';
import type { Identity, NamespaceScope } from './naming.js';
import { ChartValuesError, buildValues, parseValues } from './values.js';
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
  it('renders Chart.yaml, values.yaml and the four static templates', () => {
    const values = sampleValues();
    const files = renderChartFiles(values);
    expect(Object.keys(files).sort()).toEqual(['Chart.yaml', 'templates/deployment.yaml', 'templates/hpa.yaml', 'templates/ingress.yaml', 'templates/service.yaml', 'values.yaml']);
    for (const template of TEMPLATE_FILES) expect(files[template]).toBe(readFileSync(path.join(CHART_TEMPLATE_DIR, template), 'utf8'));

    const chart = parse(files['Chart.yaml']!) as Record<string, unknown>;
    expect(chart).toMatchObject({ apiVersion: 'v2', name: 'ws1-alice-shop', type: 'application', version: '1.0.0', appVersion: '3f2a9c1' });
    expect(files['Chart.yaml']).toContain('appVersion: "3f2a9c1"');

    const back = parse(files['values.yaml']!) as unknown;
    expect(back).toEqual(values);
    expect(parseValues(back)).toEqual(values);
    expect(back).toMatchObject({
      appName: 'ws1-alice-shop',
      namespace: 'user-alice',
      image: { repository: '127.0.0.1:8082/apps/ws1/alice-shop', tag: '3f2a9c1-1a2b3c4d', digest, pullPolicy: 'IfNotPresent' },
      ingress: { enabled: true, className: 'nginx', host: 'shop-alice.apps.localhost', tls: false },
      release: { deploymentId, commitSha, kind: 'deploy' },
    });
  });

  it('is deterministic: the same values give the same bytes', () => {
    expect(renderChartFiles(sampleValues())).toEqual(renderChartFiles(sampleValues()));
  });

  it('quotes strings a YAML 1.1 parser (Helm) would read as booleans or numbers', () => {
    const values = { ...sampleValues(), framework: 'on', release: { deploymentId, commitSha: '1234567000000000000000000000000000000000', kind: 'deploy' as const } };
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
    expect(Object.keys(files)).toHaveLength(7);
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
  Deployment?: { metadata: Meta; spec: { replicas?: number; selector: { matchLabels: Record<string, string> }; template: { metadata: Meta; spec: { containers: Container[] } } } };
  Service?: { metadata: Meta };
  Ingress?: { metadata: Meta; spec: { rules: { host: string; http: { paths: { backend: { service: { name: string } } }[] } }[]; tls?: { hosts: string[]; secretName: string }[] } };
  HorizontalPodAutoscaler?: { metadata: Meta; spec: Record<string, unknown> };
}

describe.skipIf(!helm)(`helm lint and helm template of a written chart${helm ? '' : ' (SKIPPED: no helm binary; run `npm run setup` or set HELM_PATH)'}`, () => {
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

  /** `helm template` as Argo CD runs it: `--namespace` is the Application's destination. */
  function template(id: Identity, values: ChartValues, scope: NamespaceScope = 'user', destination = appNames(id, scope).namespace) {
    const dir = writeChart(id, values, scope);
    const names = appNames(id, scope);
    execFileSync(helm!, ['lint', '--strict', dir, '--namespace', destination], { encoding: 'utf8' });
    const out = execFileSync(helm!, ['template', names.releaseName, dir, '--namespace', destination], { encoding: 'utf8' });
    const docs = parseAllDocuments(out).map((d) => d.toJS() as { kind: string } | null);
    return Object.fromEntries(docs.filter((d) => d !== null).map((d) => [d.kind, d])) as Rendered;
  }

  it('lints and renders a Deployment pinned to the image digest', () => {
    const rendered = template(identity, sampleValues());
    expect(Object.keys(rendered).sort()).toEqual(['Deployment', 'Ingress', 'Service']);
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
    expect(Object.keys(rendered).sort()).toEqual(['Deployment', 'HorizontalPodAutoscaler', 'Service']);
    expect(rendered.Deployment!.spec.template.spec.containers[0]!.image).toBe('127.0.0.1:8082/apps/ws1/alice-shop:3f2a9c1-1a2b3c4d');
    expect(rendered.Deployment!.spec.replicas).toBeUndefined();
    expect(rendered.HorizontalPodAutoscaler!.spec).toMatchObject({ minReplicas: 1, maxReplicas: 3, scaleTargetRef: { kind: 'Deployment', name: 'alice-shop' } });
  });

  it('puts every resource in the namespace of NAMESPACE_SCOPE, whatever namespace helm is given', () => {
    const scoped = template(identity, sampleValues({ namespaceScope: 'workspace' }), 'workspace');
    expect(Object.keys(scoped).sort()).toEqual(['Deployment', 'Ingress', 'Service']);
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
});
