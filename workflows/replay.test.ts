// The workflow code replayed against histories recorded from real runs of the engine
// (workflows/histories/, written by scripts/record-histories.ts). Temporal replays a running
// workflow's history on every worker that picks it up after a restart or a cache eviction: a
// change that makes the code issue different commands for the same history (another activity,
// a timer, a reordering) breaks every deployment in flight. This fails first, in CI.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type ReplayResult } from '@temporalio/worker';
import { afterAll, describe, expect, it } from 'vitest';
import { workflowBundle } from '../test/support/engine-stack.js';
import { historyFromJSON } from '../test/support/history-json.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const historiesDir = path.join(here, 'histories');

const RE_RECORD = [
  'The workflow code no longer replays a history recorded from a real run: workflows already running',
  'when this change is deployed would fail on their next workflow task. Keep the old path for them',
  '(patched() / deprecatePatch() from @temporalio/workflow) or, if no workflow of the old code can',
  'still be running, re-record the histories with `npx tsx scripts/record-histories.ts` and commit',
  'workflows/histories/.',
].join('\n');

// Quiet: the changed workflow's expected nondeterminism is logged by the SDK's core at WARN.
Runtime.install({ logger: new DefaultLogger('ERROR'), shutdownSignals: [], telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });

function histories(): Array<{ workflowId: string; history: ReturnType<typeof historyFromJSON> }> {
  return readdirSync(historiesDir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((file) => ({ workflowId: file, history: historyFromJSON(JSON.parse(readFileSync(path.join(historiesDir, file), 'utf8'))) }));
}

async function replay(bundle: { code: string }): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for await (const result of Worker.runReplayHistories({ workflowBundle: bundle, replayName: 'replay-test' }, histories())) results.push(result);
  return results;
}

const failuresOf = (results: ReplayResult[]) =>
  results.filter((r) => r.error).map((r) => `${r.workflowId}: ${r.error instanceof Error ? r.error.message : String(r.error)}`);

const scratch: string[] = [];
afterAll(() => scratch.forEach((dir) => rmSync(dir, { recursive: true, force: true })));

describe('replay', () => {
  it('histories are kept for every workflow type, the lane, deployments and the undeploy', () => {
    const files = readdirSync(historiesDir).filter((f) => f.endsWith('.json'));
    const types = new Set(histories().map(({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name));
    expect(files.length).toBeGreaterThanOrEqual(7);
    expect([...types].sort()).toEqual(['deployWorkflow', 'projectLane', 'undeployWorkflow']);
  });

  it('the current workflow code replays every recorded history', async () => {
    const results = await replay(await workflowBundle());
    expect(results.length).toBe(histories().length);
    expect(failuresOf(results), RE_RECORD).toEqual([]);
  }, 120_000);

  it('a changed workflow fails replay (a timer before its first activity)', async () => {
    // A copy of workflows/ (and the one value module it imports, lib/workflow-ids.ts) in a
    // scratch folder, with deployWorkflow changed: the checked-in code is never touched.
    const dir = mkdtempSync(path.join(os.tmpdir(), 'replay-changed-'));
    scratch.push(dir);
    cpSync(here, path.join(dir, 'workflows'), { recursive: true, filter: (src) => !src.endsWith('.test.ts') && !src.includes(`${path.sep}histories`) });
    cpSync(path.join(root, 'lib', 'workflow-ids.ts'), path.join(dir, 'lib', 'workflow-ids.ts'));
    symlinkSync(path.join(root, 'node_modules'), path.join(dir, 'node_modules'), 'dir');
    const deployFile = path.join(dir, 'workflows', 'deploy.ts');
    const source = readFileSync(deployFile, 'utf8');
    const start = /export async function deployWorkflow\([^)]*\)[^{]*\{/.exec(source);
    expect(start, 'deployWorkflow is no longer declared as this test expects: update the test').not.toBeNull();
    const changed = `import { sleep as changedSleep } from '@temporalio/workflow';\n${source.replace(start![0], `${start![0]}\n  await changedSleep(1);`)}`;
    writeFileSync(deployFile, changed);
    const bundle = await bundleWorkflowCode({
      workflowsPath: path.join(dir, 'workflows', 'index.ts'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    });

    const results = await replay(bundle);
    const failed = results.filter((r) => r.error).map((r) => r.workflowId);
    const deployments = histories()
      .filter(({ history }) => history.events?.[0]?.workflowExecutionStartedEventAttributes?.workflowType?.name === 'deployWorkflow')
      .map((h) => h.workflowId);
    // Every deployment's history fails; the lane's and the undeploy's (other code) still replay.
    expect(failed).toEqual(deployments);
    for (const r of results.filter((x) => x.error)) expect(r.error?.name).toBe('DeterminismViolationError');
  }, 120_000);
});
