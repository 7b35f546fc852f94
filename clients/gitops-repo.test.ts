// Real git only: bare repositories in temp dirs stand in for the GitOps remote.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderReleaseFiles } from '../gitops/chart.js';
import type { Identity } from '../gitops/naming.js';
import { buildValues } from '../gitops/values.js';
import { ClientError } from './errors.js';
import { GitOpsPathError, GitOpsRepo } from './gitops-repo.js';
import type { GitOpsRepoOptions } from './gitops-repo.js';

const base = mkdtempSync(path.join(os.tmpdir(), 'gitops-repo-test-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

/** Bad options, ids and revisions: refused before any git runs, and never retried. */
const invalid = { system: 'gitops', kind: 'invalid', transient: false };

const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('GIT_')));
function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', ['-c', 'user.name=test', '-c', 'user.email=test@example.com', '-c', 'commit.gpgsign=false', ...args], {
    cwd,
    encoding: 'utf8',
    env: cleanEnv,
  }).trim();
}

let counter = 0;
function tempDir(name: string): string {
  const dir = path.join(base, `${counter++}-${name}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** A bare remote with one initial commit on main (or none with `empty`). */
function makeRemote(options: { empty?: boolean } = {}): string {
  const remote = path.join(tempDir('remote'), 'gitops.git');
  git(base, 'init', '--quiet', '--bare', '--initial-branch=main', remote);
  if (!options.empty) {
    const seed = tempDir('seed');
    git(seed, 'init', '--quiet', '--initial-branch=main');
    writeFileSync(path.join(seed, 'README.md'), '# GitOps\n');
    git(seed, 'add', '.');
    git(seed, 'commit', '--quiet', '-m', 'init');
    git(seed, 'push', '--quiet', remote, 'main');
  }
  return remote;
}

function newRepo(remote: string, options: Partial<GitOpsRepoOptions> = {}): GitOpsRepo {
  return new GitOpsRepo({
    url: remote,
    branch: 'main',
    workDir: path.join(tempDir('work'), 'clone'),
    author: { name: 'deploy-engine', email: 'deploy-engine@localhost' },
    push: { attempts: 8, baseDelayMs: 20, maxDelayMs: 200 },
    ...options,
  });
}

const commitCount = (remote: string) => Number(git(remote, 'rev-list', '--count', 'main'));
const remoteFiles = (remote: string, dir: string) => git(remote, 'ls-tree', '-r', '--name-only', 'main', '--', dir).split('\n').filter(Boolean);

let deploymentCounter = 0;
function newDeploymentId(): string {
  return `1a2b3c4d-0000-4000-8000-${String(++deploymentCounter).padStart(12, '0')}`;
}

function release(identity: Identity, deploymentId = newDeploymentId(), kind: 'deploy' | 'rollback' = 'deploy') {
  const values = buildValues({
    identity,
    namespaceScope: 'user',
    framework: 'nextjs',
    imageRepository: `127.0.0.1:8082/apps/${identity.workspaceId}/${identity.userId}-${identity.projectName}`,
    imageTag: '3f2a9c1-1a2b3c4d',
    imageDigest: `sha256:${'cd'.repeat(32)}`,
    host: `${identity.projectName}-${identity.userId}.apps.localhost`,
    release: { deploymentId, commitSha: '3f2a9c1e5b7d9f0123456789abcdef0123456789', kind },
  });
  const { path: dir, files } = renderReleaseFiles(identity, values, 'user');
  return { values, input: { path: dir, files, deploymentId, message: `Deploy ${identity.projectName} (${deploymentId})` } };
}

const shop: Identity = { workspaceId: 'ws1', userId: 'alice', projectName: 'shop' };

describe('commitRelease', () => {
  let remote: string;
  beforeEach(() => {
    remote = makeRemote();
  });

  it('writes the chart files and app.json at the project path, with the trailers', async () => {
    const repo = newRepo(remote);
    const { values, input } = release(shop);
    const result = await repo.commitRelease(input);
    expect(result.created).toBe(true);
    expect(result.sha).toMatch(/^[0-9a-f]{40}$/);
    expect(git(remote, 'rev-parse', 'main')).toBe(result.sha);
    expect(commitCount(remote)).toBe(2);
    expect(remoteFiles(remote, 'apps').sort()).toEqual(
      [
        'Chart.yaml',
        'app.json',
        'templates/deployment.yaml',
        'templates/hpa.yaml',
        'templates/ingress.yaml',
        'templates/pull-secret.yaml',
        'templates/service.yaml',
        'values.yaml',
      ].map((f) => `apps/ws1/alice/shop/${f}`),
    );
    expect(parse(git(remote, 'show', 'main:apps/ws1/alice/shop/values.yaml'))).toEqual(values);
    expect(JSON.parse(git(remote, 'show', 'main:apps/ws1/alice/shop/app.json'))).toMatchObject({
      appName: 'ws1-alice-shop',
      releaseName: 'alice-shop',
      namespace: 'user-alice',
    });
    expect(git(remote, 'show', 'main:README.md')).toBe('# GitOps');
    const message = git(remote, 'log', '-1', '--format=%B', 'main');
    expect(message).toContain(`Deployment-Id: ${input.deploymentId}`);
    expect(message).toContain('GitOps-Path: apps/ws1/alice/shop');
    expect(git(remote, 'log', '-1', '--format=%an <%ae>', 'main')).toBe('deploy-engine <deploy-engine@localhost>');

    expect(await repo.headSha()).toBe(result.sha);
    expect(await repo.readFile('apps/ws1/alice/shop/values.yaml')).toBe(input.files['values.yaml']);
    expect(await repo.readFile('apps/ws1/alice/shop/missing.yaml')).toBeUndefined();
    expect(await repo.readFile('apps/ws1/alice/shop')).toBeUndefined();
    expect(await repo.findCommitByDeploymentId(input.deploymentId)).toEqual({ sha: result.sha, path: 'apps/ws1/alice/shop' });
    expect(await repo.findCommitByDeploymentId(newDeploymentId())).toBeUndefined();
  });

  it('reads files at any commit and answers ancestry questions', async () => {
    const repo = newRepo(remote);
    const first = release(shop);
    const a = await repo.commitRelease(first.input);
    const second = release(shop);
    const b = await newRepo(remote).commitRelease(second.input); // pushed by another clone
    expect(await repo.readFileAt(a.sha, 'apps/ws1/alice/shop/values.yaml')).toBe(first.input.files['values.yaml']);
    expect(await repo.readFileAt(b.sha.slice(0, 12), 'apps/ws1/alice/shop/values.yaml')).toBe(second.input.files['values.yaml']);
    expect(await repo.readFileAt(a.sha, 'apps/ws1/alice/other/values.yaml')).toBeUndefined();
    expect(await repo.readFileAt('0'.repeat(40), 'apps/ws1/alice/shop/values.yaml')).toBeUndefined();
    expect(await repo.isAncestor(a.sha, b.sha)).toBe(true);
    expect(await repo.isAncestor(a.sha, a.sha)).toBe(true);
    expect(await repo.isAncestor(b.sha, a.sha)).toBe(false);
    expect(await repo.isAncestor('0'.repeat(40), b.sha)).toBe(false);
    await expect(repo.isAncestor('HEAD', b.sha)).rejects.toMatchObject(invalid);
    await expect(repo.readFileAt('--all', 'x')).rejects.toMatchObject(invalid);
  });

  it('a retry with the same deployment id returns the same commit and makes no second one', async () => {
    const { input } = release(shop);
    const first = await newRepo(remote).commitRelease(input);
    const again = await newRepo(remote).commitRelease(input); // another worker's clone
    const sameClone = newRepo(remote);
    const third = await sameClone.commitRelease(input);
    const fourth = await sameClone.commitRelease(input);
    for (const r of [again, third, fourth]) expect(r).toEqual({ sha: first.sha, created: false });
    expect(commitCount(remote)).toBe(2);
    expect(git(remote, 'log', '--format=%H', '--fixed-strings', `--grep=Deployment-Id: ${input.deploymentId}`, 'main').split('\n')).toHaveLength(1);
  });

  it('finds its earlier commit even after other releases landed on top', async () => {
    const repo = newRepo(remote);
    const { input } = release(shop);
    const first = await repo.commitRelease(input);
    await repo.commitRelease(release({ ...shop, projectName: 'blog' }).input);
    await repo.commitRelease(release(shop).input);
    expect(await repo.commitRelease(input)).toEqual({ sha: first.sha, created: false });
    expect(commitCount(remote)).toBe(4);
  });

  it('refuses a known deployment id for another path (terminal)', async () => {
    const repo = newRepo(remote);
    const { input } = release(shop);
    await repo.commitRelease(input);
    const other = release({ ...shop, projectName: 'blog' }, input.deploymentId).input;
    const error = await repo.commitRelease(other).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ system: 'gitops', kind: 'conflict', transient: false });
    expect(commitCount(remote)).toBe(2);
  });

  it('a rollback to identical content still makes its own commit', async () => {
    const repo = newRepo(remote);
    const { input } = release(shop);
    const first = await repo.commitRelease(input);
    const rollback = { ...input, deploymentId: newDeploymentId(), message: 'Rollback shop' };
    const second = await repo.commitRelease(rollback);
    expect(second.created).toBe(true);
    expect(second.sha).not.toBe(first.sha);
    expect(git(remote, 'rev-parse', `${second.sha}^`)).toBe(first.sha);
    expect(git(remote, 'diff', '--name-only', first.sha, second.sha)).toBe('');
    expect(await repo.findCommitByDeploymentId(rollback.deploymentId)).toEqual({ sha: second.sha, path: 'apps/ws1/alice/shop' });
  });

  it('never carries stale local state: local junk, local commits and removed files are dropped', async () => {
    const repo = newRepo(remote);
    await repo.commitRelease(release(shop).input);
    // Someone else adds a stray file to the project directory.
    const other = tempDir('other');
    git(other, 'clone', '--quiet', remote, '.');
    writeFileSync(path.join(other, 'apps/ws1/alice/shop/stray.yaml'), 'stray: true\n');
    git(other, 'add', '.');
    git(other, 'commit', '--quiet', '-m', 'stray');
    git(other, 'push', '--quiet', 'origin', 'main');
    // And the engine's clone is dirty with an unpushed commit and untracked files.
    writeFileSync(path.join(repo.workDir, 'junk.txt'), 'junk');
    git(repo.workDir, 'add', 'junk.txt');
    git(repo.workDir, 'commit', '--quiet', '-m', 'local only');
    writeFileSync(path.join(repo.workDir, 'untracked.txt'), 'x');

    const { input } = release(shop);
    const result = await repo.commitRelease(input);
    expect(result.created).toBe(true);
    const files = git(remote, 'ls-tree', '-r', '--name-only', 'main').split('\n');
    expect(files).not.toContain('junk.txt');
    expect(files).not.toContain('untracked.txt');
    expect(files).not.toContain('apps/ws1/alice/shop/stray.yaml');
    expect(git(remote, 'log', '--format=%s', 'main')).not.toContain('local only');
    expect(existsSync(path.join(repo.workDir, 'untracked.txt'))).toBe(false);
  });

  it('recovers from lock files a crashed git process left in the clone', async () => {
    const repo = newRepo(remote);
    await repo.commitRelease(release(shop).input);
    writeFileSync(path.join(repo.workDir, '.git', 'index.lock'), '');
    writeFileSync(path.join(repo.workDir, '.git', 'refs', 'remotes', 'origin', 'main.lock'), '');
    const result = await repo.commitRelease(release(shop).input);
    expect(result.created).toBe(true);
    expect(git(remote, 'rev-parse', 'main')).toBe(result.sha);
    expect(existsSync(path.join(repo.workDir, '.git', 'index.lock'))).toBe(false);
  });

  it('starts the branch when the remote is empty', async () => {
    const empty = makeRemote({ empty: true });
    const repo = newRepo(empty);
    expect(await repo.headSha()).toBeUndefined();
    expect(await repo.readFile('apps/ws1/alice/shop/values.yaml')).toBeUndefined();
    const result = await repo.commitRelease(release(shop).input);
    expect(result.created).toBe(true);
    expect(commitCount(empty)).toBe(1);
    expect(await repo.headSha()).toBe(result.sha);
  });

  it('10 concurrent releases from two workers (separate clones) all land, none lost', async () => {
    const retries: string[] = [];
    const workers = [0, 1].map(() => newRepo(remote, { onPushRetry: ({ reason }) => retries.push(reason) }));
    const jobs = Array.from({ length: 10 }, (_, i) => release({ workspaceId: 'ws1', userId: i % 2 ? 'alice' : 'bob', projectName: `p${i}` }));
    const results = await Promise.all(jobs.map((job, i) => workers[i % 2]!.commitRelease(job.input)));

    expect(results.every((r) => r.created)).toBe(true);
    expect(new Set(results.map((r) => r.sha)).size).toBe(10);
    expect(commitCount(remote)).toBe(11);
    const history = git(remote, 'rev-list', 'main').split('\n');
    for (const r of results) expect(history).toContain(r.sha);
    for (const job of jobs) {
      expect(remoteFiles(remote, job.input.path)).toHaveLength(Object.keys(job.input.files).length);
      expect(git(remote, 'show', `main:${job.input.path}/values.yaml`)).toBe(job.input.files['values.yaml']!.trim());
      expect(git(remote, 'log', '--format=%H', '--fixed-strings', `--grep=Deployment-Id: ${job.input.deploymentId}`, 'main').split('\n')).toHaveLength(1);
    }
    console.info(`concurrent releases: ${retries.length} push retries (${[...new Set(retries)].join('; ') || 'no race this run'})`);
  });

  it('retries a push that lost a race, on top of the other writer', async () => {
    const hook = path.join(remote, 'hooks', 'pre-receive');
    // Once: another writer advances main between our fetch and our push.
    writeFileSync(
      hook,
      `#!/bin/sh
cat >/dev/null
[ -f "$GIT_DIR/raced" ] && exit 0
touch "$GIT_DIR/raced"
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
c=$(git -c user.name=racer -c user.email=racer@x commit-tree "$(git rev-parse main^{tree})" -p main -m "concurrent writer")
git update-ref refs/heads/main "$c"
`,
    );
    chmodSync(hook, 0o755);
    const retries: number[] = [];
    const repo = newRepo(remote, { onPushRetry: ({ attempt }) => retries.push(attempt) });
    const result = await repo.commitRelease(release(shop).input);
    expect(result.created).toBe(true);
    expect(retries).toEqual([1]);
    expect(git(remote, 'log', '--format=%s', 'main').split('\n')).toEqual([
      'Deploy shop (' + git(remote, 'log', '-1', '--format=%s', 'main').slice('Deploy shop ('.length),
      'concurrent writer',
      'init',
    ]);
    expect(git(remote, 'rev-parse', 'main')).toBe(result.sha);
  });

  it('gives up after the attempt budget with a transient conflict', async () => {
    const hook = path.join(remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh
cat >/dev/null
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
c=$(git -c user.name=racer -c user.email=racer@x commit-tree "$(git rev-parse main^{tree})" -p main -m "always first")
git update-ref refs/heads/main "$c"
`,
    );
    chmodSync(hook, 0o755);
    const repo = newRepo(remote, { push: { attempts: 3, baseDelayMs: 1, maxDelayMs: 5 } });
    const error = await repo.commitRelease(release(shop).input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ system: 'gitops', kind: 'conflict', transient: true });
    expect((error as Error).message).toContain('was rejected 3 times');
    expect(remoteFiles(remote, 'apps')).toEqual([]);
  });
});

