// The simulator with real `helm template` rendering (the helm binary from `npm run setup`).
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { helmPath } from '../../scripts/lib/tools.js';
import { ScenarioStore } from '../common/scenario.js';
import type { Application } from './types.js';
import { createGitopsRepo, removeDir, startArgoCd, tempDir, waitFor, writeChart, type GitopsRepo, type RunningArgoCd } from './test-support.js';

const helm = helmPath();
if (!helm) console.warn('SKIPPED: real helm rendering test (no helm binary: run `npm run setup` or set HELM_PATH)');

describe.skipIf(!helm)('Argo CD simulator with helm template', () => {
  let root: string;
  let repo: GitopsRepo;
  let argo: RunningArgoCd;
  const get = async (name: string, query = ''): Promise<Application> => {
    const response = await fetch(`${argo.url}/api/v1/applications/${name}${query}`, { headers: { authorization: 'Bearer helm-test-token' } });
    return (await response.json()) as Application;
  };

  beforeAll(async () => {
    root = tempDir('argocd-helm');
    repo = await createGitopsRepo(root);
    writeChart(repo.work, {
      workspaceId: 'ws1',
      userId: 'alice',
      projectName: 'shop',
      repository: 'registry.example/apps/ws1/alice-shop',
      tag: '3f2a9c1-1a2b3c4d',
      digest: `sha256:${'a'.repeat(64)}`,
    });
    await repo.commitAndPush('Initial');
    const scenarios = new ScenarioStore();
    scenarios.setDefault({ health: { progressingMs: 50 } });
    argo = await startArgoCd({
      scenarios,
      users: [],
      tokens: ['helm-test-token'],
      repo: { url: repo.url, branch: 'main' },
      pollIntervalMs: 600_000,
      helmBinary: helm,
      workDir: path.join(root, 'argocd'),
    });
  });

  afterAll(async () => {
    await argo?.close();
    if (root) removeDir(root);
  });

  it('renders the chart with helm, syncs it, and reports helm errors as ComparisonError', async () => {
    const head = (await repo.git.revparse(['HEAD'])).trim();
    const app = await waitFor(
      () => get('ws1-alice-shop'),
      (a) => a.status?.sync?.status === 'Synced' && a.status.health.status === 'Healthy',
    );
    expect(app.status.sync.revision).toBe(head);
    expect(app.status.resources.map((r) => `${r.kind}/${r.name}`).sort()).toEqual([
      'Deployment/ws1-alice-shop',
      'Ingress/ws1-alice-shop',
      'Service/ws1-alice-shop',
    ]);
    expect(app.status.summary.images).toEqual([`registry.example/apps/ws1/alice-shop@sha256:${'a'.repeat(64)}`]);

    writeFileSync(path.join(repo.work, 'apps/ws1/alice/shop/templates/service.yaml'), 'kind: Service\nmetadata:\n  name: [unclosed\n');
    await repo.commitAndPush('Break the chart');
    const broken = await get('ws1-alice-shop', '?refresh=normal');
    expect(broken.status.sync.status).toBe('Unknown');
    const condition = broken.status.conditions?.find((c) => c.type === 'ComparisonError');
    expect(condition?.message).toContain(
      '`helm template . --name-template alice-shop --namespace user-alice --values <path to cached source>/values.yaml --include-crds` failed exit status 1: Error: YAML parse error on shop/templates/service.yaml',
    );
  });
});
