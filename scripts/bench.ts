// `npm run bench -- [--deploys N] [--projects M]`: N deploys over M projects with instant
// simulators, through the real API, Temporal, worker, PostgreSQL and git. Each project deploys
// its share one after another (a project's lane runs one deploy at a time); projects run
// concurrently. Prints p50/p95 end-to-end time, time per step, deploys per second, and the
// ratio to a single-deploy baseline measured first in the same process.
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { runBenchmark } from './lib/bench-stack.js';
import { waitForDeployment, type DeploymentBody, type TestStack } from '../test/support/engine-stack.js';
import { createAppRepo } from '../test/support/git.js';

const { values } = parseArgs({ options: { deploys: { type: 'string', default: '50' }, projects: { type: 'string', default: '10' } } });
const N = Number(values.deploys);
const M = Number(values.projects);

const instant = { build: { durationMs: 0, logLines: 5, queueMs: 0 }, scan: { durationMs: 0 }, health: { progressingMs: 0 } };

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
const ms = (n: number) => `${Math.round(n)} ms`;

async function deployAll(stack: TestStack, projects: Array<{ id: string }>, perProject: number): Promise<DeploymentBody[]> {
  const results: DeploymentBody[] = [];
  await Promise.all(
    projects.map(async (p) => {
      for (let i = 0; i < perProject; i += 1) {
        const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${p.id}/deployments`, {});
        results.push(await waitForDeployment(stack, requested.body.id, { timeoutMs: 600_000 }));
      }
    }),
  );
  return results;
}

function report(label: string, deployments: DeploymentBody[], wallMs: number, baselineP50?: number) {
  const e2e = deployments.map((d) => Date.parse(d.finishedAt!) - Date.parse(d.queuedAt)).sort((a, b) => a - b);
  const failed = deployments.filter((d) => d.status !== 'succeeded');
  console.log(`\n${label}: ${deployments.length} deploys, ${failed.length} not succeeded, wall ${ms(wallMs)}`);
  console.log(`  end to end      p50 ${ms(quantile(e2e, 0.5))}   p95 ${ms(quantile(e2e, 0.95))}   max ${ms(e2e[e2e.length - 1] ?? NaN)}`);
  const steps = ['resolve_source', 'build', 'verify_image', 'commit_release', 'await_live'];
  for (const step of steps) {
    const durations = deployments
      .map((d) => d.steps.find((s) => s.name === step))
      .filter((s) => s?.startedAt && s.finishedAt)
      .map((s) => Date.parse(s!.finishedAt!) - Date.parse(s!.startedAt!))
      .sort((a, b) => a - b);
    console.log(`  ${step.padEnd(15)} p50 ${ms(quantile(durations, 0.5)).padStart(8)}   p95 ${ms(quantile(durations, 0.95)).padStart(8)}`);
  }
  console.log(`  throughput      ${(deployments.length / (wallMs / 1000)).toFixed(2)} deploys/s`);
  if (baselineP50) console.log(`  p50 / baseline p50 = ${(quantile(e2e, 0.5) / baselineP50).toFixed(2)}`);
  return quantile(e2e, 0.5);
}

runBenchmark('bench', { env: { POLL_INTERVAL: '50ms' }, argoPollIntervalMs: 500 }, async (stack, scratchDir) => {
  stack.world.scenarios.setDefault(instant);
  const projects = [];
  for (let i = 0; i < M; i += 1) {
    const repo = createAppRepo(path.join(scratchDir, `src-${i}`));
    projects.push(
      (await stack.api<{ id: string }>('POST', '/v1/projects', { name: `bench${i}`, userId: 'bench', repoUrl: repo.url, branch: 'main', appPort: 8080 })).body,
    );
  }
  console.log(`deploy-engine benchmark: ${N} deploys over ${M} projects, instant simulators, ${os.cpus().length} cores`);
  // Baseline: one deploy alone (warms the workflow bundle, git clones and connections first).
  await deployAll(stack, projects.slice(0, 1), 1);
  let t0 = Date.now();
  const baseline = await deployAll(stack, projects.slice(0, 1), 3);
  const baselineP50 = report('baseline (3 deploys, one at a time)', baseline, Date.now() - t0);
  t0 = Date.now();
  const results = await deployAll(stack, projects, Math.ceil(N / M));
  report(`load (${M} projects in parallel)`, results.slice(0, N), Date.now() - t0, baselineP50);
});
