// Stands in for an ingress controller's status writer. Argo CD reports an Ingress as
// Progressing until `status.loadBalancer.ingress` is set, and kwok runs no controller that
// would set it, so every app would stay Progressing. This loop gives each Ingress the
// loopback address, the way a controller publishes its load balancer address.
import type { KubeApi } from './kube-api.js';

interface IngressList {
  items: Array<{ metadata: { name: string; namespace: string }; status?: { loadBalancer?: { ingress?: unknown[] } } }>;
}

export interface IngressStatusWriter {
  stop(): Promise<void>;
}

export function startIngressStatusWriter(
  kube: KubeApi,
  { intervalMs = 1_000, address = '127.0.0.1', onError }: { intervalMs?: number; address?: string; onError?: (error: unknown) => void } = {},
): IngressStatusWriter {
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> = Promise.resolve();

  async function pass(): Promise<void> {
    const list = await kube.get<IngressList>('/apis/networking.k8s.io/v1/ingresses');
    for (const item of list?.items ?? []) {
      if ((item.status?.loadBalancer?.ingress?.length ?? 0) > 0) continue;
      const { namespace, name } = item.metadata;
      await kube.mergePatch(`/apis/networking.k8s.io/v1/namespaces/${namespace}/ingresses/${name}/status`, {
        status: { loadBalancer: { ingress: [{ ip: address }] } },
      });
    }
  }

  const tick = () => {
    if (stopped) return;
    running = pass()
      .catch((error: unknown) => onError?.(error))
      .finally(() => {
        if (!stopped) timer = setTimeout(tick, intervalMs);
      });
  };
  tick();

  return {
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
