import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { renderTemplate } from './go-template.js';
import { renderWithoutHelm } from './render.js';
import { CHART_TEMPLATES } from './test-support.js';

const values = {
  appName: 'ws1-alice-shop',
  namespace: 'user-alice',
  image: { repository: '127.0.0.1:8082/apps/ws1/alice-shop', tag: '3f2a9c1-1a2b3c4d' },
  app: { port: 3000 },
  ingress: { enabled: false, host: 'shop-alice.apps.localhost' },
  autoscaling: { enabled: false },
};

function chartFiles(overrides: Record<string, string> = {}): Map<string, string> {
  const files = new Map<string, string>([
    ['Chart.yaml', stringify({ apiVersion: 'v2', name: 'shop', version: '0.1.0' })],
    ['values.yaml', stringify(values)],
    ...Object.entries(CHART_TEMPLATES).map(([file, text]) => [`templates/${file}`, text] as [string, string]),
  ]);
  for (const [file, text] of Object.entries(overrides)) files.set(file, text);
  return files;
}

const input = (files: Map<string, string>) => ({ files, releaseName: 'alice-shop', namespace: 'user-alice', valueFiles: ['values.yaml'] });

describe('renderTemplate (Go template subset)', () => {
  const ctx = { Values: values, Release: { Name: 'r', Namespace: 'ns', Service: 'Helm' }, Chart: { Name: 'shop', Version: '0.1.0' } };
  it('substitutes values, honours if/else and trims whitespace', () => {
    const text =
      'a: {{ .Values.appName }}\n{{- if .Values.ingress.enabled }}\nb: yes\n{{- else }}\nb: no\n{{- end }}\nc: {{ .Values.missing | default "x" | quote }}\n';
    expect(renderTemplate(text, ctx)).toBe('a: ws1-alice-shop\nb: no\nc: "x"\n');
  });
  it('rejects unbalanced blocks', () => {
    expect(() => renderTemplate('{{ if .Values.x }}\na: 1\n', ctx)).toThrow(/unclosed/);
    expect(() => renderTemplate('{{ end }}', ctx)).toThrow(/unexpected/);
  });
});

describe('renderWithoutHelm', () => {
  it('renders the engine chart into resources and the image', () => {
    const result = renderWithoutHelm(input(chartFiles()));
    expect(result).toMatchObject({ ok: true, images: ['127.0.0.1:8082/apps/ws1/alice-shop:3f2a9c1-1a2b3c4d'] });
    if (!result.ok) return;
    expect(result.resources).toEqual([
      { group: 'apps', version: 'v1', kind: 'Deployment', namespace: 'user-alice', name: 'ws1-alice-shop' },
      { group: '', version: 'v1', kind: 'Service', namespace: 'user-alice', name: 'ws1-alice-shop' },
    ]);
  });

  it('uses the digest when values carry one', () => {
    const files = chartFiles({ 'values.yaml': stringify({ ...values, image: { ...values.image, digest: `sha256:${'b'.repeat(64)}` } }) });
    expect(renderWithoutHelm(input(files))).toMatchObject({ ok: true, images: [`127.0.0.1:8082/apps/ws1/alice-shop@sha256:${'b'.repeat(64)}`] });
  });

  it.each([
    ['Chart.yaml without a version', { 'Chart.yaml': 'apiVersion: v2\nname: shop\n' }, /chart.metadata.version is required/],
    ['unparseable values.yaml', { 'values.yaml': 'image: [oops\n' }, /failed to parse values.yaml/],
    ['values without image.tag', { 'values.yaml': stringify({ ...values, image: { repository: 'x' } }) }, /image.repository and image.tag are required/],
    [
      'a template that is not YAML',
      { 'templates/service.yaml': 'kind: Service\nmetadata:\n  name: [x\n' },
      /YAML parse error on shop\/templates\/service.yaml/,
    ],
    ['an unclosed block', { 'templates/hpa.yaml': '{{- if .Values.autoscaling.enabled }}\nkind: X\n' }, /parse error/],
  ])('fails on %s', (_label, overrides, message) => {
    const result = renderWithoutHelm(input(chartFiles(overrides)));
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(message);
  });
});
