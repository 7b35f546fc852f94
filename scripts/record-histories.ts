// `npx tsx scripts/record-histories.ts`: records the Temporal histories that the replay test
// (workflows/replay.test.ts) replays against the current workflow code, into workflows/histories/.
//
// It starts the whole engine on a throwaway PostgreSQL and Temporal of its own (the simulators,
// the worker, the API app; nothing of a running dev stack is touched) and drives one project
// through the API: a deploy that succeeds, a second one, a manual rollback, a deploy that turns
// Degraded in await_live and rolls back automatically, a running deploy cancelled in its build
// while a queued one is superseded and another queued one is cancelled, and finally DELETE (the
// undeploy, which closes the lane). Then it saves the history of the lane, of each kind of
// deployment run and of the undeploy as Temporal's JSON history (what
// `temporal workflow show --output json` writes), without worker identities or this checkout's
// location.
//
// Re-record when a workflow change is meant to alter histories (and is safe for the workflows
// already running: guard it with patched() otherwise), then commit the new files
// (workflows/histories/README.md lists them). Takes under a minute.
import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Client } from '@temporalio/client';
import { connectTemporalClient } from '../lib/temporal.js';
import { deploymentWorkflowId, laneWorkflowId, undeployWorkflowId } from '../lib/workflow-ids.js';
import { waitForDeployment, type DeploymentBody, type TestStack } from '../test/support/engine-stack.js';
import { createAppRepo } from '../test/support/git.js';
import { historyToJSON } from '../test/support/history-json.js';
import { runBenchmark } from './lib/bench-stack.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const HISTORIES_DIR = path.join(here, '..', 'workflows', 'histories');

const instant = { build: { durationMs: 0, logLines: 5, queueMs: 0 }, scan: { durationMs: 0 }, health: { progressingMs: 0 } };

function expectStatus(what: string, deployment: DeploymentBody, status: string, errorType?: string): void {
  if (deployment.status !== status || (errorType && deployment.error?.type !== errorType)) {
    throw new Error(
      `${what}: expected ${status}${errorType ? ` (${errorType})` : ''}, got ${JSON.stringify({ status: deployment.status, error: deployment.error })}`,
    );
  }
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const repoRoot = path.resolve(here, '..');

/**
 * What of this machine a history carries and replay does not read: the identity of the worker
 * or client behind an event (pid@host), and this checkout's location in failures' stack traces.
 */
function scrubbed(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(scrubbed);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => {
        if (k === 'identity' && typeof v === 'string') return [k, 'record-histories'];
        if (k === 'stackTrace' && typeof v === 'string') return [k, v.split(`${repoRoot}${path.sep}`).join('')];
        return [k, scrubbed(v)];
      }),
    );
  }
  return value;
}

async function save(temporal: Client, workflowId: string, name: string, scratchDir: string): Promise<void> {
  const history = await temporal.workflow.getHandle(workflowId).fetchHistory();
  const json = JSON.stringify(scrubbed(JSON.parse(historyToJSON(history))), null, 1);
  // Payloads are base64: look inside them too. Nothing of this machine's scratch folders belongs in the repository.
  const decoded = [...json.matchAll(/"data": "([A-Za-z0-9+/=]+)"/g)].map((m) => Buffer.from(m[1]!, 'base64').toString('utf8')).join('\n');
  if ([scratchDir, repoRoot].some((local) => json.includes(local) || decoded.includes(local)))
    throw new Error(`the history of ${workflowId} names a local path`);
  writeFileSync(path.join(HISTORIES_DIR, `${name}.json`), `${json}\n`);
  console.log(`  ${name}.json  ${history.events?.length ?? 0} events  (${workflowId})`);
}

