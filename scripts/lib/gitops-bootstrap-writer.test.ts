// The bootstrap writer and its CLI (scripts/gitops-bootstrap.ts) against real bare repositories:
// creates a missing one, commits bootstrap/ once, touches nothing else.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { GitOpsRepo } from '../../clients/gitops-repo.js';
import { bootstrapGitOpsRepo } from './gitops-bootstrap-writer.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'gitops-bootstrap-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const author = { name: 'deploy-engine', email: 'deploy-engine@localhost' };
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
const git = (cwd: string, ...args: string[]) => execFileSync('git', args, { cwd, encoding: 'utf8', env: cleanEnv }).trim();

describe('bootstrapGitOpsRepo', () => {
  it('creates a missing bare repository, commits once, and changes nothing on a second run', async () => {
    const remote = path.join(base, 'new', 'gitops.git');
    const first = await bootstrapGitOpsRepo({ repo: remote, branch: 'main', author, namespaceScope: 'user' });
    expect(first.createdRepo).toBe(true);
    expect(first.created).toBe(true);
    expect(git(remote, 'rev-parse', '--is-bare-repository')).toBe('true');
    expect(git(remote, 'rev-list', '--count', 'main')).toBe('2');
    expect(git(remote, 'ls-tree', '-r', '--name-only', 'main').split('\n').sort()).toEqual([
      'bootstrap/applicationset-user-projects.yaml',
      'bootstrap/argocd-app-of-apps.yaml',
      'bootstrap/namespace.yaml',
      'bootstrap/registry-secret.md',
    ]);
    expect(git(remote, 'show', 'main:bootstrap/argocd-app-of-apps.yaml')).toContain(`repoURL: file://${remote}`);

    const second = await bootstrapGitOpsRepo({ repo: remote, branch: 'main', author, namespaceScope: 'user' });
    expect(second).toMatchObject({ createdRepo: false, created: false, sha: first.sha });
    expect(git(remote, 'rev-list', '--count', 'main')).toBe('2');
  });

  it('leaves releases alone and only touches bootstrap/', async () => {
    const remote = path.join(base, 'with-apps', 'gitops.git');
    await bootstrapGitOpsRepo({ repo: remote, branch: 'main', author, namespaceScope: 'user' });
    const repo = new GitOpsRepo({ url: remote, branch: 'main', workDir: path.join(base, 'with-apps', 'work'), author });
    await repo.commitRelease({ path: 'apps/ws1/alice/shop', files: { 'app.json': '{}\n' }, deploymentId: 'd-1', message: 'release' });
    const third = await bootstrapGitOpsRepo({
      repo: remote,
      branch: 'main',
      author,
      namespaceScope: 'user',
      argocdRepoUrl: 'https://git.example.com/gitops.git',
    });
    expect(third.created).toBe(true);
    expect(
      git(remote, 'diff', '--name-only', `${third.sha}^`, third.sha)
        .split('\n')
        .every((f) => f.startsWith('bootstrap/')),
    ).toBe(true);
    expect(git(remote, 'show', 'main:apps/ws1/alice/shop/app.json')).toBe('{}');
  });

  it('the CLI bootstraps with flags and is idempotent', () => {
    const remote = path.join(base, 'cli', 'gitops.git');
    const root = fileURLToPath(new URL('../..', import.meta.url));
    const env = { ...cleanEnv, PUBLIC_API_URL: '', PULL_SECRET_MODE: '' };
    const run = (...extra: string[]) =>
      execFileSync('npx', ['tsx', 'scripts/gitops-bootstrap.ts', '--repo', remote, '--branch', 'trunk', ...extra], {
        cwd: root,
        encoding: 'utf8',
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
    // Pull secrets are on by default (PULL_SECRET_MODE=external-secret): the store needs the engine's URL.
    let refused: { status: number; stderr: string } | undefined;
    try {
      run();
    } catch (error) {
      refused = error as { status: number; stderr: string };
    }
    expect(refused?.status).toBe(2);
    expect(refused?.stderr).toMatch(/needs the engine's public URL as the cluster reaches it: pass --engine-url .* or set PUBLIC_API_URL/);
    expect(existsSync(remote)).toBe(false);
    expect(run('--engine-url', 'https://deploy.example.com')).toMatch(/created a bare repository[\s\S]*committed bootstrap\/argocd-app-of-apps.yaml/);
    expect(run('--engine-url', 'https://deploy.example.com')).toMatch(/already up to date/);
    expect(existsSync(remote)).toBe(true);
    expect(git(remote, 'rev-list', '--count', 'trunk')).toBe('2');
    expect(git(remote, 'show', 'trunk:bootstrap/cluster-secret-store-registry.yaml')).toContain(
      'url: https://deploy.example.com/v1/pull-credentials/{{ .remoteRef.key }}',
    );
    // --no-pull-store takes the store out again (a cluster without External Secrets).
    expect(run('--no-pull-store')).toMatch(/committed/);
    expect(git(remote, 'ls-tree', '--name-only', 'trunk', 'bootstrap/')).not.toContain('cluster-secret-store-registry.yaml');
  });
});
