// The repo-server's manifest generation for one Helm app: `helm template` when a helm binary is
// configured (exactly what Argo CD runs), otherwise a validating render of the chart with the
// yaml library. Failures come back as the message Argo CD puts in its ComparisonError.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments, parse as parseYaml } from 'yaml';
import { collectDefines, renderTemplate, TemplateError } from './go-template.js';
import type { RenderedResource } from './types.js';

export interface RenderInput {
  /** Chart files keyed by their path relative to the chart folder. */
  files: Map<string, string>;
  releaseName: string;
  namespace: string;
  valueFiles: string[];
}

export type RenderResult =
  { ok: true; resources: RenderedResource[]; images: string[]; externalURLs: string[]; manifestHash: string } | { ok: false; message: string };

export interface RendererOptions {
  helmBinary?: string;
  workDir: string;
  timeoutMs?: number;
}

export type Renderer = (input: RenderInput) => Promise<RenderResult>;

/** How Argo CD wraps a manifest generation failure in the ComparisonError condition. */
export function comparisonErrorMessage(detail: string): string {
  return `Failed to load target state: failed to generate manifest for source 1 of 1: rpc error: code = Unknown desc = ${detail}`;
}

export function createRenderer({ helmBinary, workDir, timeoutMs = 30_000 }: RendererOptions): Renderer {
  if (!helmBinary) return async (input) => renderWithoutHelm(input);
  const helmHome = path.join(workDir, 'helm-home');
  const scratch = path.join(workDir, 'render');
  mkdirSync(helmHome, { recursive: true });
  mkdirSync(scratch, { recursive: true });
  return async (input) => {
    const dir = mkdtempSync(path.join(scratch, 'chart-'));
    try {
      for (const [file, content] of input.files) {
        const target = path.join(dir, file);
        if (!target.startsWith(dir + path.sep)) return { ok: false, message: `invalid path in chart: ${file}` };
        mkdirSync(path.dirname(target), { recursive: true });
        writeFileSync(target, content);
      }
      if (!input.files.has('Chart.yaml')) return { ok: false, message: `${dir}: app path does not exist` };
      const args = ['template', '.', '--name-template', input.releaseName, '--namespace', input.namespace];
      for (const valueFile of input.valueFiles) args.push('--values', path.join(dir, valueFile));
      args.push('--include-crds');
      const env = {
        PATH: process.env.PATH ?? '',
        HOME: helmHome,
        HELM_CACHE_HOME: path.join(helmHome, 'cache'),
        HELM_CONFIG_HOME: path.join(helmHome, 'config'),
        HELM_DATA_HOME: path.join(helmHome, 'data'),
      };
      const result = await run(helmBinary, args, { cwd: dir, env, timeoutMs });
      if (result.code !== 0) {
        const stderr = result.stderr.trim().replaceAll(dir, '.');
        return { ok: false, message: `\`helm ${args.join(' ').replaceAll(dir, '<path to cached source>')}\` failed exit status ${result.code}: ${stderr}` };
      }
      return fromManifests(result.stdout, input);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
}

/** Validates Chart.yaml, the value files and the templates, and renders what it understands. */
export function renderWithoutHelm(input: RenderInput): RenderResult {
  const chartText = input.files.get('Chart.yaml');
  if (chartText === undefined) return { ok: false, message: 'app path does not exist' };
  let chart: Record<string, unknown>;
  try {
    chart = asMap(parseYaml(chartText)) ?? {};
  } catch (error) {
    return { ok: false, message: `Error: cannot load Chart.yaml: error converting YAML to JSON: ${errorText(error)}` };
  }
  for (const field of ['apiVersion', 'name', 'version'] as const) {
    if (typeof chart[field] !== 'string' || !chart[field]) return { ok: false, message: `Error: validation: chart.metadata.${field} is required` };
  }
  let values: Record<string, unknown> = {};
  for (const valueFile of input.valueFiles) {
    const text = input.files.get(valueFile);
    if (text === undefined) return { ok: false, message: `Error: open ${valueFile}: no such file or directory` };
    try {
      values = { ...values, ...(asMap(parseYaml(text)) ?? {}) };
    } catch (error) {
      return { ok: false, message: `Error: failed to parse ${valueFile}: error converting YAML to JSON: ${errorText(error)}` };
    }
  }
  const image = asMap(values.image);
  if (typeof image?.repository !== 'string' || !image.repository || (typeof image.tag !== 'string' && typeof image.tag !== 'number')) {
    return { ok: false, message: 'Error: execution error at (templates/deployment.yaml): values image.repository and image.tag are required' };
  }
  const ctx = {
    Values: values,
    Release: { Name: input.releaseName, Namespace: input.namespace, Service: 'Helm' },
    Chart: { Name: String(chart.name), Version: String(chart.version), AppVersion: typeof chart.appVersion === 'string' ? chart.appVersion : undefined },
  };
  const rendered: string[] = [];
  const chartName = String(chart.name);
  const templateFiles = [...input.files.keys()].filter((f) => /^templates\/[^/]+\.(ya?ml|tpl)$/.test(f)).sort();
  let defines: ReturnType<typeof collectDefines>;
  try {
    defines = collectDefines(templateFiles.map((f) => [`${chartName}/${f}`, input.files.get(f) ?? '']));
  } catch (error) {
    if (error instanceof TemplateError) return { ok: false, message: `Error: parse error at (${error.message})` };
    throw error;
  }
  // Helm renders every file of templates/ except partials (`_*`) and NOTES.txt.
  for (const file of templateFiles.filter((f) => !path.posix.basename(f).startsWith('_') && !f.endsWith('.tpl'))) {
    const source = input.files.get(file) ?? '';
    const name = `${chartName}/${file}`;
    let text: string;
    try {
      text = renderTemplate(source, ctx, name, defines);
    } catch (error) {
      if (error instanceof TemplateError)
        return {
          ok: false,
          message: `Error: ${/^execution error/.test(error.message) ? `${error.message} at (${name})` : `parse error at (${error.message})`}`,
        };
      throw error;
    }
    for (const doc of parseAllDocuments(text)) {
      const problem = doc.errors[0];
      if (problem) return { ok: false, message: `Error: YAML parse error on ${name}: error converting YAML to JSON: ${problem.message.split('\n')[0]}` };
    }
    rendered.push(`---\n# Source: ${name}\n${text}`);
  }
  const fallbackImage = typeof image.digest === 'string' && image.digest ? `${image.repository}@${image.digest}` : `${image.repository}:${String(image.tag)}`;
  return fromManifests(rendered.join('\n'), input, fallbackImage);
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'Pod']);

function fromManifests(text: string, input: RenderInput, fallbackImage?: string): RenderResult {
  const resources: RenderedResource[] = [];
  const images = new Set<string>();
  const urls = new Set<string>();
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors[0]) return { ok: false, message: `Error: YAML parse error: ${doc.errors[0].message.split('\n')[0]}` };
    const obj = asMap(doc.toJS());
    if (!obj || typeof obj.kind !== 'string' || typeof obj.apiVersion !== 'string') continue;
    const metadata = asMap(obj.metadata) ?? {};
    const [group, version] = obj.apiVersion.includes('/') ? (obj.apiVersion.split('/', 2) as [string, string]) : ['', obj.apiVersion];
    resources.push({
      group,
      version,
      kind: obj.kind,
      namespace: typeof metadata.namespace === 'string' ? metadata.namespace : input.namespace,
      name: typeof metadata.name === 'string' ? metadata.name : '',
    });
    if (WORKLOADS.has(obj.kind)) for (const image of containerImages(obj)) images.add(image);
    for (const url of externalUrls(obj)) urls.add(url);
  }
  const usable = [...images].filter((i) => !i.includes('sim-unrendered') && i.trim() !== '');
  if (usable.length === 0 && fallbackImage) usable.push(fallbackImage);
  return { ok: true, resources, images: usable.sort(), externalURLs: [...urls].sort(), manifestHash: createHash('sha256').update(text).digest('hex') };
}

