// `npm run bench:logs -- [--viewers 200] [--poll 500ms]`: the delay from a line being written in
// the (simulated) Jenkins to it reaching a WebSocket viewer, with 1 viewer and with many. The
// simulator stamps each line with its write time (like Jenkins' Timestamper plugin).
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';
import { serve } from '@hono/node-server';
import { runBenchmark } from './lib/bench-stack.js';
import { waitForDeployment, type DeploymentBody, type TestStack } from '../test/support/engine-stack.js';
import { createAppRepo } from '../test/support/git.js';
import { viewLog } from '../test/support/log-viewer.js';

const { values } = parseArgs({ options: { viewers: { type: 'string', default: '200' }, poll: { type: 'string', default: '500ms' } } });

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

async function measure(stack: TestStack, base: string, viewers: number, index: number) {
  const repo = createAppRepo(path.join(stack.dir, `src-${index}`));
  const project = (
    await stack.api<{ id: string; appName: string }>('POST', '/v1/projects', {
      name: `logs${index}`,
      userId: 'bench',
      repoUrl: repo.url,
      branch: 'main',
      appPort: 8080,
    })
  ).body;
  stack.world.scenarios.set(project.appName, { build: { durationMs: 8000, logLines: 160, timestamps: true } });
  const d = (await stack.api<DeploymentBody>('POST', `/v1/projects/${project.id}/deployments`, {})).body;
  const results = await Promise.all(
    Array.from({ length: viewers }, () => viewLog(`ws://${base}/v1/deployments/${d.id}/logs`, { headers: { authorization: `Bearer ${stack.token}` } })),
  );
  await waitForDeployment(stack, d.id);
  const delays: number[] = [];
  for (const r of results) {
    r.messages.forEach((m, i) => {
      if (m.type !== 'log') return;
      for (const match of String(m.text).matchAll(/^\[(\d{13})\] /gm)) delays.push(r.arrivals[i]! - Number(match[1]));
    });
  }
  delays.sort((a, b) => a - b);
  console.log(
    `${String(viewers).padStart(4)} viewer(s): ${delays.length} line deliveries, delay p50 ${quantile(delays, 0.5)} ms, p95 ${quantile(delays, 0.95)} ms, max ${delays.at(-1)} ms`,
  );
}

runBenchmark('bench-logs', { env: { POLL_INTERVAL: values.poll }, argoPollIntervalMs: 500 }, async (stack) => {
  const server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port: 0 });
  stack.app.injectWebSocket(server);
  await new Promise((r) => server.once('listening', r));
  const base = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    console.log(`log delay, Jenkins line written -> viewer received; the worker polls Jenkins every ${values.poll}`);
    await measure(stack, base, 1, 0);
    await measure(stack, base, Number(values.viewers), 1);
  } finally {
    server.close();
  }
});
