// Pull secrets end to end on the real Argo CD: a deploy through the API, then Kubernetes' and
// Harbor's own answers. The release's ExternalSecret (ESO's real CRD) is filled by the
// real-cluster stand-in for External Secrets (scripts/real-cluster/external-secrets.ts), which
// calls the engine's /v1/pull-credentials over the ClusterSecretStore the bootstrap wrote, with
// the token Secret the stack put into the cluster. The credentials in the resulting Secret must
// then be the workspace's robot, and the simulated Harbor must let them pull and not push.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ArgoCdClient } from '../../clients/argocd.js';
import { PULL_CREDENTIAL_STORE_NAME } from '../../gitops/bootstrap.js';
import type { ClusterHandle } from '../../scripts/real-cluster/handle.js';
import type { DeploymentBody, TestStack } from '../support/stack.js';
import { argoClient, deploy, eventually, newProject, realCluster, startRealStack, summary, type ProjectBody } from './support.js';

let cluster: ClusterHandle;
let argo: ArgoCdClient;
let stack: TestStack;
const timings: Record<string, number> = {};

interface Condition {
  type: string;
  status: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}
interface KubeExternalSecret {
  metadata: { name: string; namespace: string; uid: string; creationTimestamp: string };
  spec: { secretStoreRef: { kind: string; name: string }; target: { name: string }; dataFrom: Array<{ extract: { key: string } }> };
  status?: { conditions?: Condition[]; refreshTime?: string; syncedResourceVersion?: string };
}
interface KubeSecret {
  type: string;
  metadata: { ownerReferences?: Array<{ kind: string; name: string; uid: string; controller?: boolean }> };
  data?: Record<string, string>;
}
interface KubeDeployment {
  spec: { template: { spec: { imagePullSecrets?: Array<{ name: string }>; containers: Array<{ image: string }> } } };
}
interface DockerConfig {
  auths: Record<string, { username: string; password: string; auth: string }>;
}

beforeAll(async () => {
  cluster = realCluster();
  argo = argoClient(cluster);
  stack = await startRealStack(cluster);
}, 300_000);
afterAll(async () => {
  await stack?.close();
  cluster?.close();
  const lines = Object.entries(timings).map(([name, seconds]) => `${name} ${seconds.toFixed(1)} s`);
  if (lines.length > 0) process.stderr.write(`[real-argocd pull secrets] ${lines.join('; ')}\n`);
});

