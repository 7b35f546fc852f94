// The GitHub App part of the control API, under /_sim/github: register an app (its private key
// is answered once), install it on repositories, set how long installation tokens live, and
// revoke or expire tokens (installation tokens and configured PATs).
import { Hono } from 'hono';
import { z } from 'zod';
import type { AppRegistry } from './apps.js';
import type { Credentials } from './credentials.js';
import type { GitHubState } from './state.js';

export interface AppControlDeps {
  state: GitHubState;
  apps: AppRegistry;
  credentials: Credentials;
}

const registerSchema = z.strictObject({ name: z.string().min(1).max(34).optional() });
const installSchema = z.strictObject({
  /** `owner/repo`, all of one owner (the account the app is installed on). */
  repositories: z.array(z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/repo')).min(1),
  permissions: z.record(z.string(), z.enum(['read', 'write'])).optional(),
});
const lifetimeSchema = z.strictObject({ seconds: z.number().positive().max(86_400) });
const tokenSchema = z.strictObject({ token: z.string().min(1) });

const invalid = (error: z.ZodError) => ({ error: 'invalid body', issues: z.treeifyError(error) });

export function createAppControl({ state, apps, credentials }: AppControlDeps): Hono {
  const app = new Hono();

  app.post('/apps', async (c) => {
    const parsed = registerSchema.safeParse(await c.req.json().catch(() => ({})));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    const { app: registered, privateKeyPem } = apps.register(parsed.data.name);
    return c.json({ id: registered.id, slug: registered.slug, name: registered.name, clientId: registered.clientId, privateKeyPem }, 201);
  });

  app.post('/apps/:appId/installations', async (c) => {
    const registered = apps.apps.get(Number(c.req.param('appId')));
    if (!registered) return c.json({ error: 'no such app' }, 404);
    const parsed = installSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    const repos = parsed.data.repositories.map((fullName) => {
      const [owner = '', name = ''] = fullName.split('/');
      return state.repo(owner, name);
    });
    if (repos.some((r) => r === undefined)) return c.json({ error: 'every repository must exist first' }, 404);
    const found = repos.filter((r) => r !== undefined);
    const account = found[0]?.owner ?? '';
    if (found.some((r) => r.owner.toLowerCase() !== account.toLowerCase())) return c.json({ error: 'one installation covers repositories of one owner' }, 400);
    const installation = apps.install(
      registered,
      account,
      found.map((r) => r.name),
      parsed.data.permissions,
    );
    return c.json(
      { id: installation.id, appId: registered.id, account, repositories: found.map((r) => r.fullName), permissions: installation.permissions },
      201,
    );
  });

  app.put('/installation-token-lifetime', async (c) => {
    const parsed = lifetimeSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    apps.tokenLifetimeMs = parsed.data.seconds * 1000;
    return c.json(parsed.data);
  });

  app.post('/tokens/revoke', async (c) => {
    const parsed = tokenSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    return credentials.revoke(parsed.data.token) ? c.json({ revoked: true }) : c.json({ error: 'no such token' }, 404);
  });

  app.post('/tokens/expire', async (c) => {
    const parsed = tokenSchema.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    return credentials.expire(parsed.data.token) ? c.json({ expired: true }) : c.json({ error: 'no such installation token' }, 404);
  });

  /** Installations and how many of their tokens are not revoked (the tokens themselves are never shown). */
  app.get('/installations', (c) =>
    c.json(
      [...apps.installations.values()].map((i) => ({
        id: i.id,
        appId: i.appId,
        account: i.account,
        repositories: [...i.repos],
        tokens: [...apps.tokens.values()].filter((t) => t.installationId === i.id).length,
      })),
    ),
  );

  return app;
}
