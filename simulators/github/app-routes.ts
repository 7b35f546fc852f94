// The GitHub App routes the engine uses, authenticated with the app's JWT (auth.ts):
// GET /repos/{owner}/{repo}/installation and POST /app/installations/{id}/access_tokens.
import { Hono } from 'hono';
import { z } from 'zod';
import type { SimInstallation } from './apps.js';
import type { GitHubEnv } from './auth.js';
import { readBody } from './body.js';
import { idParam, urlsFor, type RouteDeps } from './context.js';
import { githubError, notFound } from './errors.js';
import { ownerId, repoJson, userJson, type Urls } from './render.js';
import { isoNow, repoKey } from './state.js';

const APP_DOCS = {
  repoInstallation: 'https://docs.github.com/rest/apps/apps#get-a-repository-installation-for-the-authenticated-app',
  accessToken: 'https://docs.github.com/rest/apps/apps#create-an-installation-access-token-for-an-app',
} as const;

const accessTokenSchema = z.object({
  repositories: z.array(z.string()).max(500).optional(),
  repository_ids: z.array(z.number().int()).max(500).optional(),
  permissions: z.record(z.string(), z.enum(['read', 'write'])).optional(),
});

function installationJson(i: SimInstallation, slug: string, urls: Urls) {
  return {
    id: i.id,
    account: userJson({ login: i.account, id: ownerId(i.account) }, urls, 'Organization'),
    repository_selection: 'selected',
    access_tokens_url: `${urls.api}/app/installations/${i.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: `${urls.web}/organizations/${i.account}/settings/installations/${i.id}`,
    app_id: i.appId,
    app_slug: slug,
    target_id: ownerId(i.account),
    target_type: 'Organization',
    permissions: i.permissions,
    events: [],
    created_at: i.createdAt,
    updated_at: i.createdAt,
    single_file_name: null,
    has_multiple_single_files: false,
    single_file_paths: [],
    suspended_by: null,
    suspended_at: null,
  };
}

export function createAppRoutes({ state, apps, webHost }: RouteDeps): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  app.get('/repos/:owner/:repo/installation', (c) => {
    const me = c.get('app');
    const repo = state.repo(c.req.param('owner'), c.req.param('repo'));
    const installation = me && repo ? apps.installationFor(me.id, repo.owner, repo.name) : undefined;
    if (!me || !installation) return notFound(c, APP_DOCS.repoInstallation);
    return c.json(installationJson(installation, me.slug, urlsFor(c, webHost)));
  });

  app.post('/app/installations/:installation_id/access_tokens', async (c) => {
    const me = c.get('app');
    const id = idParam(c, 'installation_id');
    const installation = id === undefined ? undefined : apps.installations.get(id);
    if (!me || !installation || installation.appId !== me.id) return notFound(c, APP_DOCS.accessToken);
    const body = await readBody(c, accessTokenSchema, APP_DOCS.accessToken);
    if (!body.ok) return body.response;

    const wanted = (body.data.repositories ?? []).map((name) => repoKey(installation.account, name));
    for (const repoId of body.data.repository_ids ?? []) {
      const found = [...state.repos.values()].find((r) => r.id === repoId);
      wanted.push(found ? repoKey(found.owner, found.name) : `#${repoId}`);
    }
    if (wanted.some((key) => !installation.repos.has(key) || !state.repos.has(key))) {
      return githubError(c, 422, 'There is at least one repository that does not exist or is not accessible to the parent installation.', APP_DOCS.accessToken);
    }
    const permissions = body.data.permissions ?? installation.permissions;
    const granted = Object.entries(permissions).every(([name, level]) => {
      const has = installation.permissions[name];
      return has === 'write' || (has === 'read' && level === 'read');
    });
    if (!granted) return githubError(c, 422, 'The permissions requested are not granted to this installation.', APP_DOCS.accessToken);

    const scope = new Set(wanted.length > 0 ? wanted : installation.repos);
    const { token, record } = apps.mint(installation, scope, permissions);
    const urls = urlsFor(c, webHost);
    const repositories = [...scope].flatMap((key) => {
      const repo = state.repos.get(key);
      return repo ? [repoJson(repo, urls)] : [];
    });
    return c.json(
      {
        token,
        expires_at: new Date(record.expiresAtMs).toISOString().replace(/\.\d{3}Z$/, 'Z'),
        permissions,
        repository_selection: 'selected',
        repositories,
      },
      201,
    );
  });

  // Unused by the engine; answered so a client checking its JWT gets the app back.
  app.get('/app', (c) => {
    const me = c.get('app');
    if (!me) return notFound(c);
    return c.json({
      id: me.id,
      slug: me.slug,
      name: me.name,
      client_id: me.clientId,
      created_at: isoNow(),
      owner: null,
      permissions: { contents: 'read', metadata: 'read' },
      events: [],
    });
  });

  return app;
}
