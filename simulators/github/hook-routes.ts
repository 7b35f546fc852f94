// Repository webhooks: create (then a `ping` is delivered), list, get, update, delete, ping.
// The secret is stored as given and never returned: responses show `********`.
import { Hono } from 'hono';
import { z } from 'zod';
import type { GitHubEnv } from './auth.js';
import { readBody } from './body.js';
import { idParam, repoOf, urlsFor, type GitHubContext, type RouteDeps } from './context.js';
import { DOCS, notFound, validationFailed, type ValidationError } from './errors.js';
import { paginate } from './pagination.js';
import { pingPayload } from './payloads.js';
import { hookJson, repoJson, userJson } from './render.js';
import type { StoredHook, StoredRepo } from './types.js';

const MAX_HOOKS_PER_EVENT = 20;

/** Events a repository hook may subscribe to (a practical subset of GitHub's list, plus `*`). */
const HOOK_EVENTS = new Set([
  '*',
  'push',
  'create',
  'delete',
  'pull_request',
  'pull_request_review',
  'pull_request_review_comment',
  'issues',
  'issue_comment',
  'release',
  'deployment',
  'deployment_status',
  'status',
  'check_run',
  'check_suite',
  'workflow_run',
  'workflow_job',
  'repository',
  'commit_comment',
  'fork',
  'star',
  'watch',
  'public',
  'member',
  'label',
  'milestone',
  'gollum',
  'page_build',
  'package',
  'registry_package',
]);

const configSchema = z.looseObject({
  url: z.string().optional(),
  content_type: z.string().optional(),
  secret: z.string().optional(),
  insecure_ssl: z.union([z.string(), z.number()]).optional(),
});
const createSchema = z.looseObject({
  name: z.string().optional(),
  config: configSchema.optional(),
  events: z.array(z.string()).optional(),
  active: z.boolean().optional(),
});
const updateSchema = z.looseObject({
  config: configSchema.optional(),
  events: z.array(z.string()).optional(),
  add_events: z.array(z.string()).optional(),
  remove_events: z.array(z.string()).optional(),
  active: z.boolean().optional(),
});

type Config = z.infer<typeof configSchema>;
const hookError = (message: string, extra: Partial<ValidationError> = {}): ValidationError => ({ resource: 'Hook', code: 'custom', message, ...extra });

