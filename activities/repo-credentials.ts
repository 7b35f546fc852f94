// Which credential reads a project's repository, decided at the moment of use and never stored
// in a workflow: activities take a deployment id, look the credential up here, hand it to git or
// Jenkins, and return only facts (commit, framework, image). Nothing of it reaches Temporal.
//
// In order of preference:
//   1. a GitHub App installation token, minted for exactly that one repository with read access
//      to its contents, valid for an hour (when GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY are set
//      and the app is installed on the repository);
//   2. the project's own stored credential (PUT /v1/projects/:id/repo-credential), encrypted at
//      rest (lib/credential-crypto.ts);
//   3. none: the repository must be public.
import { ClientError } from '../clients/errors.js';
import type { GitHubAppClient } from '../clients/github-app.js';
import { parseGitHubRepo, webHostOf } from '../clients/github.js';
import type { GitCredential } from '../clients/git-source.js';
import { decryptCredential, parseKeyRing, type KeyRing } from '../lib/credential-crypto.js';
import type { Env } from '../lib/config.js';
import { terminal, TerminalFailure, transient, TransientFailure } from './errors.js';

export interface ProjectCredentialFields {
  id: string;
  repoUrl: string;
  repoCredential: string | null;
  repoCredentialUsername: string | null;
}

/** A credential, and a phrase naming where it came from, for messages that say what to fix. */
export interface ResolvedCredential {
  credential: GitCredential | undefined;
  source: 'github_app' | 'stored' | 'none';
  /** Why no GitHub App token was used, when one could have been (e.g. not installed there). */
  note?: string;
}

/**
 * No credential can be had right now: the same failure at resolve_source and at build (which
 * fetches the credential again). Retried when the GitHub App's token service was unavailable;
 * otherwise access is denied until someone fixes the set-up the message names.
 */
function credentialUnavailable(message: string, retryable: boolean) {
  return retryable ? transient(TransientFailure.unavailable, message) : terminal(TerminalFailure.sourceAccessDenied, message);
}

export interface RepoCredentials {
  forProject(project: ProjectCredentialFields): Promise<ResolvedCredential>;
  /** Every credential value this process has handed out, for masking logs. */
  knownSecrets(): string[];
}

export function keyRingOf(config: Pick<Env, 'CREDENTIAL_KEYS'>): KeyRing | undefined {
  return config.CREDENTIAL_KEYS ? parseKeyRing(config.CREDENTIAL_KEYS) : undefined;
}

export function createRepoCredentials({ config }: { config: Env }, githubApp: GitHubAppClient | undefined): RepoCredentials {
  const ring = keyRingOf(config);
  const handedOut = new Set<string>();
  const githubHosts = ['github.com', webHostOf(config.GITHUB_API_URL)];
  const remember = (credential: GitCredential) => {
    handedOut.add(credential.password);
    return credential;
  };

  async function fromGitHubApp(repoUrl: string): Promise<{ credential?: GitCredential; note?: string }> {
    const repo = githubApp ? parseGitHubRepo(repoUrl, githubHosts) : null;
    if (!githubApp || !repo) return {};
    try {
      const { token } = await githubApp.installationToken(repo.owner, repo.repo);
      return { credential: remember({ username: 'x-access-token', password: token }) };
    } catch (error) {
      // Not installed on this repository: another credential (or none) may still read it.
      if (error instanceof ClientError && error.kind === 'not_found') return { note: error.message };
      if (error instanceof ClientError) throw credentialUnavailable(`GitHub App token for ${repo.owner}/${repo.repo}: ${error.message}`, error.transient);
      throw error;
    }
  }

  return {
    async forProject(project) {
      const app = await fromGitHubApp(project.repoUrl);
      if (app.credential) return { credential: app.credential, source: 'github_app' };
      if (project.repoCredential) {
        if (!ring)
          throw credentialUnavailable(
            'The project has a stored repository credential but CREDENTIAL_KEYS is not set on the worker: set it to the keys the API encrypts with',
            false,
          );
        let password: string;
        try {
          password = decryptCredential(ring, project.repoCredential, project.id);
        } catch (error) {
          throw credentialUnavailable(
            `The project's repository credential cannot be decrypted: ${error instanceof Error ? error.message : String(error)}`,
            false,
          );
        }
        return {
          credential: remember({ username: project.repoCredentialUsername ?? 'x-access-token', password }),
          source: 'stored',
          ...(app.note ? { note: app.note } : {}),
        };
      }
      return { credential: undefined, source: 'none', ...(app.note ? { note: app.note } : {}) };
    },
    knownSecrets: () => [...handedOut],
  };
}

/** What to tell a tenant whose repository refused access, by where the credential came from. */
export function accessAdvice(projectId: string, resolved: ResolvedCredential): string {
  const set = `set a read-only token with PUT /v1/projects/${projectId}/repo-credential`;
  switch (resolved.source) {
    case 'github_app':
      return 'The GitHub App installation token was refused: check that the app is installed on this repository with "Contents: read" permission';
    case 'stored':
      return `The project's repository credential was refused: check that it can read this repository and has not expired or been revoked, then replace it with PUT /v1/projects/${projectId}/repo-credential`;
    case 'none':
      return `The repository is private or needs a credential, and the project has none: ${resolved.note ? `${resolved.note}; or ` : ''}${set}${resolved.note ? '' : " (or install the platform's GitHub App on it)"}`;
  }
}
