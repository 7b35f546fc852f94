// The JSON GitHub answers for each stored object. `api` is the origin the request came to (so
// `url` fields point back at the simulator); `web` is the web host (`https://github.com`).
import type { SimUser, StoredCommit, StoredDeployment, StoredDeploymentStatus, StoredHook, StoredRepo } from './types.js';

export interface Urls {
  api: string;
  web: string;
  /** Host name of `web`, for ssh URLs. */
  webHost: string;
}

export const MASKED = '********';

const nodeId = (prefix: string, id: number | string) => `${prefix}_${Buffer.from(`sim:${id}`).toString('base64url')}`;

/** A stable user id for an owner login (the simulator keeps no user table). */
export function ownerId(login: string): number {
  let h = 0;
  for (const ch of login.toLowerCase()) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return 1_000_000 + (h % 90_000_000);
}

export function userJson(user: SimUser, urls: Urls, type: 'User' | 'Organization' = 'User') {
  return {
    login: user.login,
    id: user.id,
    node_id: nodeId('U', user.id),
    avatar_url: `https://avatars.githubusercontent.com/u/${user.id}?v=4`,
    gravatar_id: '',
    url: `${urls.api}/users/${user.login}`,
    html_url: `${urls.web}/${user.login}`,
    type,
    user_view_type: 'public',
    site_admin: false,
  };
}

const repoApi = (repo: StoredRepo, urls: Urls) => `${urls.api}/repos/${repo.fullName}`;

export function repoJson(repo: StoredRepo, urls: Urls) {
  const api = repoApi(repo, urls);
  const html = `${urls.web}/${repo.fullName}`;
  return {
    id: repo.id,
    node_id: nodeId('R', repo.id),
    name: repo.name,
    full_name: repo.fullName,
    private: repo.private,
    owner: userJson({ login: repo.owner, id: ownerId(repo.owner) }, urls),
    html_url: html,
    description: null,
    fork: false,
    url: api,
    hooks_url: `${api}/hooks`,
    branches_url: `${api}/branches{/branch}`,
    commits_url: `${api}/commits{/sha}`,
    deployments_url: `${api}/deployments`,
    git_url: `git://${urls.webHost}/${repo.fullName}.git`,
    ssh_url: `git@${urls.webHost}:${repo.fullName}.git`,
    clone_url: repo.cloneUrl ?? `${html}.git`,
    svn_url: html,
    homepage: null,
    size: 0,
    language: null,
    archived: false,
    disabled: false,
    visibility: repo.private ? 'private' : 'public',
    default_branch: repo.defaultBranch,
    created_at: repo.createdAt,
    updated_at: repo.pushedAt,
    pushed_at: repo.pushedAt,
    permissions: { admin: true, maintain: true, push: true, triage: true, pull: true },
  };
}

export function commitJson(repo: StoredRepo, commit: StoredCommit, urls: Urls) {
  const api = repoApi(repo, urls);
  const html = `${urls.web}/${repo.fullName}`;
  const person = { name: 'Simulated Developer', email: 'dev@example.com', date: commit.date };
  return {
    sha: commit.sha,
    node_id: nodeId('C', commit.sha),
    commit: {
      author: person,
      committer: person,
      message: commit.message,
      tree: { sha: commit.sha.split('').reverse().join(''), url: `${api}/git/trees/${commit.sha.split('').reverse().join('')}` },
      url: `${api}/git/commits/${commit.sha}`,
      comment_count: 0,
      verification: { verified: false, reason: 'unsigned', signature: null, payload: null, verified_at: null },
    },
    url: `${api}/commits/${commit.sha}`,
    html_url: `${html}/commit/${commit.sha}`,
    comments_url: `${api}/commits/${commit.sha}/comments`,
    author: null,
    committer: null,
    parents: commit.parents.map((sha) => ({ sha, url: `${api}/commits/${sha}`, html_url: `${html}/commit/${sha}` })),
  };
}

export function branchJson(repo: StoredRepo, name: string, commit: StoredCommit, urls: Urls) {
  const api = repoApi(repo, urls);
  return {
    name,
    commit: commitJson(repo, commit, urls),
    _links: { self: `${api}/branches/${encodeURIComponent(name)}`, html: `${urls.web}/${repo.fullName}/tree/${name}` },
    protected: false,
    protection: { enabled: false, required_status_checks: { enforcement_level: 'off', contexts: [], checks: [] } },
    protection_url: `${api}/branches/${encodeURIComponent(name)}/protection`,
  };
}

/** A hook as the API shows it: the secret is never returned, only `********` when one is set. */
export function hookJson(repo: StoredRepo, hook: StoredHook, urls: Urls) {
  const url = `${repoApi(repo, urls)}/hooks/${hook.id}`;
  const { secret, ...config } = hook.config;
  return {
    type: hook.type,
    id: hook.id,
    name: hook.name,
    active: hook.active,
    events: hook.events,
    config: { content_type: config.content_type, insecure_ssl: config.insecure_ssl, url: config.url, ...(secret ? { secret: MASKED } : {}) },
    updated_at: hook.updated_at,
    created_at: hook.created_at,
    url,
    test_url: `${url}/test`,
    ping_url: `${url}/pings`,
    deliveries_url: `${url}/deliveries`,
    last_response: hook.last_response,
  };
}

export function deploymentJson(repo: StoredRepo, d: StoredDeployment, urls: Urls) {
  const api = repoApi(repo, urls);
  return {
    url: `${api}/deployments/${d.id}`,
    id: d.id,
    node_id: nodeId('DE', d.id),
    task: d.task,
    original_environment: d.original_environment,
    environment: d.environment,
    description: d.description,
    created_at: d.created_at,
    updated_at: d.updated_at,
    statuses_url: `${api}/deployments/${d.id}/statuses`,
    repository_url: api,
    creator: userJson(d.creator, urls),
    sha: d.sha,
    ref: d.ref,
    payload: d.payload,
    transient_environment: d.transient_environment,
    production_environment: d.production_environment,
    performed_via_github_app: null,
  };
}

export function statusJson(repo: StoredRepo, d: StoredDeployment, s: StoredDeploymentStatus, urls: Urls) {
  const api = repoApi(repo, urls);
  return {
    url: `${api}/deployments/${d.id}/statuses/${s.id}`,
    id: s.id,
    node_id: nodeId('DES', s.id),
    state: s.state,
    creator: userJson(s.creator, urls),
    description: s.description,
    environment: s.environment,
    target_url: s.log_url,
    created_at: s.created_at,
    updated_at: s.updated_at,
    deployment_url: `${api}/deployments/${d.id}`,
    repository_url: api,
    environment_url: s.environment_url,
    log_url: s.log_url,
    performed_via_github_app: null,
  };
}
