// Deployments and deployment statuses. The ref is resolved to a SHA at creation (a branch,
// a full or short SHA); GitHub has no `sha` parameter, so a `sha` in the body is ignored.
import { Hono } from 'hono';
import { z } from 'zod';
import type { GitHubEnv } from './auth.js';
import { readBody } from './body.js';
import { idParam, repoOf, urlsFor, type GitHubContext, type RouteDeps } from './context.js';
import { DOCS, errorBody, githubError, notFound, validationFailed } from './errors.js';
import { paginate } from './pagination.js';
import { deploymentJson, statusJson } from './render.js';
import { deploymentStates, type StoredRepo } from './types.js';

export const MAX_STATUS_DESCRIPTION = 140;

const createSchema = z.looseObject({
  ref: z.string(),
  task: z.string().optional(),
  auto_merge: z.boolean().optional(),
  required_contexts: z.array(z.string()).optional(),
  payload: z.union([z.record(z.string(), z.unknown()), z.string()]).optional(),
  environment: z.string().optional(),
  description: z.string().nullable().optional(),
  transient_environment: z.boolean().optional(),
  production_environment: z.boolean().optional(),
});

const statusSchema = z.looseObject({
  state: z.enum(deploymentStates),
  target_url: z.string().optional(),
  log_url: z.string().optional(),
  description: z.string().optional(),
  environment: z.string().optional(),
  environment_url: z.string().optional(),
  auto_inactive: z.boolean().optional(),
});

export function createDeploymentRoutes({ state, webHost }: RouteDeps): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();
  const deploymentOf = (c: GitHubContext, repo: StoredRepo) => {
    const id = idParam(c, 'deployment_id');
    return id === undefined ? undefined : repo.deployments.get(id);
  };

  app.post('/repos/:owner/:repo/deployments', async (c) => {
    const repo = repoOf(c, state);
    if (!repo) return notFound(c, DOCS.createDeployment);
    const body = await readBody(c, createSchema, DOCS.createDeployment);
    if (!body.ok) return body.response;
    const b = body.data;
    const sha = state.resolveRef(repo, b.ref);
    if (!sha) return githubError(c, 422, `No ref found for: ${b.ref}`, DOCS.createDeployment);
    // The simulator has no commit statuses: any required context is missing.
    if (b.required_contexts && b.required_contexts.length > 0) {
      const contexts = b.required_contexts.map((context) => ({ context, state: 'missing' }));
      return c.json(
        {
          ...errorBody(409, `Conflict: Commit status checks failed for ${b.ref}.`, DOCS.createDeployment),
          errors: [{ contexts, resource: 'Deployment', field: 'required_contexts', code: 'invalid' }],
        },
        409,
      );
    }
    const environment = b.environment ?? 'production';
    const deployment = state.addDeployment(
      repo,
      {
        sha,
        ref: b.ref,
        task: b.task ?? 'deploy',
        payload: b.payload ?? {},
        environment,
        description: b.description ?? '',
        transient_environment: b.transient_environment ?? false,
        production_environment: b.production_environment ?? environment === 'production',
      },
      c.get('user'),
    );
    return c.json(deploymentJson(repo, deployment, urlsFor(c, webHost)), 201);
  });

  app.get('/repos/:owner/:repo/deployments', (c) => {
    const repo = repoOf(c, state);
    if (!repo) return notFound(c);
    const q = c.req.query();
    const matching = [...repo.deployments.values()]
      .filter(
        (d) =>
          (q.sha === undefined || d.sha === q.sha) &&
          (q.ref === undefined || d.ref === q.ref) &&
          (q.task === undefined || d.task === q.task) &&
          (q.environment === undefined || d.environment === q.environment),
      )
      .reverse();
    const urls = urlsFor(c, webHost);
    return c.json(paginate(c, matching).map((d) => deploymentJson(repo, d, urls)));
  });

  app.get('/repos/:owner/:repo/deployments/:deployment_id', (c) => {
    const repo = repoOf(c, state);
    const deployment = repo && deploymentOf(c, repo);
    return repo && deployment ? c.json(deploymentJson(repo, deployment, urlsFor(c, webHost))) : notFound(c, DOCS.getDeployment);
  });

  app.post('/repos/:owner/:repo/deployments/:deployment_id/statuses', async (c) => {
    const repo = repoOf(c, state);
    const deployment = repo && deploymentOf(c, repo);
    if (!repo || !deployment) return notFound(c, DOCS.createStatus);
    const body = await readBody(c, statusSchema, DOCS.createStatus);
    if (!body.ok) return body.response;
    const b = body.data;
    const description = b.description ?? '';
    if ([...description].length > MAX_STATUS_DESCRIPTION) {
      return validationFailed(
        c,
        [
          {
            resource: 'DeploymentStatus',
            code: 'custom',
            field: 'description',
            message: `description is too long (maximum is ${MAX_STATUS_DESCRIPTION} characters)`,
          },
        ],
        DOCS.createStatus,
      );
    }
    const status = state.addStatus(
      repo,
      deployment,
      {
        state: b.state,
        description,
        environment: b.environment,
        log_url: b.log_url ?? b.target_url ?? '',
        environment_url: b.environment_url ?? '',
        auto_inactive: b.auto_inactive ?? true,
      },
      c.get('user'),
    );
    const json = statusJson(repo, deployment, status, urlsFor(c, webHost));
    return c.json(json, 201, { location: json.url });
  });

  app.get('/repos/:owner/:repo/deployments/:deployment_id/statuses', (c) => {
    const repo = repoOf(c, state);
    const deployment = repo && deploymentOf(c, repo);
    if (!repo || !deployment) return notFound(c, DOCS.listStatuses);
    const urls = urlsFor(c, webHost);
    return c.json(paginate(c, [...deployment.statuses].reverse()).map((s) => statusJson(repo, deployment, s, urls)));
  });

  app.get('/repos/:owner/:repo/deployments/:deployment_id/statuses/:status_id', (c) => {
    const repo = repoOf(c, state);
    const deployment = repo && deploymentOf(c, repo);
    const id = idParam(c, 'status_id');
    const status = deployment?.statuses.find((s) => s.id === id);
    return repo && deployment && status ? c.json(statusJson(repo, deployment, status, urlsFor(c, webHost))) : notFound(c, DOCS.listStatuses);
  });

  return app;
}
