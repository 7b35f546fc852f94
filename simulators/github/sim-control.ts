// The GitHub part of the control API, under /_sim/github: move branches (a push, delivered to
// the repository's push hooks), read what the simulator recorded, force rate limits.
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import type { HookDeliverer } from './delivery.js';
import { pushPayload, ZERO_SHA } from './payloads.js';
import { rateLimitControlSchema, type RateLimiter } from './rate-limit.js';
import { MASKED } from './render.js';
import type { GitHubState } from './state.js';
import type { StoredRepo } from './types.js';

export interface GitHubControlDeps {
  state: GitHubState;
  deliverer: HookDeliverer;
  limiter: RateLimiter;
  tokens: string[];
  webHost: string;
}

const branchSchema = z.strictObject({
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-hex commit SHA'),
  message: z.string().optional(),
  /** Deliver a push event to the repository's hooks (default true). */
  deliver: z.boolean().default(true),
  forced: z.boolean().default(false),
});

const invalid = (error: z.ZodError) => ({ error: 'invalid body', issues: z.treeifyError(error) });

export function createGitHubControl({ state, deliverer, limiter, tokens, webHost }: GitHubControlDeps): Hono {
  const app = new Hono();
  const repoOr404 = (owner: string, name: string) => state.repo(owner, name);

  const push = async (repo: StoredRepo, branch: string, before: string, after: string, forced: boolean, message?: string) => {
    const hooks = [...repo.hooks.values()].filter((h) => h.active && (h.events.includes('push') || h.events.includes('*')));
    const payload = pushPayload({
      owner: repo.owner,
      repo: repo.name,
      ref: `refs/heads/${branch}`,
      before,
      after,
      forced,
      cloneUrl: repo.cloneUrl,
      defaultBranch: repo.defaultBranch,
      private: repo.private,
      repositoryId: repo.id,
      webHost,
      message,
    });
    const records = await Promise.all(hooks.map((hook) => deliverer.deliver(repo, hook, 'push', payload)));
    return records.filter((r) => r !== undefined);
  };

  app.get('/repos', (c) =>
    c.json([...state.repos.values()].map((r) => ({ full_name: r.fullName, default_branch: r.defaultBranch, branches: Object.fromEntries(r.branches), hooks: r.hooks.size, deployments: r.deployments.size }))),
  );

  app.put('/repos/:owner/:repo/branches/:branch{.+}', async (c) => {
    const repo = repoOr404(c.req.param('owner'), c.req.param('repo'));
    if (!repo) return c.json({ error: 'no such repository' }, 404);
    const parsed = branchSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    const branch = c.req.param('branch');
    const { before, after, created } = state.setBranch(repo, branch, parsed.data.sha, parsed.data.message);
    const deliveries = parsed.data.deliver && before !== after ? await push(repo, branch, before, after, parsed.data.forced, parsed.data.message) : [];
    return c.json({ ref: `refs/heads/${branch}`, before, after, created, deliveries });
  });

  app.delete('/repos/:owner/:repo/branches/:branch{.+}', async (c) => {
    const repo = repoOr404(c.req.param('owner'), c.req.param('repo'));
    if (!repo) return c.json({ error: 'no such repository' }, 404);
    const branch = c.req.param('branch');
    if (branch === repo.defaultBranch) return c.json({ error: 'the default branch cannot be deleted' }, 409);
    const before = state.deleteBranch(repo, branch);
    if (before === undefined) return c.json({ error: 'no such branch' }, 404);
    const deliveries = c.req.query('deliver') === 'false' ? [] : await push(repo, branch, before, ZERO_SHA, false);
    return c.json({ ref: `refs/heads/${branch}`, before, after: ZERO_SHA, deleted: true, deliveries });
  });

  // Hooks as stored; the secret stays masked (its SHA-256 lets a test compare without seeing it).
  app.get('/repos/:owner/:repo/hooks', (c) => {
    const repo = repoOr404(c.req.param('owner'), c.req.param('repo'));
    if (!repo) return c.json({ error: 'no such repository' }, 404);
    return c.json(
      [...repo.hooks.values()].map(({ config: { secret, ...config }, ...hook }) => ({
        ...hook,
        config: { ...config, ...(secret ? { secret: MASKED } : {}) },
        secret_sha256: secret ? createHash('sha256').update(secret).digest('hex') : null,
      })),
    );
  });

  app.get('/repos/:owner/:repo/deployments', (c) => {
    const repo = repoOr404(c.req.param('owner'), c.req.param('repo'));
    if (!repo) return c.json({ error: 'no such repository' }, 404);
    return c.json([...repo.deployments.values()]);
  });

  app.get('/calls', (c) => {
    const method = c.req.query('method')?.toUpperCase();
    const prefix = c.req.query('path');
    return c.json(state.calls.filter((call) => (!method || call.method === method) && (!prefix || call.path.startsWith(prefix))));
  });
  app.delete('/calls', (c) => {
    state.calls.length = 0;
    return c.body(null, 204);
  });

  /** `?wait=true` first waits for background deliveries (pings) to finish. */
  app.get('/deliveries', async (c) => {
    if (c.req.query('wait') === 'true') await deliverer.settled();
    return c.json(state.deliveries);
  });

  app.put('/rate-limit', async (c) => {
    const parsed = rateLimitControlSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    limiter.configure(parsed.data, tokens);
    return c.json(parsed.data);
  });

  return app;
}
