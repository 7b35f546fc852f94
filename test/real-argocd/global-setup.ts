// The real-cluster run's one cluster: a real Kubernetes API and a real Argo CD, started once
// for the whole conformance run (about a minute; the first build takes about 15 minutes) and
// handed to the test files as plain data. The run's scratch folder is the git root, so every
// GitOps repository a stack makes there is one Argo CD can read over git://.
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { startRealCluster, type RealClusterInfo } from '../../scripts/real-cluster/cluster.js';

declare module 'vitest' {
  export interface ProvidedContext {
    realCluster: RealClusterInfo;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const { scratchDir } = project.getProvidedContext();
  const dataDir = path.join(scratchDir, 'real-cluster');
  mkdirSync(dataDir, { recursive: true });
  const started = Date.now();
  const cluster = await startRealCluster({ dataDir, gitRoot: scratchDir, say: () => {} });
  const startSeconds = ((Date.now() - started) / 1000).toFixed(1);
  project.provide('realCluster', cluster.info);
  return async () => {
    const memory = cluster.residentMiB();
    process.stderr.write(
      `[real-argocd] cluster started in ${startSeconds} s; resident memory at the end: ${memory.map((m) => `${m.name} ${m.rssMiB} MiB`).join(', ')}; ${memory.reduce((a, m) => a + m.rssMiB, 0)} MiB in all\n`,
    );
    await cluster.stop();
  };
}
