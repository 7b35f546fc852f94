// `bash scripts/real-cluster.sh`: a real Kubernetes API and a real Argo CD on this machine, on
// loopback ports, until Ctrl-C. Builds the binaries the first time (about 15 minutes on 2
// cores, cached in ~/.cache/deploy-engine). `npm start -- --real-argocd` runs the engine on it.
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startRealCluster, type RealCluster } from './real-cluster/cluster.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bold = (s: string) => `\x1b[1m${s}\x1b[0m`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { 'data-dir': { type: 'string' }, 'git-root': { type: 'string' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) {
    process.stdout.write('Usage: bash scripts/real-cluster.sh [--data-dir .data/real-cluster] [--git-root <folder of bare repositories>]\n');
    return;
  }
  const dataDir = path.resolve(values['data-dir'] ?? path.join(root, '.data', 'real-cluster'));
  const gitRoot = path.resolve(values['git-root'] ?? path.join(dataDir, 'git'));
  const started = Date.now();
  const cluster: RealCluster = await startRealCluster({ dataDir, gitRoot });
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    process.stderr.write('[real-cluster] stopping…\n');
    await cluster.stop();
    process.stderr.write('[real-cluster] stopped: nothing left running\n');
    process.exit(0);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  const memory = cluster.residentMiB();
  process.stdout.write(
    [
      '',
      bold('Real cluster is up') + ` (ready in ${((Date.now() - started) / 1000).toFixed(1)} s)`,
      `  Argo CD         ${cluster.info.argocd.url}  real Argo CD v2.14, user ${cluster.info.argocd.username} / ${cluster.info.argocd.password}`,
      `  Kubernetes API  ${cluster.info.kube.url}  (kubeconfig ${cluster.info.kube.kubeconfig})`,
      `  Git for Argo CD ${cluster.gitUrl(gitRoot)}<repo>  serves the bare repositories under ${gitRoot}`,
      `  Logs            ${cluster.info.logDir}`,
      `  Memory          ${memory.map((m) => `${m.name} ${m.rssMiB} MiB`).join(', ')}; ${memory.reduce((a, m) => a + m.rssMiB, 0)} MiB in all`,
      '  Ctrl-C stops everything.',
      '',
    ].join('\n') + '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`real-cluster: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
