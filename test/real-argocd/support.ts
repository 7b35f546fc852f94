// What the conformance files share: the run's real cluster, an Argo CD client logged in as its
// admin (the engine's own client: the suite checks Argo CD's answers, not the engine's view of
// them), and polling with a deadline.
import { inject } from 'vitest';
import { ArgoCdClient, type Application } from '../../clients/argocd.js';
import { clusterHandle, type ClusterHandle } from '../../scripts/real-cluster/handle.js';

export function realCluster(): ClusterHandle {
  return clusterHandle(inject('realCluster'));
}

export function argoClient(cluster: ClusterHandle): ArgoCdClient {
  const { url, username, password } = cluster.info.argocd;
  return new ArgoCdClient({ baseUrl: url, username, password });
}

/** Polls until `probe` returns something other than undefined; the last seen value goes into the timeout message. */
export async function eventually<T>(what: string, probe: () => Promise<T | undefined>, { timeoutMs = 120_000, intervalMs = 500, describe }: { timeoutMs?: number; intervalMs?: number; describe?: () => string } = {}): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs / 1000} s${describe ? ` (${describe()})` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** Synced and Healthy at exactly this revision, with no operation in flight, in Argo CD's own words. */
export function syncedHealthyAt(app: Application | null | undefined, revision: string): boolean {
  const status = app?.status;
  return status?.sync?.status === 'Synced' && status.sync.revision === revision && status.health?.status === 'Healthy' && app?.operation === undefined && (status.operationState === undefined || status.operationState.phase === 'Succeeded');
}

export function summary(app: Application | null | undefined): string {
  if (!app) return 'no application';
  const s = app.status;
  return `sync ${s.sync?.status ?? '-'} at ${s.sync?.revision?.slice(0, 7) ?? '-'}, health ${s.health?.status ?? '-'}${s.health?.message ? ` (${s.health.message})` : ''}, operation ${s.operationState?.phase ?? '-'}${(s.conditions ?? []).map((c) => `; ${c.type}: ${c.message ?? ''}`).join('')}`;
}
