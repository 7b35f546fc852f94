// Writes the bootstrap manifests (gitops/bootstrap.ts renders them) into the GitOps repository:
// creates a missing local bare repository, then commits bootstrap/ through the engine's own
// GitOps client, once (a second run changes nothing). Used by scripts/gitops-bootstrap.ts (the
// CLI, which the dev stack runs) and by the test stacks; the engine itself never writes bootstrap/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { simpleGit } from 'simple-git';
import { GitOpsRepo, isLocalRepoUrl, type CommitResult } from '../../clients/gitops-repo.js';
import { BOOTSTRAP_DIR, BootstrapConfigError, renderBootstrapFiles, type PullCredentialStoreOptions } from '../../gitops/bootstrap.js';
import type { NamespaceScope } from '../../gitops/naming.js';

const EMPTY_TREE_INPUT = '/dev/null';

/**
 * For a local path (or file:// URL) that does not exist: creates a bare repository there with
 * one empty initial commit on `branch`. Returns true when it created one.
 */
export async function ensureBareRepo(pathOrUrl: string, branch: string, author: { name: string; email: string }): Promise<boolean> {
  let dir: string;
  if (pathOrUrl.startsWith('file://')) dir = fileURLToPath(pathOrUrl);
  else if (isLocalRepoUrl(pathOrUrl)) dir = path.resolve(pathOrUrl);
  else return false;
  if (existsSync(dir)) return false;
  await mkdir(dir, { recursive: true });
  const git = simpleGit({ baseDir: dir, config: [`user.name=${author.name}`, `user.email=${author.email}`, 'commit.gpgsign=false'] });
  await git.raw(['init', '--quiet', '--bare', `--initial-branch=${branch}`]);
  const emptyTree = (await git.raw(['hash-object', '-w', '-t', 'tree', EMPTY_TREE_INPUT])).trim();
  const commit = (await git.raw(['commit-tree', emptyTree, '-m', 'Initialize the GitOps repository'])).trim();
  await git.raw(['update-ref', `refs/heads/${branch}`, commit]);
  return true;
}

export interface BootstrapOptions {
  /** Remote URL or local path of the GitOps repository. */
  repo: string;
  branch: string;
  author: { name: string; email: string };
  /** URL written into the manifests (what Argo CD clones); defaults to `repo` (a path becomes a file:// URL). */
  argocdRepoUrl?: string;
  argocdNamespace?: string;
  project?: string;
  /** Clone to use; a temporary one (removed afterwards) when omitted. */
  workDir?: string;
  namespaceScope: NamespaceScope;
  requeueAfterSeconds?: number;
  pullCredentials?: PullCredentialStoreOptions;
}

export interface BootstrapResult extends CommitResult {
  /** True when the repository did not exist and was created. */
  createdRepo: boolean;
  files: string[];
}

/** Writes bootstrap/ into the GitOps repository. Running it again changes nothing. */
export async function bootstrapGitOpsRepo(options: BootstrapOptions): Promise<BootstrapResult> {
  const createdRepo = await ensureBareRepo(options.repo, options.branch, options.author);
  const argocdRepoUrl = options.argocdRepoUrl ?? (isLocalRepoUrl(options.repo) ? `file://${path.resolve(options.repo)}` : options.repo);
  if (/[\s\0]/.test(argocdRepoUrl)) throw new BootstrapConfigError(`invalid repository URL for Argo CD: ${JSON.stringify(argocdRepoUrl)}`);
  const files = renderBootstrapFiles({
    repoUrl: argocdRepoUrl,
    branch: options.branch,
    argocdNamespace: options.argocdNamespace,
    project: options.project,
    namespaceScope: options.namespaceScope,
    requeueAfterSeconds: options.requeueAfterSeconds,
    pullCredentials: options.pullCredentials,
  });
  const temporary = options.workDir ? undefined : await mkdtemp(path.join(os.tmpdir(), 'gitops-bootstrap-'));
  try {
    const workDir = options.workDir ?? path.join(temporary!, 'clone');
    const repo = new GitOpsRepo({ url: options.repo, branch: options.branch, workDir, author: options.author });
    const result = await repo.commitFiles({ path: BOOTSTRAP_DIR, files, message: 'Bootstrap Argo CD: app of apps, ApplicationSet for user projects' });
    return { ...result, createdRepo, files: Object.keys(files).map((name) => `${BOOTSTRAP_DIR}/${name}`) };
  } finally {
    if (temporary) await rm(temporary, { recursive: true, force: true });
  }
}
