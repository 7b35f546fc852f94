// status.summary.externalURLs: derived from the rendered Ingress rules (and link annotations)
// the way Argo CD v2.14 derives them from the live tree (controller/cache/info.go), so the
// ingress simulator reads the same field from the simulator as from a real Argo CD.
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderReleaseFiles } from '../../gitops/chart.js';
import { buildValues } from '../../gitops/values.js';
import { renderWithoutHelm } from './render.js';

const chart = stringify({ apiVersion: 'v2', name: 'web', version: '0.1.0' });
const values = stringify({ image: { repository: 'registry.example/web', tag: '1' } });

function render(manifest: string) {
  const files = new Map([
    ['Chart.yaml', chart],
    ['values.yaml', values],
    ['templates/all.yaml', manifest],
  ]);
  const result = renderWithoutHelm({ files, releaseName: 'web', namespace: 'ns', valueFiles: ['values.yaml'] });
  if (!result.ok) throw new Error(result.message);
  return result.externalURLs;
}

const ingress = (spec: Record<string, unknown>, annotations?: Record<string, string>, apiVersion = 'networking.k8s.io/v1') =>
  stringify({ apiVersion, kind: 'Ingress', metadata: { name: 'web', ...(annotations ? { annotations } : {}) }, spec });
const rule = (host: string | undefined, ...paths: string[]) => ({
  ...(host === undefined ? {} : { host }),
  http: { paths: paths.map((p) => ({ path: p, pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } })) },
});

describe('status.summary.externalURLs of the Argo CD simulator', () => {
  it('is scheme://host/path per Ingress rule path, http without TLS', () => {
    expect(render(ingress({ rules: [rule('a.example.com', '/'), rule('b.example.com', '/api', '/static/*')] }))).toEqual([
      'http://a.example.com/',
      'http://b.example.com/api',
      'http://b.example.com/static/',
    ]);
  });

  it('is https when a tls entry has a secretName, whatever its hosts say', () => {
    expect(render(ingress({ tls: [{ hosts: ['other.example.com'], secretName: 'x-tls' }], rules: [rule('a.example.com', '/')] }))).toEqual([
      'https://a.example.com/',
    ]);
    // A tls entry without secretName, listing the host in `hosts`: Argo CD v2.14 reads `hosts` as a map and never matches it.
    expect(render(ingress({ tls: [{ hosts: ['a.example.com'] }], rules: [rule('a.example.com', '/')] }))).toEqual(['http://a.example.com/']);
  });

  it('skips rules without a host or without paths, and adds link.argocd.argoproj.io annotations of any resource', () => {
    const service = stringify({
      apiVersion: 'v1',
      kind: 'Service',
      metadata: { name: 'web', annotations: { 'link.argocd.argoproj.io/docs': 'https://docs.example.com/web' } },
    });
    expect(render(`${ingress({ rules: [rule(undefined, '/'), { host: 'nopaths.example.com' }] })}---\n${service}`)).toEqual(['https://docs.example.com/web']);
  });

  it('reads extensions/v1beta1 Ingresses too, and nothing from other kinds', () => {
    expect(render(ingress({ rules: [rule('old.example.com', '/')] }, undefined, 'extensions/v1beta1'))).toEqual(['http://old.example.com/']);
    expect(
      render(stringify({ apiVersion: 'example.com/v1', kind: 'Ingress', metadata: { name: 'x' }, spec: { rules: [rule('x.example.com', '/')] } })),
    ).toEqual([]);
  });

  it("gives the engine's chart its app host, https exactly when the values turn TLS on", () => {
    const identity = { workspaceId: 'ws1', userId: 'alice', projectName: 'shop' };
    const release = renderReleaseFiles(
      identity,
      buildValues({
        identity,
        namespaceScope: 'user',
        framework: 'node',
        imageRepository: '127.0.0.1:8082/apps/ws1/alice-shop',
        imageTag: '3f2a9c1-1a2b3c4d',
        host: 'shop-alice.apps.localhost',
        release: { deploymentId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d', commitSha: '3f2a9c1e5b7d9f0123456789abcdef0123456789', kind: 'deploy' },
      }),
      'user',
    );
    const files = new Map(Object.entries(release.files).filter(([file]) => file !== 'app.json'));
    const result = renderWithoutHelm({ files, releaseName: 'alice-shop', namespace: 'user-alice', valueFiles: ['values.yaml'] });
    if (!result.ok) throw new Error(result.message);
    expect(result.externalURLs).toHaveLength(1);
    expect(result.externalURLs[0]).toMatch(/^https?:\/\/shop-alice\.apps\.localhost\/$/);
  });
});