runBenchmark(
  'record-histories',
  { env: { POLL_INTERVAL: '100ms', AWAIT_LIVE_TIMEOUT: '10s', DEGRADED_GRACE: '500ms' }, argoPollIntervalMs: 500 },
  async (stack: TestStack, scratchDir: string) => {
    stack.world.scenarios.setDefault(instant);
    const temporal = await connectTemporalClient({ address: stack.config.TEMPORAL_ADDRESS, namespace: stack.config.TEMPORAL_NAMESPACE });
    try {
      const repo = createAppRepo(path.join(scratchDir, 'src-history'));
      const created = await stack.api<{ id: string; appName: string }>('POST', '/v1/projects', {
        name: 'history',
        userId: 'hana',
        repoUrl: repo.url,
        branch: 'main',
        appPort: 8080,
      });
      if (created.status !== 201) throw new Error(`project not created: ${JSON.stringify(created.body)}`);
      const project = created.body;
      const request = async () => {
        const res = await stack.api<DeploymentBody>('POST', `/v1/projects/${project.id}/deployments`, {});
        if (res.status !== 202) throw new Error(`deploy not accepted: ${JSON.stringify(res.body)}`);
        return res.body;
      };
      const get = async (id: string) => (await stack.api<DeploymentBody>('GET', `/v1/deployments/${id}`)).body;

      console.log('a deploy that succeeds, a second one, a manual rollback');
      const v1 = await waitForDeployment(stack, (await request()).id);
      expectStatus('v1', v1, 'succeeded');
      repo.commit({ 'index.js': 'console.log("v2")\n' }, 'v2');
      const v2 = await waitForDeployment(stack, (await request()).id);
      expectStatus('v2', v2, 'succeeded');
      const rollback = await stack.api<DeploymentBody>('POST', `/v1/projects/${project.id}/rollback`, {});
      if (rollback.status !== 202) throw new Error(`rollback not accepted: ${JSON.stringify(rollback.body)}`);
      expectStatus('manual rollback', await waitForDeployment(stack, rollback.body.id), 'succeeded');

      console.log('a deploy that turns Degraded and rolls back automatically');
      const bad = repo.commit({ 'index.js': 'crash()\n' }, 'bad');
      stack.world.scenarios.set(`${project.appName}@${bad}`, { health: { outcome: 'degraded', progressingMs: 100 } });
      const degraded = await waitForDeployment(stack, (await request()).id);
      expectStatus('degraded deploy', degraded, 'failed', 'app_degraded');
      const list = await stack.api<{ items: Array<DeploymentBody & { causeDeploymentId: string | null }> }>('GET', `/v1/projects/${project.id}/deployments`);
      const auto = list.body.items.find((d) => d.trigger === 'auto-rollback' && d.causeDeploymentId === degraded.id);
      if (!auto) throw new Error('no automatic rollback was created');
      expectStatus('automatic rollback', await waitForDeployment(stack, auto.id), 'succeeded');

      console.log('a running deploy cancelled in its build; a queued one superseded, another cancelled');
      repo.commit({ 'index.js': 'console.log("v4")\n' }, 'v4');
      stack.world.scenarios.set(project.appName, { ...instant, build: { durationMs: 30_000, logLines: 300, queueMs: 0 } });
      const running = await request();
      await until('the build running', async () => {
        const d = await get(running.id);
        return d.jenkinsBuildNumber && d.steps.find((s) => s.name === 'build')?.status === 'running' ? d : undefined;
      });
      stack.world.scenarios.set(project.appName, instant);
      const superseded = await request();
      const newest = await request();
      expectStatus('superseded', await waitForDeployment(stack, superseded.id), 'superseded');
      const queuedCancel = await stack.api<{ cancel: string }>('POST', `/v1/deployments/${newest.id}/cancel`);
      if (queuedCancel.body.cancel !== 'cancelled') throw new Error(`queued cancel answered ${JSON.stringify(queuedCancel.body)}`);
      const runningCancel = await stack.api<{ cancel: string }>('POST', `/v1/deployments/${running.id}/cancel`);
      if (runningCancel.body.cancel !== 'cancelling') throw new Error(`running cancel answered ${JSON.stringify(runningCancel.body)}`);
      expectStatus('cancelled while running', await waitForDeployment(stack, running.id), 'cancelled');
      expectStatus('cancelled while queued', await waitForDeployment(stack, newest.id), 'cancelled');

      console.log('undeploy');
      const removed = await stack.api('DELETE', `/v1/projects/${project.id}`);
      if (removed.status !== 202) throw new Error(`DELETE answered ${removed.status}`);
      await until('the undeploy', async () => {
        const { body } = await stack.api<{ status: string }>('GET', `/v1/projects/${project.id}/undeploy`);
        if (body.status === 'failed') throw new Error(`undeploy failed: ${JSON.stringify(body)}`);
        return body.status === 'succeeded' ? body : undefined;
      });

      console.log(`saving to ${path.relative(process.cwd(), HISTORIES_DIR) || '.'}`);
      mkdirSync(HISTORIES_DIR, { recursive: true });
      for (const file of readdirSync(HISTORIES_DIR).filter((f) => f.endsWith('.json'))) rmSync(path.join(HISTORIES_DIR, file));
      // The lane is still open (a closed lane answers late requests for a while): its history so far.
      await save(temporal, laneWorkflowId(project.id), 'lane', scratchDir);
      await save(temporal, deploymentWorkflowId(v1.id), 'deploy-succeeded', scratchDir);
      await save(temporal, deploymentWorkflowId(rollback.body.id), 'rollback-manual', scratchDir);
      await save(temporal, deploymentWorkflowId(degraded.id), 'deploy-degraded-auto-rollback', scratchDir);
      await save(temporal, deploymentWorkflowId(auto.id), 'rollback-automatic', scratchDir);
      await save(temporal, deploymentWorkflowId(running.id), 'deploy-cancelled-in-build', scratchDir);
      await save(temporal, undeployWorkflowId(project.id), 'undeploy', scratchDir);
      await temporal.workflow.getHandle(laneWorkflowId(project.id)).terminate('histories recorded');
    } finally {
      await temporal.connection.close();
    }
  },
);
