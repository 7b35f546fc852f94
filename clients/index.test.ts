// createClients: one of each client from the config, the optional ones only when configured, and
// only the named ones when a process asks for a few (the API asks for GitHub alone).
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { ArgoCdClient } from './argocd.js';
import { GitSource } from './git-source.js';
import { GitHubClient } from './github.js';
import { GitHubAppClient } from './github-app.js';
import { GitOpsRepo } from './gitops-repo.js';
import { HarborClient } from './harbor.js';
import { createClients } from './index.js';
import { JenkinsClient } from './jenkins.js';

const base = { DATABASE_URL: 'postgresql://user:pw@127.0.0.1:5432/engine' };
// Never used to sign: GitHubAppClient reads the key at its first mint.
const PEM = '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----';

describe('createClients', () => {
  it('builds every outside-system client, leaving GitHub and the GitHub App out when not configured', () => {
    const clients = createClients(loadConfig({ ...base, GITOPS_WORKDIR: 'some/gitops-work' }));
    expect(clients.jenkins).toBeInstanceOf(JenkinsClient);
    expect(clients.harbor).toBeInstanceOf(HarborClient);
    expect(clients.harborRobotAdmin).toBeInstanceOf(HarborClient);
    expect(clients.harborRobotAdmin).not.toBe(clients.harbor);
    expect(clients.argocd).toBeInstanceOf(ArgoCdClient);
    expect(clients.gitops).toBeInstanceOf(GitOpsRepo);
    expect(clients.gitops.workDir).toBe(path.resolve('some/gitops-work'));
    expect(clients.git).toBeInstanceOf(GitSource);
    expect(clients.github).toBeUndefined();
    expect(clients.githubApp).toBeUndefined();
  });

  it('builds GitHub with a token and the GitHub App with its id and key', () => {
    const clients = createClients(
      loadConfig({ ...base, GITHUB_TOKEN: 'ghp_test', GITHUB_API_URL: 'https://ghe.example.com/api/v3', GITHUB_APP_ID: '42', GITHUB_APP_PRIVATE_KEY: PEM }),
    );
    expect(clients.github).toBeInstanceOf(GitHubClient);
    expect(clients.github?.webHost).toBe('ghe.example.com');
    expect(clients.githubApp).toBeInstanceOf(GitHubAppClient);
  });

  it('builds only the clients named', () => {
    const clients = createClients(loadConfig({ ...base, GITHUB_TOKEN: 'ghp_test' }), ['github']);
    expect(Object.keys(clients)).toEqual(['github']);
    expect(clients.github).toBeInstanceOf(GitHubClient);
  });
});