/** Checks a config the way GitHub does and returns the stored form, or the validation errors. */
function checkConfig(config: Config | undefined): StoredHook['config'] | ValidationError[] {
  if (!config?.url) return [hookError('Config must contain URL for webhooks')];
  let url: URL;
  try {
    url = new URL(config.url);
  } catch {
    return [hookError('Config url is not a valid URL', { field: 'url', code: 'invalid' })];
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    return [hookError(`Config url scheme ${url.protocol} is not supported`, { field: 'url', code: 'invalid' })];
  const contentType = config.content_type ?? 'form';
  if (contentType !== 'json' && contentType !== 'form')
    return [hookError(`Config content_type "${contentType}" is not one of json, form`, { field: 'content_type', code: 'invalid' })];
  const insecure = String(config.insecure_ssl ?? '0');
  if (insecure !== '0' && insecure !== '1') return [hookError(`Config insecure_ssl "${insecure}" is not 0 or 1`, { field: 'insecure_ssl', code: 'invalid' })];
  return { url: config.url, content_type: contentType, insecure_ssl: insecure, ...(config.secret ? { secret: config.secret } : {}) };
}

function checkEvents(repo: StoredRepo, events: string[], self?: StoredHook): ValidationError[] {
  const unknown = events.filter((e) => !HOOK_EVENTS.has(e));
  if (unknown.length > 0) return [hookError(`Invalid event(s): ${unknown.join(', ')}`, { field: 'events', code: 'invalid' })];
  for (const event of events) {
    const count = [...repo.hooks.values()].filter((h) => h !== self && h.events.includes(event)).length;
    if (count >= MAX_HOOKS_PER_EVENT) return [hookError(`The "${event}" event cannot have more than ${MAX_HOOKS_PER_EVENT} hooks`)];
  }
  return [];
}

const sameUrl = (repo: StoredRepo, url: string, self?: StoredHook) => [...repo.hooks.values()].some((h) => h !== self && h.config.url === url);

export function createHookRoutes({ state, deliverer, webHost }: RouteDeps): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  const ping = (c: GitHubContext, repo: StoredRepo, hook: StoredHook) => {
    const urls = urlsFor(c, webHost);
    deliverer.enqueue(repo, hook, 'ping', pingPayload(hook.id, hookJson(repo, hook, urls), repoJson(repo, urls), userJson(c.get('user'), urls)));
  };
  const hookOf = (c: GitHubContext, repo: StoredRepo) => {
    const id = idParam(c, 'hook_id');
    return id === undefined ? undefined : repo.hooks.get(id);
  };

  app.post('/repos/:owner/:repo/hooks', async (c) => {
    const repo = repoOf(c, state);
    if (!repo) return notFound(c, DOCS.createHook);
    const body = await readBody(c, createSchema, DOCS.createHook);
    if (!body.ok) return body.response;
    const { name = 'web', events = ['push'], active = true } = body.data;
    if (name !== 'web')
      return validationFailed(c, [hookError(`Name "${name}" is not a valid hook name; use "web"`, { field: 'name', code: 'invalid' })], DOCS.createHook);
    const config = checkConfig(body.data.config);
    if (Array.isArray(config)) return validationFailed(c, config, DOCS.createHook);
    const eventErrors = checkEvents(repo, events);
    if (eventErrors.length > 0) return validationFailed(c, eventErrors, DOCS.createHook);
    if (sameUrl(repo, config.url)) return validationFailed(c, [hookError('Hook already exists on this repository')], DOCS.createHook);
    const hook = state.addHook(repo, { active, events: [...new Set(events)], config });
    // GitHub pings a new hook right away.
    if (hook.active) ping(c, repo, hook);
    return c.json(hookJson(repo, hook, urlsFor(c, webHost)), 201, { location: `${urlsFor(c, webHost).api}/repos/${repo.fullName}/hooks/${hook.id}` });
  });

  app.get('/repos/:owner/:repo/hooks', (c) => {
    const repo = repoOf(c, state);
    if (!repo) return notFound(c);
    const urls = urlsFor(c, webHost);
    return c.json(paginate(c, [...repo.hooks.values()]).map((h) => hookJson(repo, h, urls)));
  });

  app.get('/repos/:owner/:repo/hooks/:hook_id', (c) => {
    const repo = repoOf(c, state);
    const hook = repo && hookOf(c, repo);
    return repo && hook ? c.json(hookJson(repo, hook, urlsFor(c, webHost))) : notFound(c, DOCS.getHook);
  });

  // A config given here replaces the old one: without `secret`, the hook loses its secret.
  app.patch('/repos/:owner/:repo/hooks/:hook_id', async (c) => {
    const repo = repoOf(c, state);
    const hook = repo && hookOf(c, repo);
    if (!repo || !hook) return notFound(c, DOCS.updateHook);
    const body = await readBody(c, updateSchema, DOCS.updateHook);
    if (!body.ok) return body.response;
    const b = body.data;
    let config = hook.config;
    if (b.config) {
      const checked = checkConfig(b.config);
      if (Array.isArray(checked)) return validationFailed(c, checked, DOCS.updateHook);
      if (sameUrl(repo, checked.url, hook)) return validationFailed(c, [hookError('Hook already exists on this repository')], DOCS.updateHook);
      config = checked;
    }
    let events = b.events ?? hook.events;
    if (b.add_events) events = [...events, ...b.add_events];
    if (b.remove_events) events = events.filter((e) => !b.remove_events?.includes(e));
    events = [...new Set(events)];
    const eventErrors = checkEvents(repo, events, hook);
    if (eventErrors.length > 0) return validationFailed(c, eventErrors, DOCS.updateHook);
    Object.assign(hook, { config, events, active: b.active ?? hook.active, updated_at: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z') });
    return c.json(hookJson(repo, hook, urlsFor(c, webHost)));
  });

  app.delete('/repos/:owner/:repo/hooks/:hook_id', (c) => {
    const repo = repoOf(c, state);
    const hook = repo && hookOf(c, repo);
    if (!repo || !hook) return notFound(c, DOCS.deleteHook);
    repo.hooks.delete(hook.id);
    return c.body(null, 204);
  });

  app.post('/repos/:owner/:repo/hooks/:hook_id/pings', (c) => {
    const repo = repoOf(c, state);
    const hook = repo && hookOf(c, repo);
    if (!repo || !hook) return notFound(c, DOCS.pingHook);
    ping(c, repo, hook);
    return c.body(null, 204);
  });

  return app;
}
