// Calls on a running real cluster, made from its connection facts alone, so the process that
// started the cluster (a test run's global set-up) and the ones that use it (test files) share
// nothing but plain data.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { KubeApi } from './kube-api.js';
import { heldIds, withHoldList } from './manifests.js';

export interface RealClusterInfo {
  argocd: { url: string; username: 'admin'; password: string };
  kube: { url: string; token: string; kubeconfig: string; caFile: string; kubectl: string };
  git: { port: number; root: string };
  logDir: string;
}

export interface ClusterHandle {
  info: RealClusterInfo;
  api: KubeApi;
  /** The git:// URL Argo CD reads a bare repository under the git root by. */
  gitUrl: (repoPath: string) => string;
  /** `kubectl apply --server-side` of YAML documents. */
  apply: (yaml: string) => Promise<void>;
  kubectl: (args: string[], input?: string) => Promise<string>;
  /** Keeps the pods of this engine deployment Pending and never Ready (kwok's pod-ready stage). */
  holdUnready: (deploymentId: string) => Promise<void>;
  close: () => void;
}

const POD_READY_STAGE = '/apis/kwok.x-k8s.io/v1alpha1/stages/pod-ready';

export function clusterHandle(info: RealClusterInfo): ClusterHandle {
  const api = new KubeApi({ server: info.kube.url, token: info.kube.token, ca: readFileSync(info.kube.caFile, 'utf8') });
  const kubectl = (args: string[], input?: string) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(info.kube.kubectl, ['--kubeconfig', info.kube.kubeconfig, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d: Buffer) => (out += d.toString()));
      child.stderr.on('data', (d: Buffer) => (err += d.toString()));
      child.once('error', reject);
      child.once('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`kubectl ${args.join(' ')}: ${err.trim() || `exit ${code}`}`))));
      child.stdin.end(input ?? '');
    });
  return {
    info,
    api,
    gitUrl: (repoPath: string) => `git://127.0.0.1:${info.git.port}/${path.relative(info.git.root, path.resolve(repoPath)).split(path.sep).join('/')}`,
    kubectl,
    async apply(yaml: string) {
      await kubectl(['apply', '--server-side', '--force-conflicts', '--field-manager=real-cluster', '-f', '-'], yaml);
    },
    async holdUnready(deploymentId: string) {
      const stage = await api.get<Parameters<typeof withHoldList>[0]>(POD_READY_STAGE);
      if (!stage) throw new Error('kwok pod-ready stage is missing');
      const updated = withHoldList(stage, [...heldIds(stage), deploymentId]);
      await api.mergePatch(POD_READY_STAGE, { spec: { selector: updated.spec.selector } });
    },
    close: () => api.close(),
  };
}
