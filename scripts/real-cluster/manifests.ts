// What the real-cluster mode puts into a fresh API server before Argo CD starts: a kwok node,
// kwok's stages, and Argo CD's own settings (the objects its upstream manifests would create in
// the `argocd` namespace). Pure functions: objects in, YAML documents out.
import { stringify } from 'yaml';

export const ARGOCD_NAMESPACE = 'argocd';
export const KWOK_NODE = 'kwok-node-0';
/** Pods whose `deploy.engine/deployment-id` annotation is listed here never become Ready. */
export const HOLD_ANNOTATION = 'deploy.engine/deployment-id';
const HOLD_PLACEHOLDER = '-';
const partOfArgoCd = { 'app.kubernetes.io/part-of': 'argocd' };

export function toDocuments(objects: unknown[]): string {
  return objects.map((o) => stringify(o)).join('---\n');
}

/** A fake node kwok manages: room for many pods, no taints. */
export function kwokNode(): unknown {
  const resources = { cpu: '64', memory: '256Gi', pods: '1000' };
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: KWOK_NODE,
      annotations: { 'kwok.x-k8s.io/node': 'fake', 'node.alpha.kubernetes.io/ttl': '0' },
      labels: { 'kubernetes.io/hostname': KWOK_NODE, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok' },
    },
    spec: {},
    status: { allocatable: resources, capacity: resources },
  };
}

export interface Stage {
  metadata: { name: string };
  spec: { selector?: { matchExpressions?: Array<{ key: string; operator: string; values?: string[] }> } };
}

/**
 * kwok's pod-ready stage with one more condition: the pod's deployment id is not on the hold
 * list. A held release's pods stay Pending and never Ready, as an app that never answers its
 * readiness probe would, while every other release (its rollback too) becomes Ready.
 */
export function withHoldList(podReady: Stage, held: readonly string[] = []): Stage {
  const expressions = (podReady.spec.selector?.matchExpressions ?? []).filter((e) => !e.key.includes(HOLD_ANNOTATION));
  expressions.push({ key: `.metadata.annotations["${HOLD_ANNOTATION}"]`, operator: 'NotIn', values: [HOLD_PLACEHOLDER, ...held] });
  return { ...podReady, spec: { ...podReady.spec, selector: { ...podReady.spec.selector, matchExpressions: expressions } } };
}

export function heldIds(podReady: Stage): string[] {
  const expression = podReady.spec.selector?.matchExpressions?.find((e) => e.key.includes(HOLD_ANNOTATION));
  return (expression?.values ?? []).filter((v) => v !== HOLD_PLACEHOLDER);
}

export interface ArgoCdSettings {
  /** bcrypt hash of the admin password (`argocd account bcrypt`). */
  adminPasswordHash: string;
  /** Random key Argo CD signs its session tokens with. */
  serverSecretKey: string;
  url: string;
}

/** Namespace, config maps, secret and the default AppProject of an Argo CD installation. */
export function argoCdSettings(settings: ArgoCdSettings): unknown[] {
  const ns = ARGOCD_NAMESPACE;
  const configMap = (name: string, data: Record<string, string> = {}) => ({
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name, namespace: ns, labels: partOfArgoCd },
    data,
  });
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: ns } },
    configMap('argocd-cm', { 'admin.enabled': 'true', url: settings.url }),
    configMap('argocd-rbac-cm', { 'policy.default': '' }),
    configMap('argocd-cmd-params-cm', { 'applicationsetcontroller.enable.new.git.file.globbing': 'true' }),
    configMap('argocd-tls-certs-cm'),
    configMap('argocd-ssh-known-hosts-cm'),
    configMap('argocd-gpg-keys-cm'),
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: 'argocd-secret', namespace: ns, labels: partOfArgoCd },
      type: 'Opaque',
      stringData: {
        'server.secretkey': settings.serverSecretKey,
        'admin.password': settings.adminPasswordHash,
        'admin.passwordMtime': new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
      },
    },
    {
      apiVersion: 'argoproj.io/v1alpha1',
      kind: 'AppProject',
      metadata: { name: 'default', namespace: ns },
      spec: { sourceRepos: ['*'], destinations: [{ server: '*', namespace: '*' }], clusterResourceWhitelist: [{ group: '*', kind: '*' }] },
    },
  ];
}

/**
 * What the platform admin creates once for External Secrets (gitops/bootstrap.ts prints the
 * kubectl lines): the engine's PULL_CREDENTIALS_TOKEN in a Secret the pull-credential store's
 * webhook reads, labelled `external-secrets.io/type: webhook`, without which ESO's webhook
 * provider refuses to read it. Never in Git; the stacks apply it from their configuration.
 */
export function pullTokenObjects(secret: { name: string; namespace: string; key: string }, token: string): unknown[] {
  return [
    { apiVersion: 'v1', kind: 'Namespace', metadata: { name: secret.namespace } },
    {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: { name: secret.name, namespace: secret.namespace, labels: { 'external-secrets.io/type': 'webhook' } },
      type: 'Opaque',
      data: { [secret.key]: Buffer.from(token, 'utf8').toString('base64') },
    },
  ];
}
