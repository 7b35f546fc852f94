// The GitHub part of the control API, under /_sim/github: move branches (a push, delivered to
// the repository's push hooks), create disk-backed git repositories and commit to them, read
// what the simulator recorded, force rate limits.
import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { z } from 'zod';
import type { HookDeliverer } from './delivery.js';
import type { GitStore } from './git-store.js';
import { pushPayload, ZERO_SHA } from './payloads.js';
import { rateLimitControlSchema, type RateLimiter } from './rate-limit.js';
import { MASKED } from './render.js';
import { repoKey, type GitHubState } from './state.js';
import type { StoredRepo } from './types.js';

export interface GitHubControlDeps {
  state: GitHubState;
  deliverer: HookDeliverer;
  limiter: RateLimiter;
  tokens: string[];
  webHost: string;
  store: GitStore;
}

const filePath = z
  .string()
  .min(1)
  .max(400)
  .refine(
    (p) => !/[\x00-\x1f\\]/.test(p) && !p.startsWith('/') && !p.split('/').some((part) => part === '' || part === '.' || part === '..' || part === '.git'),
    'a relative path inside the repository',
  );
const branchName = z.string().regex(/^(?!.*\.\.)(?!\/)(?!.*\/$)[A-Za-z0-9._/-]{1,200}$/, 'a branch name');
const repoName = z
  .string()
  .regex(/^[A-Za-z0-9_.-]{1,100}$/)
  .refine((n) => !n.endsWith('.git'), 'without .git');

const gitRepoSchema = z.strictObject({
  owner: repoName,
  repo: repoName,
  private: z.boolean().default(false),
  branch: branchName.default('main'),
  files: z.record(filePath, z.string()).refine((f) => Object.keys(f).length > 0, 'at least one file'),
  message: z.string().min(1).default('Initial commit'),
});

const gitCommitSchema = z.strictObject({
  /** Default: the repository's default branch; a new name creates the branch. */
  branch: branchName.optional(),
  /** Path -> content; null removes the file. */
  files: z.record(filePath, z.string().nullable()).refine((f) => Object.keys(f).length > 0, 'at least one file'),
  message: z.string().min(1).optional(),
  deliver: z.boolean().default(true),
});

const branchSchema = z.strictObject({
  sha: z.string().regex(/^[0-9a-f]{40}$/, 'a full 40-hex commit SHA'),
  message: z.string().optional(),
  /** Deliver a push event to the repository's hooks (default true). */
  deliver: z.boolean().default(true),
  forced: z.boolean().default(false),
});

const invalid = (error: z.ZodError) => ({ error: 'invalid body', issues: z.treeifyError(error) });

export function createGitHubControl({ state, deliverer, limiter, tokens, webHost, store }: GitHubControlDeps): Hono {
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
    c.json(
      [...state.repos.values()].map((r) => ({
        full_name: r.fullName,
        default_branch: r.defaultBranch,
        branches: Object.fromEntries(r.branches),
        hooks: r.hooks.size,
        deployments: r.deployments.size,
      })),
    ),
  );

  // A disk-backed repository, served at `<simulator>/<owner>/<repo>.git`; its REST answers mirror it.
  app.post('/git-repos', async (c) => {
    const parsed = gitRepoSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    const { owner, repo: name, branch, files, message } = parsed.data;
    if (state.repo(owner, name)) return c.json({ error: `${owner}/${name} already exists` }, 409);
    const { gitDir, sha } = await store.create(repoKey(owner, name), branch, files, message);
    const cloneUrl = `${new URL(c.req.url).origin}/${owner}/${name}.git`;
    const repo = state.createRepo({ owner, repo: name, private: parsed.data.private, defaultBranch: branch, branches: { [branch]: sha }, cloneUrl, gitDir });
    const snapshot = await store.snapshot(gitDir);
    state.mirrorGit(repo, snapshot.branches, snapshot.commits);
    return c.json({ fullName: repo.fullName, cloneUrl, branch, commitSha: sha, private: repo.private }, 201);
  });

  app.post('/git-repos/:owner/:repo/commits', async (c) => {
    const repo = repoOr404(c.req.param('owner'), c.req.param('repo'));
    if (!repo?.gitDir) return c.json({ error: 'no such disk-backed repository' }, 404);
    const parsed = gitCommitSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    const branch = parsed.data.branch ?? repo.defaultBranch;
    const message = parsed.data.message ?? `Update ${Object.keys(parsed.data.files).join(', ')}`.slice(0, 200);
    const { before, after } = await store.commit(repo.gitDir, branch, parsed.data.files, message);
    const snapshot = await store.snapshot(repo.gitDir);
    state.mirrorGit(repo, snapshot.branches, snapshot.commits);
    const deliveries = parsed.data.deliver ? await push(repo, branch, before ?? ZERO_SHA, after, false, message) : [];
    return c.json({ ref: `refs/heads/${branch}`, before: before ?? ZERO_SHA, commitSha: after, created: before === undefined, deliveries }, 201);
  });

  app.put('/repos/:owner/:repo/branches/:branch{.+}', async (c) => {
    const repo = repoOr404(c.req.param('owner'), c.req.param('repo'));
    if (!repo) return c.json({ error: 'no such repository' }, 404);
    if (repo.gitDir) return c.json({ error: 'a disk-backed repository moves by a commit: POST /_sim/github/git-repos/{owner}/{repo}/commits' }, 409);
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
    if (repo.gitDir) return c.json({ error: 'branches of a disk-backed repository cannot be deleted' }, 409);
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
