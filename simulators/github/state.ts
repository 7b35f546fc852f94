// What the simulated GitHub knows: repositories with branches and commits, webhooks,
// deployments with their statuses, and the record of API calls and webhook deliveries.
import { createHash } from 'node:crypto';
import { ZERO_SHA } from './payloads.js';
import type {
  DeliveryRecord,
  DeploymentState,
  GitHubRepoOptions,
  RecordedCall,
  SimUser,
  StoredCommit,
  StoredDeployment,
  StoredDeploymentStatus,
  StoredHook,
  StoredRepo,
} from './types.js';

const SHA_RE = /^[0-9a-f]{40}$/;

/** GitHub's timestamps: ISO 8601 without milliseconds. */
export const isoNow = (): string => new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');

/** A stable fake commit SHA for a seed (branch heads nobody specified). */
export const fakeSha = (seed: string): string => createHash('sha1').update(seed).digest('hex');

export const repoKey = (owner: string, name: string): string => `${owner}/${name}`.toLowerCase();

export interface NewHook {
  active: boolean;
  events: string[];
  config: StoredHook['config'];
}

export interface NewDeployment {
  sha: string;
  ref: string;
  task: string;
  payload: Record<string, unknown> | string;
  environment: string;
  description: string | null;
  transient_environment: boolean;
  production_environment: boolean;
}

export interface NewStatus {
  state: DeploymentState;
  description: string;
  environment?: string;
  log_url: string;
  environment_url: string;
  auto_inactive: boolean;
}

export class GitHubState {
  readonly repos = new Map<string, StoredRepo>();
  /** Live arrays: cleared in place on reset, so references handed out stay valid. */
  readonly calls: RecordedCall[] = [];
  readonly deliveries: DeliveryRecord[] = [];
  private ids = { repo: 0, hook: 0, deployment: 0, status: 0 };

  constructor(private readonly seed: GitHubRepoOptions[]) {
    this.reset();
  }

  reset(): void {
    this.repos.clear();
    this.calls.length = 0;
    this.deliveries.length = 0;
    // Realistic magnitudes: clients must not assume small ids (status ids exceed 2^31).
    this.ids = { repo: 700_000_000, hook: 480_000_000, deployment: 2_100_000_000, status: 10_000_000_000 };
    for (const r of this.seed) this.addRepo(r);
  }

  /** Adds a repository (one not seeded at start, e.g. a disk-backed one); it goes away on reset. */
  createRepo(r: GitHubRepoOptions & { gitDir?: string }): StoredRepo {
    if (this.repo(r.owner, r.repo)) throw new Error(`GitHub simulator: ${r.owner}/${r.repo} already exists`);
    const repo = this.addRepo(r);
    repo.gitDir = r.gitDir;
    return repo;
  }

  /** Replaces the branches and commits of a disk-backed repository with what its bare repository holds. */
  mirrorGit(repo: StoredRepo, branches: Map<string, string>, commits: StoredCommit[]): void {
    repo.branches = branches;
    repo.commits = new Map(commits.map((commit) => [commit.sha, commit]));
    repo.pushedAt = isoNow();
  }

  private addRepo(r: GitHubRepoOptions): StoredRepo {
    const now = isoNow();
    const defaultBranch = r.defaultBranch ?? 'main';
    const branches = { ...r.branches };
    branches[defaultBranch] ??= fakeSha(`${r.owner}/${r.repo}@${defaultBranch}`);
    const repo: StoredRepo = {
      id: ++this.ids.repo,
      owner: r.owner,
      name: r.repo,
      fullName: `${r.owner}/${r.repo}`,
      private: r.private ?? false,
      defaultBranch,
      cloneUrl: r.cloneUrl,
      createdAt: now,
      pushedAt: now,
      branches: new Map(),
      commits: new Map(),
      hooks: new Map(),
      deployments: new Map(),
    };
    for (const [branch, sha] of Object.entries(branches)) {
      if (!SHA_RE.test(sha)) throw new Error(`GitHub simulator: branch ${branch} of ${repo.fullName} needs a 40-hex SHA, got ${sha}`);
      repo.branches.set(branch, sha);
      this.ensureCommit(repo, sha, `Head of ${branch}`, []);
    }
    this.repos.set(repoKey(r.owner, r.repo), repo);
    return repo;
  }