const readyOf = (es: KubeExternalSecret | undefined) => es?.status?.conditions?.find((c) => c.type === 'Ready');
const basic = (username: string, password: string) => `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;

describe('pull secrets on the real Argo CD', () => {
  let project: ProjectBody;
  let deployment: DeploymentBody;
  let pullSecretName: string;
  let config: DockerConfig;

  it('deploys: Argo CD applies the ExternalSecret, the stand-in fills it, and the release is Healthy', async () => {
    // The store comes from the bootstrap (app of apps) and is marked Ready by the stand-in.
    const store = await eventually(
      'the ClusterSecretStore from bootstrap/ Ready',
      async () => {
        const found = await cluster.api.get<{ spec: { provider: { webhook: { url: string } } }; status?: { conditions?: Condition[] } }>(
          `/apis/external-secrets.io/v1/clustersecretstores/${PULL_CREDENTIAL_STORE_NAME}`,
        );
        return found?.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ? found : undefined;
      },
      { timeoutMs: 120_000 },
    );
    expect(store.spec.provider.webhook.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1\/pull-credentials\/\{\{ \.remoteRef\.key \}\}$/);

    project = (await newProject(stack, 'puller', 'alice')).project;
    const started = Date.now();
    deployment = await deploy(stack, project.id);
    timings['deploy with a pull secret'] = (Date.now() - started) / 1000;
    expect(deployment.error, JSON.stringify(deployment.error)).toBeNull();
    expect(deployment.status).toBe('succeeded');
    const awaitLive = deployment.steps.find((step) => step.name === 'await_live');
    if (awaitLive?.startedAt && awaitLive.finishedAt) timings['await_live'] = (Date.parse(awaitLive.finishedAt) - Date.parse(awaitLive.startedAt)) / 1000;
  });

  it("Kubernetes holds the ExternalSecret, Ready in ESO's words, and Argo CD judges it Healthy", async () => {
    const workload = await cluster.api.get<KubeDeployment>(`/apis/apps/v1/namespaces/${project.namespace}/deployments/${project.releaseName}`);
    const pullSecrets = workload?.spec.template.spec.imagePullSecrets ?? [];
    expect(pullSecrets).toHaveLength(1);
    pullSecretName = pullSecrets[0]!.name;

    const es = await cluster.api.get<KubeExternalSecret>(`/apis/external-secrets.io/v1/namespaces/${project.namespace}/externalsecrets/${pullSecretName}`);
    expect(es, `ExternalSecret ${project.namespace}/${pullSecretName}`).toBeDefined();
    expect(es!.spec.secretStoreRef).toEqual({ kind: 'ClusterSecretStore', name: PULL_CREDENTIAL_STORE_NAME });
    expect(es!.spec.target.name).toBe(pullSecretName);
    expect(es!.spec.dataFrom).toEqual([{ extract: expect.objectContaining({ key: stack.config.DEV_WORKSPACE_ID }) }]);
    expect(readyOf(es)).toMatchObject({ status: 'True', reason: 'SecretSynced' });
    expect(es!.status?.syncedResourceVersion).toMatch(/^\d+-[0-9a-f]{32}$/);
    // Kubernetes timestamps have whole seconds.
    timings['ExternalSecret created to Ready (1 s steps)'] = (Date.parse(readyOf(es)!.lastTransitionTime!) - Date.parse(es!.metadata.creationTimestamp)) / 1000;

    const app = await argo.getApplication(`${stack.config.DEV_WORKSPACE_ID}-alice-puller`);
    const resource = (app?.status.resources ?? []).find((r) => r.kind === 'ExternalSecret' && r.name === pullSecretName) as
      { health?: { status?: string } } | undefined;
    expect(resource?.health?.status, summary(app)).toBe('Healthy');
  });

  it("its target Secret is a dockerconfigjson owned by the ExternalSecret, for the registry of the image, as the workspace's robot", async () => {
    const es = await cluster.api.get<KubeExternalSecret>(`/apis/external-secrets.io/v1/namespaces/${project.namespace}/externalsecrets/${pullSecretName}`);
    const secret = await cluster.api.get<KubeSecret>(`/api/v1/namespaces/${project.namespace}/secrets/${pullSecretName}`);
    expect(secret?.type).toBe('kubernetes.io/dockerconfigjson');
    expect(secret?.metadata.ownerReferences).toEqual([
      expect.objectContaining({ kind: 'ExternalSecret', name: pullSecretName, uid: es!.metadata.uid, controller: true }),
    ]);
    config = JSON.parse(Buffer.from(secret?.data?.['.dockerconfigjson'] ?? '', 'base64').toString('utf8')) as DockerConfig;

    const workload = await cluster.api.get<KubeDeployment>(`/apis/apps/v1/namespaces/${project.namespace}/deployments/${project.releaseName}`);
    const image = workload!.spec.template.spec.containers[0]!.image;
    const registry = image.split('/')[0]!;
    expect(Object.keys(config.auths)).toEqual([registry]);
    const robot = await stack.db.workspacePullRobot.findUnique({ where: { workspaceId: stack.config.DEV_WORKSPACE_ID } });
    const entry = config.auths[registry]!;
    expect(entry.username).toBe(robot?.robotName);
    expect(entry.username).not.toBe(stack.config.HARBOR_USERNAME);
    expect(Buffer.from(entry.auth, 'base64').toString('utf8')).toBe(`${entry.username}:${entry.password}`);
  });

  it('Harbor lets those credentials pull the deployed image and refuses them a push', async () => {
    const workload = await cluster.api.get<KubeDeployment>(`/apis/apps/v1/namespaces/${project.namespace}/deployments/${project.releaseName}`);
    const image = workload!.spec.template.spec.containers[0]!.image;
    const [registry, ...rest] = image.split('/');
    const [repository, digest] = rest.join('/').split('@');
    expect(digest).toMatch(/^sha256:/);
    const { username, password } = config.auths[registry!]!;
    // The docker token flow against the registry named in the Secret, as a kubelet would.
    const tokenFor = async (actions: string) => {
      const answer = await fetch(
        `http://${registry}/service/token?service=harbor-registry&scope=${encodeURIComponent(`repository:${repository}:${actions}`)}`,
        { headers: { authorization: basic(username, password) } },
      );
      expect(answer.status).toBe(200);
      return ((await answer.json()) as { token: string }).token;
    };
    const pull = await fetch(`http://${registry}/v2/${repository}/manifests/${digest}`, {
      method: 'HEAD',
      headers: {
        authorization: `Bearer ${await tokenFor('pull')}`,
        accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json',
      },
    });
    expect(pull.status).toBe(200);
    expect(pull.headers.get('docker-content-digest')).toBe(digest);

    const push = await fetch(`http://${registry}/v2/${repository}/blobs/uploads/`, {
      method: 'POST',
      headers: { authorization: `Bearer ${await tokenFor('pull,push')}` },
    });
    expect(push.status).toBe(401);
    expect(push.headers.get('www-authenticate')).toContain('insufficient_scope');
    // A wrong password gets nothing at all.
    const refused = await fetch(`http://${registry}/service/token?service=harbor-registry&scope=${encodeURIComponent(`repository:${repository}:pull`)}`, {
      headers: { authorization: basic(username, `${password}x`) },
    });
    expect(refused.status).toBe(401);
  });

  it('a deleted target Secret comes back, and a refused token turns the ExternalSecret and the app Degraded until it is fixed', async () => {
    const esPath = `/apis/external-secrets.io/v1/namespaces/${project.namespace}/externalsecrets/${pullSecretName}`;
    const secretPath = `/api/v1/namespaces/${project.namespace}/secrets/${pullSecretName}`;
    const tokenPath = '/api/v1/namespaces/external-secrets/secrets/deploy-engine-pull-credentials';
    const appName = `${stack.config.DEV_WORKSPACE_ID}-alice-puller`;
    const original = await cluster.api.get<{ data: { token: string } }>(tokenPath);
    expect(original?.data.token).toBeTruthy();

    await cluster.api.request('DELETE', secretPath);
    const started = Date.now();
    await eventually(
      'the target Secret re-created',
      async () => ((await cluster.api.get<KubeSecret>(secretPath))?.type === 'kubernetes.io/dockerconfigjson' ? true : undefined),
      { timeoutMs: 30_000 },
    );
    timings['deleted Secret back'] = (Date.now() - started) / 1000;

    await cluster.api.mergePatch(tokenPath, { data: { token: Buffer.from('not-the-engine-token-0123456789abcdef').toString('base64') } });
    const broken = Date.now();
    try {
      await cluster.api.request('DELETE', secretPath);
      const failed = await eventually(
        'Ready=False',
        async () => {
          const ready = readyOf(await cluster.api.get<KubeExternalSecret>(esPath));
          return ready?.status === 'False' ? ready : undefined;
        },
        { timeoutMs: 30_000 },
      );
      expect(failed).toMatchObject({ reason: 'SecretSyncedError', message: 'could not get secret data from provider: endpoint gave error 401 Unauthorized' });
      timings['wrong token to Ready=False'] = (Date.now() - broken) / 1000;
      let last: Awaited<ReturnType<ArgoCdClient['getApplication']>> = null;
      await eventually(
        'Argo CD reports the app Degraded',
        async () => {
          last = await argo.getApplication(appName, { refresh: 'normal', timeoutMs: 30_000 });
          return last?.status.health?.status === 'Degraded' ? true : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 2_000, describe: () => summary(last) },
      );
      timings['wrong token to app Degraded'] = (Date.now() - broken) / 1000;
    } finally {
      await cluster.api.mergePatch(tokenPath, { data: { token: original!.data.token } });
    }
    const fixed = Date.now();
    await eventually('Ready=True again', async () => (readyOf(await cluster.api.get<KubeExternalSecret>(esPath))?.status === 'True' ? true : undefined), {
      timeoutMs: 30_000,
    });
    let last: Awaited<ReturnType<ArgoCdClient['getApplication']>> = null;
    await eventually(
      'Argo CD reports the app Healthy again',
      async () => {
        last = await argo.getApplication(appName, { refresh: 'normal', timeoutMs: 30_000 });
        return last?.status.health?.status === 'Healthy' ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 2_000, describe: () => summary(last) },
    );
    timings['token fixed to app Healthy'] = (Date.now() - fixed) / 1000;
  });
});
