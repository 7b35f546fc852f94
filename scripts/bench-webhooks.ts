// `npm run bench:webhooks -- [--deliveries 500] [--concurrency 50]`: a burst of signed push
// deliveries to one project; prints the acknowledgement time (p50/p99) and what they led to.
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { runBenchmark } from './lib/bench-stack.js';
import { createAppRepo } from '../test/support/git.js';
import { signatureFor } from '../api/webhooks/signature.js';

const { values } = parseArgs({ options: { deliveries: { type: 'string', default: '500' }, concurrency: { type: 'string', default: '50' } } });
const total = Number(values.deliveries);
const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

runBenchmark('bench-webhooks', { argoPollIntervalMs: 500 }, async (stack, scratchDir) => {
  const repo = createAppRepo(path.join(scratchDir, 'src'));
  const project = (
    await stack.api<{ id: string; appName: string; webhookSecret: string }>('POST', '/v1/projects', {
      name: 'hooks',
      userId: 'bench',
      repoUrl: repo.url,
      branch: 'main',
      appPort: 8080,
    })
  ).body;
  stack.world.scenarios.set(project.appName, { build: { durationMs: 200, logLines: 5 } });
  const shas = Array.from({ length: total }, (_, i) => repo.commit({ 'index.js': `console.log(${i})\n` }, `c${i}`));
  const bodies = shas.map((sha) =>
    JSON.stringify({
      ref: 'refs/heads/main',
      before: '0'.repeat(40),
      after: sha,
      deleted: false,
      repository: { full_name: 'acme/app', clone_url: `file://${repo.dir}` },
      pusher: { name: 'bench' },
    }),
  );
  const latencies: number[] = [];
  const outcomes = new Map<string, number>();
  let next = 0;
  const started = Date.now();
  await Promise.all(
    Array.from({ length: Number(values.concurrency) }, async () => {
      while (next < total) {
        const body = bodies[next++]!;
        const t0 = performance.now();
        const res = await stack.app.request('/v1/webhooks/github', {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-github-event': 'push',
            'x-github-delivery': randomUUID(),
            'x-hub-signature-256': signatureFor(project.webhookSecret, Buffer.from(body)),
          },
          body,
        });
        latencies.push(performance.now() - t0);
        const result = (await res.json()) as { results?: Array<{ outcome: string }> };
        const outcome = `${res.status} ${result.results?.[0]?.outcome ?? ''}`.trim();
        outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      }
    }),
  );
  const wall = Date.now() - started;
  latencies.sort((a, b) => a - b);
  console.log(`${total} push deliveries, ${values.concurrency} in flight, ${os.cpus().length} cores: wall ${wall} ms`);
  console.log(
    `  acknowledgement  p50 ${quantile(latencies, 0.5).toFixed(1)} ms   p99 ${quantile(latencies, 0.99).toFixed(1)} ms   max ${latencies.at(-1)!.toFixed(1)} ms`,
  );
  console.log(`  answers          ${[...outcomes].map(([k, v]) => `${k}: ${v}`).join(', ')}`);
  // With many senders in flight, arrival order is not commit order: the lane runs the request
  // that arrived last. Wait until nothing is queued or running, then report.
  for (;;) {
    const open = await stack.db.deployment.count({ where: { projectId: project.id, status: { in: ['queued', 'running'] } } });
    if (open === 0) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const all = await stack.db.deployment.groupBy({ by: ['status'], where: { projectId: project.id }, _count: true });
  const live = await stack.db.project.findUniqueOrThrow({ where: { id: project.id }, include: { liveDeployment: true } });
  const lastQueued = await stack.db.deployment.findFirst({ where: { projectId: project.id, status: { not: 'superseded' } }, orderBy: { queuedAt: 'desc' } });
  console.log(
    `  deployments      ${all.map((g) => `${g.status}: ${g._count}`).join(', ')}; live = the last one the lane received: ${live.liveDeploymentId === lastQueued?.id}`,
  );
});