describe('path attacks', () => {
  let remote: string;
  beforeEach(() => {
    remote = makeRemote();
  });

  const files = () => release(shop).input.files;
  it.each([
    ['parent traversal', '../outside'],
    ['traversal inside', 'apps/ws1/../../../outside'],
    ['absolute path', '/tmp/outside'],
    ['percent-encoded dots', 'apps/%2e%2e/%2e%2e/outside'],
    ['U+2215 division slash', 'apps\u2215..\u2215outside'],
    ['U+FF0E fullwidth dots', 'apps/\uFF0E\uFF0E/outside'],
    ['U+2024 one dot leader', 'apps/\u2024\u2024/outside'],
    ['backslashes', 'apps\\..\\..\\outside'],
    ['NUL', 'apps/ws1\0/x'],
    ['the .git directory', '.git/hooks'],
  ])('refuses a release path with %s before doing anything', async (_what, bad) => {
    const repo = newRepo(remote);
    const error = await repo.commitRelease({ path: bad, files: files(), deploymentId: newDeploymentId(), message: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitOpsPathError);
    expect((error as GitOpsPathError).transient).toBe(false);
    expect(existsSync(repo.workDir)).toBe(false);
    expect(commitCount(remote)).toBe(1);
  });

  it.each([['../../escape.yaml'], ['/etc/x.yaml'], ['templates/\u2024\u2024/x.yaml'], ['%2e%2e/x.yaml'], ['.git/config']])(
    'refuses a file name %j',
    async (bad) => {
      const repo = newRepo(remote);
      const error = await repo
        .commitRelease({ path: 'apps/ws1/alice/shop', files: { ...files(), [bad]: 'x' }, deploymentId: newDeploymentId(), message: 'x' })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(GitOpsPathError);
      expect(commitCount(remote)).toBe(1);
    },
  );

  it('refuses to write through a symlink committed in the repository, and writes nothing outside', async () => {
    const outside = tempDir('outside');
    const attacker = tempDir('attacker');
    git(attacker, 'clone', '--quiet', remote, '.');
    mkdirSync(path.join(attacker, 'apps'));
    symlinkSync(outside, path.join(attacker, 'apps', 'ws1'));
    git(attacker, 'add', '.');
    git(attacker, 'commit', '--quiet', '-m', 'evil symlink');
    git(attacker, 'push', '--quiet', 'origin', 'main');
    const before = commitCount(remote);

    const repo = newRepo(remote);
    const error = await repo.commitRelease(release(shop).input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(GitOpsPathError);
    expect(String((error as Error).message)).toMatch(/symbolic link/);
    expect(readdirSync(outside)).toEqual([]);
    expect(commitCount(remote)).toBe(before);
    expect(await repo.readFile('apps/ws1/alice/shop/values.yaml')).toBeUndefined();
    await expect(repo.readFile('apps/ws1')).rejects.toThrow(GitOpsPathError);
  });

  it('replaces a committed symlinked file with a regular file, leaving its target alone', async () => {
    const outside = tempDir('outside');
    const target = path.join(outside, 'secret.yaml');
    writeFileSync(target, 'secret: keep\n');
    const attacker = tempDir('attacker');
    git(attacker, 'clone', '--quiet', remote, '.');
    mkdirSync(path.join(attacker, 'apps/ws1/alice/shop'), { recursive: true });
    symlinkSync(target, path.join(attacker, 'apps/ws1/alice/shop/values.yaml'));
    git(attacker, 'add', '.');
    git(attacker, 'commit', '--quiet', '-m', 'evil file link');
    git(attacker, 'push', '--quiet', 'origin', 'main');

    const repo = newRepo(remote);
    const { input } = release(shop);
    await repo.commitRelease(input);
    expect(readFileSync(target, 'utf8')).toBe('secret: keep\n');
    expect(git(remote, 'ls-tree', 'main', 'apps/ws1/alice/shop/values.yaml')).toMatch(/^100644 blob /);
    expect(git(remote, 'show', 'main:apps/ws1/alice/shop/values.yaml')).toBe(input.files['values.yaml']!.trim());
  });
});

describe('setup errors', () => {
  it('refuses a workDir that is a clone of another repository (terminal)', async () => {
    const a = makeRemote();
    const b = makeRemote();
    const repoA = newRepo(a);
    await repoA.ensureClone();
    const repoB = new GitOpsRepo({ url: b, branch: 'main', workDir: repoA.workDir, author: { name: 'x', email: 'x@y' } });
    const error = await repoB.commitRelease(release(shop).input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject(invalid);
  });

  it('refuses bad options and deployment ids up front', async () => {
    const remote = makeRemote();
    expect(() => newRepo(remote, { branch: '-delete' })).toThrow(ClientError);
    expect(() => newRepo(remote, { branch: 'a..b' })).toThrow(ClientError);
    expect(() => newRepo('--upload-pack=evil')).toThrow(ClientError);
    const repo = newRepo(remote);
    await expect(repo.commitRelease({ ...release(shop).input, deploymentId: 'x\nGitOps-Path: apps/other' })).rejects.toMatchObject(invalid);
    await expect(repo.findCommitByDeploymentId('--all')).rejects.toMatchObject(invalid);
  });

  it('reports an unreachable remote as transient', async () => {
    const repo = newRepo(path.join(base, 'does-not-exist.git'));
    const error = await repo.commitRelease(release(shop).input).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ClientError);
    expect(error).toMatchObject({ system: 'gitops', kind: 'unavailable', transient: true });
  });
});

describe('removeFolder', () => {
  let remote: string;
  beforeEach(() => {
    remote = makeRemote();
  });
  const bob: Identity = { workspaceId: 'ws1', userId: 'bob', projectName: 'api' };
  const undeployId = '9f8e7d6c-0000-4000-8000-000000000001';
  const removal = { path: 'apps/ws1/alice/shop', undeployId, message: 'Undeploy ws1/alice/shop' };
  const chartFiles = Object.keys(release(shop).input.files).length;
  const undeployCommits = () => git(remote, 'log', '--format=%H', '--fixed-strings', `--grep=Undeploy-Id: ${undeployId}`, 'main').split('\n').filter(Boolean);

  it('removes the folder in one commit with the trailers and leaves every other folder alone', async () => {
    const repo = newRepo(remote);
    await repo.commitRelease(release(shop).input);
    await repo.commitRelease(release(bob).input);
    const before = commitCount(remote);
    const result = await repo.removeFolder(removal);
    expect(result.created).toBe(true);
    expect(git(remote, 'rev-parse', 'main')).toBe(result.sha);
    expect(commitCount(remote)).toBe(before + 1);
    expect(remoteFiles(remote, 'apps/ws1/alice')).toEqual([]);
    expect(remoteFiles(remote, 'apps/ws1/bob/api')).toHaveLength(chartFiles);
    expect(
      git(remote, 'diff', '--name-only', `${result.sha}^`, result.sha!)
        .split('\n')
        .every((f) => f.startsWith('apps/ws1/alice/shop/')),
    ).toBe(true);
    const message = git(remote, 'log', '-1', '--format=%B', 'main');
    expect(message).toContain(`Undeploy-Id: ${undeployId}`);
    expect(message).toContain('GitOps-Path: apps/ws1/alice/shop');
    expect(undeployCommits()).toEqual([result.sha]);
  });

  it('a retry (another worker, another clone) finds the commit, even after the folder came back, and commits nothing', async () => {
    await newRepo(remote).commitRelease(release(shop).input);
    const first = await newRepo(remote).removeFolder(removal);
    // A new project of the same name deploys into the same folder afterwards.
    await newRepo(remote).commitRelease(release(shop).input);
    const head = git(remote, 'rev-parse', 'main');
    const again = await newRepo(remote).removeFolder(removal);
    expect(again).toEqual({ sha: first.sha, created: false });
    expect(git(remote, 'rev-parse', 'main')).toBe(head);
    expect(remoteFiles(remote, 'apps/ws1/alice/shop')).toHaveLength(chartFiles);
    expect(undeployCommits()).toEqual([first.sha]);
  });

  it('commits nothing when the folder is not there (a project that never deployed), or the branch is unborn', async () => {
    const head = git(remote, 'rev-parse', 'main');
    expect(await newRepo(remote).removeFolder(removal)).toEqual({ sha: undefined, created: false });
    expect(git(remote, 'rev-parse', 'main')).toBe(head);
    expect(await newRepo(makeRemote({ empty: true })).removeFolder(removal)).toEqual({ sha: undefined, created: false });
  });

  it('refuses the same undeploy id for another path (terminal) and bad ids or paths before any work', async () => {
    const repo = newRepo(remote);
    await repo.commitRelease(release(shop).input);
    await repo.commitRelease(release(bob).input);
    await repo.removeFolder(removal);
    await expect(repo.removeFolder({ ...removal, path: 'apps/ws1/bob/api' })).rejects.toMatchObject({ kind: 'conflict', transient: false });
    expect(remoteFiles(remote, 'apps/ws1/bob/api')).toHaveLength(chartFiles);
    await expect(repo.removeFolder({ ...removal, undeployId: '../x' })).rejects.toMatchObject(invalid);
    await expect(repo.removeFolder({ ...removal, path: 'apps/../..' })).rejects.toBeInstanceOf(GitOpsPathError);
  });

  it('retries a push that lost a race, on top of the other writer, with one removal commit', async () => {
    await newRepo(remote).commitRelease(release(shop).input);
    const hook = path.join(remote, 'hooks', 'pre-receive');
    writeFileSync(
      hook,
      `#!/bin/sh
cat >/dev/null
[ -f "$GIT_DIR/raced" ] && exit 0
touch "$GIT_DIR/raced"
unset GIT_QUARANTINE_PATH GIT_OBJECT_DIRECTORY GIT_ALTERNATE_OBJECT_DIRECTORIES
c=$(git -c user.name=racer -c user.email=racer@x commit-tree "$(git rev-parse main^{tree})" -p main -m "concurrent writer")
git update-ref refs/heads/main "$c"
`,
    );
    chmodSync(hook, 0o755);
    const retries: number[] = [];
    const result = await newRepo(remote, { onPushRetry: ({ attempt }) => retries.push(attempt) }).removeFolder(removal);
    expect(result.created).toBe(true);
    expect(retries).toEqual([1]);
    expect(git(remote, 'log', '--format=%s', '-2', 'main').split('\n')).toEqual(['Undeploy ws1/alice/shop', 'concurrent writer']);
    expect(undeployCommits()).toEqual([result.sha]);
    expect(remoteFiles(remote, 'apps')).toEqual([]);
  });
});
