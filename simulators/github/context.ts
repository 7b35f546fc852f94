// What the route files share: the state, deliveries, and how a request finds its repository
// and the base URLs of the objects it renders.
import type { Context } from 'hono';
import type { AppRegistry } from './apps.js';
import type { GitHubEnv } from './auth.js';
import type { HookDeliverer } from './delivery.js';
import type { Urls } from './render.js';
import { repoKey, type GitHubState } from './state.js';
import type { StoredRepo } from './types.js';

export interface RouteDeps {
  state: GitHubState;
  deliverer: HookDeliverer;
  webHost: string;
  apps: AppRegistry;
}

export type GitHubContext = Context<GitHubEnv>;

export function urlsFor(c: Context, webHost: string): Urls {
  return { api: new URL(c.req.url).origin, web: `https://${webHost}`, webHost };
}

/** The request's repository, if the token may see it: an installation token sees only its own (others are 404, as on GitHub). */
export function repoOf(c: Context<GitHubEnv>, state: GitHubState): StoredRepo | undefined {
  const repo = state.repo(c.req.param('owner') ?? '', c.req.param('repo') ?? '');
  const principal = c.get('principal');
  if (!repo || (principal?.repos && !principal.repos.has(repoKey(repo.owner, repo.name)))) return undefined;
  return repo;
}

/** A numeric path id (`hook_id`, `deployment_id`); anything else finds nothing, as on GitHub. */
export function idParam(c: Context, name: string): number | undefined {
  const raw = c.req.param(name) ?? '';
  return /^\d{1,16}$/.test(raw) ? Number(raw) : undefined;
}
