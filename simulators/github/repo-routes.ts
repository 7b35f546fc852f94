// GET /repos/{owner}/{repo}, .../branches/{branch}, .../commits/{ref}.
import { Hono } from 'hono';
import type { GitHubEnv } from './auth.js';
import { repoOf, urlsFor, type RouteDeps } from './context.js';
import { DOCS, githubError, notFound } from './errors.js';
import { branchJson, commitJson, repoJson } from './render.js';

export function createRepoRoutes({ state, webHost }: RouteDeps): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  app.get('/repos/:owner/:repo', (c) => {
    const repo = repoOf(c, state);
    return repo ? c.json(repoJson(repo, urlsFor(c, webHost))) : notFound(c, DOCS.getRepo);
  });

  // Branch names may contain `/`, sent encoded (`feature%2Fx`, as Octokit does) or not.
  app.get('/repos/:owner/:repo/branches/:branch{.+}', (c) => {
    const repo = repoOf(c, state);
    if (!repo) return notFound(c, DOCS.getBranch);
    const name = c.req.param('branch');
    const sha = repo.branches.get(name);
    const commit = sha ? repo.commits.get(sha) : undefined;
    if (!commit) return githubError(c, 404, 'Branch not found', DOCS.getBranch);
    return c.json(branchJson(repo, name, commit, urlsFor(c, webHost)));
  });

  app.get('/repos/:owner/:repo/commits/:ref{.+}', (c) => {
    const repo = repoOf(c, state);
    if (!repo) return notFound(c, DOCS.getCommit);
    const ref = c.req.param('ref');
    const sha = state.resolveRef(repo, ref);
    const commit = sha ? repo.commits.get(sha) : undefined;
    if (!commit) return githubError(c, 422, `No commit found for SHA: ${ref}`, DOCS.getCommit);
    return c.json(commitJson(repo, commit, urlsFor(c, webHost)));
  });

  return app;
}