/**
 * `status.summary.externalURLs` as Argo CD v2.14 derives them (controller/cache/info.go,
 * populateNodeInfo and populateIngressInfo): every `link.argocd.argoproj.io/*` annotation, and
 * for an Ingress `<scheme>://<rule host><path without a trailing *>` per rule path, https when a
 * `spec.tls` entry has a secretName or `host` equal to the rule's host (its `hosts` list is never
 * matched: the real code reads it as a map). Rules without a host would take the load balancer's
 * address from the live status, which rendered manifests do not have, so they are skipped.
 */
function externalUrls(obj: Record<string, unknown>): string[] {
  const metadata = asMap(obj.metadata) ?? {};
  const urls = Object.entries(asMap(metadata.annotations) ?? {})
    .filter(([key, value]) => key.startsWith('link.argocd.argoproj.io/') && typeof value === 'string')
    .map(([, value]) => value as string);
  const group = typeof obj.apiVersion === 'string' ? obj.apiVersion.split('/')[0] : '';
  if (obj.kind !== 'Ingress' || (group !== 'networking.k8s.io' && group !== 'extensions')) return urls;
  const spec = asMap(obj.spec) ?? {};
  const tls = Array.isArray(spec.tls) ? (spec.tls as unknown[]).map(asMap) : [];
  for (const rule of Array.isArray(spec.rules) ? (spec.rules as unknown[]).map(asMap) : []) {
    const host = rule?.host;
    if (typeof host !== 'string' || host === '') continue;
    const https = tls.some((entry) => entry !== undefined && (entry.secretName != null || entry.host === host));
    const paths = asMap(rule?.http)?.paths;
    for (const p of Array.isArray(paths) ? (paths as unknown[]).map(asMap) : []) {
      if (!p) continue;
      const sub = typeof p.path === 'string' ? p.path.replace(/\*$/, '') : '';
      urls.push(`${https ? 'https' : 'http'}://${host}${sub}`);
    }
  }
  return urls;
}

function containerImages(obj: Record<string, unknown>): string[] {
  const spec = asMap(obj.spec);
  const podSpec = obj.kind === 'Pod' ? spec : asMap(asMap(spec?.template)?.spec);
  const containers = [podSpec?.containers, podSpec?.initContainers].flatMap((list): unknown[] => (Array.isArray(list) ? (list as unknown[]) : []));
  return containers.map((c) => asMap(c)?.image).filter((i): i is string => typeof i === 'string');
}

function asMap(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

function errorText(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';
}

function run(
  cmd: string,
  args: string[],
  opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { cwd: opts.cwd, env: opts.env, timeout: opts.timeoutMs, maxBuffer: 32 * 1024 * 1024 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolve({ code, stdout, stderr: stderr || (error && code !== 0 && !stderr ? error.message : '') });
    });
  });
}
