// createClients(config): every outside-system client of the engine, built once from the
// validated config. The worker (worker.ts) and the API (api/server.ts) call it at start and hand
// the result down through their dependencies, so one instance of each client serves every
// activity (one Argo CD session, one GitHub App token cache) and a test swaps a client in one
// place. Building a client does no I/O; the clients know HTTP or git, nothing of Temporal.
import path from 'node:path';
import type { Env } from '../lib/config.js';
import { ArgoCdClient } from './argocd.js';
import { GitSource } from './git-source.js';
import { GitHubClient } from './github.js';
import { GitHubAppClient } from './github-app.js';
import { GitOpsRepo } from './gitops-repo.js';
import { HarborClient } from './harbor.js';
import { JenkinsClient } from './jenkins.js';

export interface Clients {
  /** The build job (JENKINS_*). */
  jenkins: JenkinsClient;
  /** Harbor as the deployer (HARBOR_USERNAME): reads artifacts, starts scans. */
  harbor: HarborClient;
  /** Harbor as an account that may create robots (HARBOR_ROBOT_ADMIN_*, its password or HARBOR_PASSWORD): the workspaces' pull robots. */
  harborRobotAdmin: HarborClient;
  argocd: ArgoCdClient;
  /** The engine's clone of the GitOps repository (GITOPS_*). */
  gitops: GitOpsRepo;
  /** GitHub's API with GITHUB_TOKEN; undefined without a token (GitHub is then an ordinary git host). */
  github: GitHubClient | undefined;
  /** The GitHub App that mints per-repository read tokens; undefined unless GITHUB_APP_ID and its key are set. */
  githubApp: GitHubAppClient | undefined;
  /** git for tenants' source repositories, with scratch space under WORK_DIR. */
  git: GitSource;
}

const builders: { [K in keyof Clients]: (config: Env) => Clients[K] } = {
  jenkins: (config) =>
    new JenkinsClient({ baseUrl: config.JENKINS_URL, user: config.JENKINS_USER, apiToken: config.JENKINS_API_TOKEN, jobPath: config.JENKINS_JOB }),
  harbor: (config) =>
    new HarborClient({ baseUrl: config.HARBOR_URL, username: config.HARBOR_USERNAME, password: config.HARBOR_PASSWORD, project: config.HARBOR_PROJECT }),
  harborRobotAdmin: (config) =>
    new HarborClient({
      baseUrl: config.HARBOR_URL,
      username: config.HARBOR_ROBOT_ADMIN_USERNAME,
      password: config.HARBOR_ROBOT_ADMIN_PASSWORD ?? config.HARBOR_PASSWORD,
      project: config.HARBOR_PROJECT,
    }),
  argocd: (config) =>
    new ArgoCdClient({ baseUrl: config.ARGOCD_URL, token: config.ARGOCD_TOKEN, username: config.ARGOCD_USERNAME, password: config.ARGOCD_PASSWORD }),
  gitops: (config) =>
    new GitOpsRepo({
      url: config.GITOPS_REPO_URL,
      branch: config.GITOPS_BRANCH,
      workDir: path.resolve(config.GITOPS_WORKDIR),
      author: { name: config.GITOPS_AUTHOR_NAME, email: config.GITOPS_AUTHOR_EMAIL },
      ...(config.GITOPS_SSH_KEY_FILE && config.GITOPS_SSH_KNOWN_HOSTS_FILE
        ? { ssh: { keyFile: config.GITOPS_SSH_KEY_FILE, knownHostsFile: config.GITOPS_SSH_KNOWN_HOSTS_FILE } }
        : {}),
    }),
  github: (config) => (config.GITHUB_TOKEN ? new GitHubClient({ token: config.GITHUB_TOKEN, baseUrl: config.GITHUB_API_URL }) : undefined),
  githubApp: (config) =>
    config.GITHUB_APP_ID && config.GITHUB_APP_PRIVATE_KEY
      ? new GitHubAppClient({ appId: config.GITHUB_APP_ID, privateKeyPem: config.GITHUB_APP_PRIVATE_KEY, baseUrl: config.GITHUB_API_URL })
      : undefined,
  git: (config) => new GitSource(config.WORK_DIR),
};

/**
 * Every client, or only those named in `only`. The API names the one it uses (GitHub), so it
 * holds no Harbor account that could create robots, and a setting only the worker reads (a
 * Jenkins URL, the GitOps branch) cannot stop the API from starting.
 */
export function createClients<K extends keyof Clients = keyof Clients>(config: Env, only?: readonly K[]): Pick<Clients, K> {
  const names = only ?? (Object.keys(builders) as K[]);
  return Object.fromEntries(names.map((name) => [name, builders[name](config)])) as Pick<Clients, K>;
}
