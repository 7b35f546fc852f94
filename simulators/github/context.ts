// What the route files share: the state, deliveries, and how a request finds its repository
// and the base URLs of the objects it renders.
import type { Context } from 'hono';
import type { GitHubEnv } from './auth.js';
import type { HookDeliverer } from './delivery.js';
import type { Urls } from './render.js';
import type { GitHubState } from './state.js';
import type { StoredRepo } from './types.js';

export interface RouteDeps {
  state: GitHubState;
  deliverer: HookDeliverer;
  webHost: string;
}

export type GitHubContext = Context<GitHubEnv>;

export function urlsFor(c: Context, webHost: string): Urls {
  return { api: new URL(c.req.url).origin, web: `https://${webHost}`, webHost };
}

export function repoOf(c: Context, state: GitHubState): StoredRepo | undefined {
  return state.repo(c.req.param('owner') ?? '', c.req.param('repo') ?? '');
}

/** A numeric path id (`hook_id`, `deployment_id`); anything else finds nothing, as on GitHub. */
export function idParam(c: Context, name: string): number | undefined {
  const raw = c.req.param(name) ?? '';
  return /^\d{1,16}$/.test(raw) ? Number(raw) : undefined;
}