  /** Owner and repository names are case-insensitive, as on GitHub. */
  repo(owner: string, name: string): StoredRepo | undefined {
    return this.repos.get(repoKey(owner, name));
  }

  private ensureCommit(repo: StoredRepo, sha: string, message: string, parents: string[]): StoredCommit {
    let commit = repo.commits.get(sha);
    if (!commit) {
      commit = { sha, message, parents, date: isoNow() };
      repo.commits.set(sha, commit);
    }
    return commit;
  }

  /** A branch name, `refs/heads/<branch>`, a full SHA or an unambiguous prefix of 7+ hex digits. */
  resolveRef(repo: StoredRepo, ref: string): string | undefined {
    const branch = repo.branches.get(ref.replace(/^refs\/heads\//, ''));
    if (branch) return branch;
    const lower = ref.toLowerCase();
    if (SHA_RE.test(lower)) return repo.commits.has(lower) ? lower : undefined;
    if (/^[0-9a-f]{7,39}$/.test(lower)) {
      const matches = [...repo.commits.keys()].filter((sha) => sha.startsWith(lower));
      return matches.length === 1 ? matches[0] : undefined;
    }
    return undefined;
  }

  /** Moves (or creates) a branch, as a push would. */
  setBranch(repo: StoredRepo, branch: string, sha: string, message?: string): { before: string; after: string; created: boolean } {
    const before = repo.branches.get(branch);
    this.ensureCommit(repo, sha, message ?? `Commit ${sha.slice(0, 7)} on ${branch}`, before && before !== sha ? [before] : []);
    repo.branches.set(branch, sha);
    repo.pushedAt = isoNow();
    return { before: before ?? ZERO_SHA, after: sha, created: before === undefined };
  }

  deleteBranch(repo: StoredRepo, branch: string): string | undefined {
    const before = repo.branches.get(branch);
    if (before === undefined || branch === repo.defaultBranch) return undefined;
    repo.branches.delete(branch);
    repo.pushedAt = isoNow();
    return before;
  }

  addHook(repo: StoredRepo, hook: NewHook): StoredHook {
    const now = isoNow();
    const stored: StoredHook = {
      id: ++this.ids.hook,
      type: 'Repository',
      name: 'web',
      active: hook.active,
      events: hook.events,
      config: hook.config,
      created_at: now,
      updated_at: now,
      last_response: { code: null, status: 'unused', message: null },
      repository: repo.fullName,
    };
    repo.hooks.set(stored.id, stored);
    return stored;
  }

  addDeployment(repo: StoredRepo, d: NewDeployment, creator: SimUser): StoredDeployment {
    const now = isoNow();
    const stored: StoredDeployment = {
      id: ++this.ids.deployment,
      ...d,
      original_environment: d.environment,
      creator,
      created_at: now,
      updated_at: now,
      statuses: [],
    };
    repo.deployments.set(stored.id, stored);
    return stored;
  }

  addStatus(repo: StoredRepo, deployment: StoredDeployment, s: NewStatus, creator: SimUser): StoredDeploymentStatus {
    const status = this.pushStatus(deployment, { ...s, environment: s.environment ?? deployment.environment }, creator);
    if (s.environment) deployment.environment = s.environment;
    // auto_inactive: earlier successful deployments to the same non-transient, non-production
    // environment get an `inactive` status (GitHub's documented behaviour).
    if (s.state === 'success' && s.auto_inactive) {
      for (const other of repo.deployments.values()) {
        if (other.id === deployment.id || other.environment !== deployment.environment) continue;
        if (other.transient_environment || other.production_environment || other.id > deployment.id) continue;
        if (other.statuses.at(-1)?.state !== 'success') continue;
        this.pushStatus(other, { state: 'inactive', description: '', environment: other.environment, log_url: '', environment_url: '' }, creator);
      }
    }
    return status;
  }

  private pushStatus(
    deployment: StoredDeployment,
    s: Omit<StoredDeploymentStatus, 'id' | 'creator' | 'created_at' | 'updated_at'>,
    creator: SimUser,
  ): StoredDeploymentStatus {
    const now = isoNow();
    const status: StoredDeploymentStatus = { id: ++this.ids.status, ...s, creator, created_at: now, updated_at: now };
    deployment.statuses.push(status);
    deployment.updated_at = now;
    return status;
  }

  recordDelivery(record: DeliveryRecord): void {
    this.deliveries.push(record);
  }
}
