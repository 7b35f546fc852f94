// The GitHub simulator's options and the objects it stores. Responses are rendered from these
// by render.ts; the webhook delivery callback receives a stored hook (with its real secret).
import type { ScenarioStore } from '../common/scenario.js';

export interface GitHubRepoOptions {
  owner: string;
  repo: string;
  /** Default `main`; created with a generated head SHA when `branches` does not name it. */
  defaultBranch?: string;
  /** Branch name -> head SHA (40 hex). Default: only the default branch. */
  branches?: Record<string, string>;
  private?: boolean;
  /** What `clone_url` answers (e.g. a file:// URL a test can clone). Default `https://<webHost>/<owner>/<repo>.git`. */
  cloneUrl?: string;
}

/** A repository backed by a real bare git repository, served over smart HTTP (POST /_sim/github/git-repos). */
export interface GitRepoOptions {
  owner: string;
  repo: string;
  private?: boolean;
  /** The default branch, holding the first commit. Default `main`. */
  branch?: string;
  /** Path -> content of the first commit. */
  files: Record<string, string>;
  message?: string;
}

/** What the simulator knows about one delivery besides the hook: its GUID (X-GitHub-Delivery). */
export interface DeliveryContext {
  guid: string;
  repositoryId: number;
}

/** Delivers one webhook event; reject (or take longer than 10 s) = a failed delivery. */
export type WebhookDelivery = (hook: StoredHook, event: string, payload: Record<string, unknown>, delivery: DeliveryContext) => Promise<void>;

export interface GitHubSimulatorOptions {
  /** Accepted personal access tokens (`Authorization: token <t>` or `Bearer <t>`). */
  tokens: string[];
  repos: GitHubRepoOptions[];
  /** Called for every webhook event (ping on creation and on POST .../pings, push on a branch change). */
  webhookDelivery?: WebhookDelivery;
  /** Host of the web URLs (`html_url`, `clone_url`, `ssh_url`). Default `github.com`. */
  webHost?: string;
  /** Shared scenario store for the /_sim control API (one world); default a private one. */
  scenarios?: ScenarioStore;
  /** Primary rate limit per token and hour. Default 5000, as for a personal access token. */
  rateLimit?: number;
  /** Bound on one webhook delivery, like GitHub's 10 s. */
  deliveryTimeoutMs?: number;
  /** Errors of background deliveries; default: recorded in `deliveries` only. */
  onError?: (error: unknown) => void;
  /** Where disk-backed repositories live; default a temporary directory removed by close(). */
  gitRoot?: string;
}

export interface SimUser {
  login: string;
  id: number;
}

export interface StoredCommit {
  sha: string;
  message: string;
  parents: string[];
  date: string;
}

export interface StoredRepo {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  cloneUrl?: string;
  /** The bare repository on disk (disk-backed repositories only); branches and commits mirror it. */
  gitDir?: string;
  createdAt: string;
  pushedAt: string;
  /** Branch name -> head SHA. */
  branches: Map<string, string>;
  commits: Map<string, StoredCommit>;
  hooks: Map<number, StoredHook>;
  deployments: Map<number, StoredDeployment>;
}

export interface StoredHook {
  id: number;
  type: 'Repository';
  name: 'web';
  active: boolean;
  events: string[];
  config: { url: string; content_type: 'json' | 'form'; secret?: string; insecure_ssl: '0' | '1' };
  created_at: string;
  updated_at: string;
  last_response: { code: number | null; status: string | null; message: string | null };
  /** owner/repo of the repository the hook belongs to. */
  repository: string;
}

export const deploymentStates = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success'] as const;
export type DeploymentState = (typeof deploymentStates)[number];

export interface StoredDeploymentStatus {
  id: number;
  state: DeploymentState;
  description: string;
  environment: string;
  log_url: string;
  environment_url: string;
  creator: SimUser;
  created_at: string;
  updated_at: string;
}

export interface StoredDeployment {
  id: number;
  sha: string;
  ref: string;
  task: string;
  payload: Record<string, unknown> | string;
  environment: string;
  original_environment: string;
  description: string | null;
  transient_environment: boolean;
  production_environment: boolean;
  creator: SimUser;
  created_at: string;
  updated_at: string;
  /** Oldest first; the API lists them newest first. */
  statuses: StoredDeploymentStatus[];
}

/** One API request as the simulator saw it (the control API and faulted requests excluded). */
export interface RecordedCall {
  method: string;
  /** The path without the query, e.g. `/repos/acme/shop/hooks`. */
  path: string;
  /** The query string without `?` ('' when none). */
  query: string;
  /** The JSON body with secrets, tokens and passwords masked; undefined without a body. */
  body: unknown;
  status: number;
  /** ISO time the request arrived. */
  time: string;
  requestId: string;
  /** Login of the token's user, when the token was accepted. */
  user?: string;
}

export interface DeliveryRecord {
  /** X-GitHub-Delivery of this delivery. */
  guid: string;
  hookId: number;
  repository: string;
  event: string;
  ok: boolean;
  error?: string;
  time: string;
  durationMs: number;
}
