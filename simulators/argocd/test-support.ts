// Test fixtures for the Argo CD simulator and its client: a real bare GitOps repository with a
// working clone, the chart the engine writes, a tiny OCI registry with the token flow, and the
// simulator served over real HTTP on a free port.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { serveOnLoopback } from '../common/serve.js';
import { Hono } from 'hono';
import { simpleGit, type SimpleGit } from 'simple-git';
import { stringify } from 'yaml';
import { createArgoCdSimulator, type ArgoCdSimulator, type ArgoCdSimulatorOptions } from './index.js';

export function tempDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `${prefix}-`));
}

export interface GitopsRepo {
  /** Path of the bare repository (what Argo CD is configured with). */
  url: string;
  branch: string;
  /** A working clone the test writes to. */
  work: string;
  git: SimpleGit;
  /** Commits everything in the working clone and pushes; answers the full SHA. */
  commitAndPush(message: string): Promise<string>;
}

export async function createGitopsRepo(root: string, branch = 'main'): Promise<GitopsRepo> {
  const url = path.join(root, 'gitops.git');
  const work = path.join(root, 'gitops-work');
  mkdirSync(work, { recursive: true });
  await simpleGit().raw(['init', '--quiet', '--bare', `--initial-branch=${branch}`, url]);
  const git = simpleGit({ baseDir: work });
  await git.raw(['init', '--quiet', `--initial-branch=${branch}`]);
  await git.addConfig('user.name', 'Deploy Engine Test');
  await git.addConfig('user.email', 'test@example.invalid');
  await git.addConfig('commit.gpgsign', 'false');
  await git.addRemote('origin', url);
  writeFileSync(path.join(work, 'README.md'), '# GitOps\n');
  const repo: GitopsRepo = {
    url,
    branch,
    work,
    git,
    async commitAndPush(message) {
      await git.add(['-A']);
      await git.commit(message, undefined, { '--allow-empty': null });
      await git.push('origin', `HEAD:refs/heads/${branch}`);
      return (await git.revparse(['HEAD'])).trim();
    },
  };
  await repo.commitAndPush('Initial commit');
  return repo;
}

export interface ChartValues {
  workspaceId: string;
  userId: string;
  projectName: string;
  repository: string;
  tag: string;
  digest?: string;
  port?: number;
}

/** Writes `apps/<ws>/<user>/<project>/` the way the engine does (Chart.yaml, values.yaml, templates). */
export function writeChart(work: string, v: ChartValues): string {
  const dir = path.join(work, 'apps', v.workspaceId, v.userId, v.projectName);
  const appName = `${v.workspaceId}-${v.userId}-${v.projectName}`;
  mkdirSync(path.join(dir, 'templates'), { recursive: true });
  writeFileSync(
    path.join(dir, 'Chart.yaml'),
    stringify({
      apiVersion: 'v2',
      name: v.projectName,
      description: `${v.workspaceId}/${v.userId}/${v.projectName}`,
      type: 'application',
      version: '0.1.0',
      appVersion: v.tag,
    }),
  );
  const values = {
    appName,
    namespace: `user-${v.userId}`,
    image: { repository: v.repository, tag: v.tag, ...(v.digest ? { digest: v.digest } : {}) },
    app: { port: v.port ?? 3000 },
    ingress: { enabled: true, host: `${v.projectName}-${v.userId}.apps.localhost` },
    autoscaling: { enabled: false, minReplicas: 1, maxReplicas: 3 },
  };
  writeFileSync(path.join(dir, 'values.yaml'), stringify(values));
  for (const [file, text] of Object.entries(CHART_TEMPLATES)) writeFileSync(path.join(dir, 'templates', file), text);
  return dir;
}

export const CHART_TEMPLATES: Record<string, string> = {
  'deployment.yaml': `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Values.appName }}
  namespace: {{ .Values.namespace }}
  labels:
    app.kubernetes.io/name: {{ .Values.appName }}
    app.kubernetes.io/instance: {{ .Release.Name }}
spec:
  replicas: 1
  selector:
    matchLabels:
      app.kubernetes.io/name: {{ .Values.appName }}
  template:
    metadata:
      labels:
        app.kubernetes.io/name: {{ .Values.appName }}
    spec:
      containers:
        - name: app
          {{- if .Values.image.digest }}
          image: "{{ .Values.image.repository }}@{{ .Values.image.digest }}"
          {{- else }}
          image: "{{ .Values.image.repository }}:{{ .Values.image.tag }}"
          {{- end }}
          ports:
            - containerPort: {{ .Values.app.port }}
`,
  'service.yaml': `apiVersion: v1
kind: Service
metadata:
  name: {{ .Values.appName }}
  namespace: {{ .Values.namespace }}
spec:
  selector:
    app.kubernetes.io/name: {{ .Values.appName }}
  ports:
    - port: 80
      targetPort: {{ .Values.app.port }}
`,
  'ingress.yaml': `{{- if .Values.ingress.enabled }}
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata:
  name: {{ .Values.appName }}
  namespace: {{ .Values.namespace }}
spec:
  rules:
    - host: {{ .Values.ingress.host | quote }}
      http:
        paths:
          - path: /
            pathType: Prefix
            backend:
              service:
                name: {{ .Values.appName }}
                port:
                  number: 80
{{- end }}
`,
  'hpa.yaml': `{{- if .Values.autoscaling.enabled }}
apiVersion: autoscaling/v2
kind: HorizontalPodAutoscaler
metadata:
  name: {{ .Values.appName }}
  namespace: {{ .Values.namespace }}
spec:
  scaleTargetRef:
    apiVersion: apps/v1
    kind: Deployment
    name: {{ .Values.appName }}
  minReplicas: {{ .Values.autoscaling.minReplicas }}
  maxReplicas: {{ .Values.autoscaling.maxReplicas }}
{{- end }}
`,
};

export interface RegistryStub {
  url: string;
  host: string;
  /** Makes `<path>:<tag>` or `<path>@<digest>` exist. */
  push(pathAndRef: string): void;
  requests: { head: number; token: number };
  close(): Promise<void>;
}

/** A minimal OCI registry: HEAD manifests behind the Bearer token flow (Basic credentials at /token). */
export async function startRegistryStub(credentials = { username: 'robot', password: 'secret' }): Promise<RegistryStub> {
  const manifests = new Set<string>();
  const requests = { head: 0, token: 0 };
  const app = new Hono();
  let base = '';
  const basic = `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`;
  app.get('/token', (c) => {
    requests.token += 1;
    if (c.req.header('authorization') !== basic) return c.json({ errors: [{ code: 'UNAUTHORIZED', message: 'bad credentials' }] }, 401);
    return c.json({ token: 'stub-registry-token', expires_in: 300 });
  });
  app.all('/v2/*', (c) => {
    requests.head += 1;
    const match = /^\/v2\/(.+)\/manifests\/([^/]+)$/.exec(c.req.path);
    if (!match) return c.json({ errors: [{ code: 'NAME_UNKNOWN' }] }, 404);
    const [, repoPath = '', ref = ''] = match;
    if (c.req.header('authorization') !== 'Bearer stub-registry-token') {
      c.header('WWW-Authenticate', `Bearer realm="${base}/token",service="stub-registry",scope="repository:${repoPath}:pull"`);
      return c.json({ errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }, 401);
    }
    const key = ref.startsWith('sha256:') ? `${repoPath}@${ref}` : `${repoPath}:${ref}`;
    if (!manifests.has(key)) return c.json({ errors: [{ code: 'MANIFEST_UNKNOWN', message: 'manifest unknown' }] }, 404);
    c.header('Docker-Content-Digest', ref.startsWith('sha256:') ? ref : 'sha256:0000000000000000000000000000000000000000000000000000000000000000');
    return c.body(null, 200);
  });
  const served = await listen(app);
  base = served.url;
  return {
    url: served.url,
    host: served.url.replace(/^http:\/\//, ''),
    push: (ref) => manifests.add(ref),
    requests,
    close: () => served.close(),
  };
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Serves a Hono app on a free loopback port. */
export function listen(app: Hono): Promise<Served> {
  return serveOnLoopback(app.fetch);
}

export interface RunningArgoCd {
  url: string;
  sim: ArgoCdSimulator;
  close(): Promise<void>;
}

export async function startArgoCd(options: ArgoCdSimulatorOptions): Promise<RunningArgoCd> {
  const sim = createArgoCdSimulator(options);
  await sim.start();
  const served = await listen(sim.app);
  return {
    url: served.url,
    sim,
    close: async () => {
      await served.close();
      await sim.close();
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** Polls `probe` until `done` holds for its value (or fails after timeoutMs with the last value). */
export async function waitFor<T>(probe: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 10_000, everyMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: T = await probe();
  while (!done(last)) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms; last value: ${JSON.stringify(last)?.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, everyMs));
    last = await probe();
  }
  return last;
}
