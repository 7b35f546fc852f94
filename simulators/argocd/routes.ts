// The Argo CD REST API (the gRPC gateway of argocd-server) for sessions and applications.
import { Hono } from 'hono';
import { z } from 'zod';
import { requestToken, requireSession, type SessionEnv, type SessionIssuer } from './auth.js';
import type { AppController } from './controller.js';
import { grpcError, PERMISSION_DENIED } from './errors.js';
import { ARGOCD_NAMESPACE, type AppRecord } from './app-state.js';
import type { RbacPolicy } from './rbac.js';

export interface ApiOptions {
  controller: AppController;
  sessions: SessionIssuer;
  version: string;
  rbac: RbacPolicy;
  /** The one ApplicationSet (gitops/bootstrap.ts APPLICATIONSET_NAME). */
  applicationSetName: string;
}

const sessionBody = z.object({ username: z.string(), password: z.string() });
const syncBody = z
  .object({
    name: z.string().optional(),
    revision: z.string().optional(),
    prune: z.boolean().optional(),
    dryRun: z.boolean().optional(),
    project: z.string().optional(),
    appNamespace: z.string().optional(),
  })
  .loose();

export function createApiRoutes({ controller, sessions, version, rbac, applicationSetName }: ApiOptions): Hono<SessionEnv> {
  const api = new Hono<SessionEnv>();

  api.get('/api/version', (c) => {
    const token = requestToken(c.req.header('authorization'), c.req.header('cookie'));
    const full = token !== undefined && 'user' in sessions.verify(token);
    if (!full) return c.json({ Version: version });
    return c.json({
      Version: version,
      BuildDate: '2025-01-01T00:00:00Z',
      GitTreeState: 'clean',
      GoVersion: 'go1.22.0',
      Compiler: 'gc',
      Platform: 'linux/amd64',
      HelmVersion: 'v3.16.0+simulated',
    });
  });

  // Everything under /api/v1 needs a session, except creating one. (Registered before the
  // routes so that the request counters see the route, not this middleware, as the last match.)
  api.use(
    '/api/v1/*',
    requireSession(sessions, (method, path) => method === 'POST' && path === '/api/v1/session'),
  );

  api.post('/api/v1/session', async (c) => {
    const parsed = sessionBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return grpcError(c, 'Unauthenticated', 'Invalid username or password');
    const token = sessions.login(parsed.data.username, parsed.data.password);
    if (!token) return grpcError(c, 'Unauthenticated', 'Invalid username or password');
    return c.json({ token });
  });

  api.get('/api/v1/session/userinfo', (c) => c.json({ loggedIn: true, username: c.get('argocdUser'), iss: 'argocd' }));
  api.delete('/api/v1/session', (c) => c.json({}));

  api.get('/api/v1/applications', (c) => {
    const names = new Set(c.req.queries('name') ?? []);
    const projects = new Set([...(c.req.queries('projects') ?? []), ...(c.req.queries('project') ?? [])]);
    const items = [...controller.apps.values()]
      .filter(
        (rec) => (names.size === 0 || names.has(rec.name)) && (projects.size === 0 || projects.has('default')) && rbac.allows(c.get('argocdUser'), rec.name),
      )
      .map((rec) => rec.toApplication());
    const resourceVersion = String(Math.max(0, ...[...controller.apps.values()].map((r) => r.resourceVersion)));
    return c.json({ metadata: { resourceVersion }, items });
  });

  api.get('/api/v1/applications/:name', async (c) => {
    const name = c.req.param('name');
    const project = c.req.query('project') ?? c.req.query('projects');
    if (!rbac.allows(c.get('argocdUser'), name)) return grpcError(c, 'PermissionDenied', PERMISSION_DENIED);
    const missing = notVisible(c.req.query('appNamespace'), project, controller.apps.get(name));
    if (missing)
      return missing === 'not-found'
        ? grpcError(c, 'NotFound', `applications.argoproj.io "${name}" not found`)
        : grpcError(c, 'PermissionDenied', PERMISSION_DENIED);
    const refresh = c.req.query('refresh');
    const rec = refresh ? await controller.refresh(name, refresh === 'hard') : controller.apps.get(name);
    // The app can disappear while the refresh runs (its chart was deleted).
    if (!rec || controller.apps.get(name) !== rec) return grpcError(c, 'PermissionDenied', PERMISSION_DENIED);
    return c.json(rec.toApplication());
  });

  api.post('/api/v1/applications/:name/sync', async (c) => {
    const name = c.req.param('name');
    const parsed = syncBody.safeParse(await c.req.json().catch(() => ({})));
    if (!parsed.success) return grpcError(c, 'InvalidArgument', 'invalid sync request body');
    if (!rbac.allows(c.get('argocdUser'), name)) return grpcError(c, 'PermissionDenied', PERMISSION_DENIED);
    const missing = notVisible(parsed.data.appNamespace, parsed.data.project, controller.apps.get(name));
    if (missing)
      return missing === 'not-found'
        ? grpcError(c, 'NotFound', `applications.argoproj.io "${name}" not found`)
        : grpcError(c, 'PermissionDenied', PERMISSION_DENIED);
    const outcome = await controller.sync(name, { ...parsed.data, username: c.get('argocdUser') });
    if (!outcome.ok)
      return outcome.code === 'NotFound' ? grpcError(c, 'PermissionDenied', PERMISSION_DENIED) : grpcError(c, 'FailedPrecondition', outcome.message);
    return c.json(outcome.app.toApplication());
  });

  // The ApplicationSet: a missing one is the lister's NotFound, which the server's interceptor maps to 404.
  api.get('/api/v1/applicationsets/:name', (c) => {
    const name = c.req.param('name');
    if (name !== applicationSetName) return grpcError(c, 'NotFound', `error getting ApplicationSet: applicationset.argoproj.io "${name}" not found`);
    return c.json({
      metadata: { name, namespace: ARGOCD_NAMESPACE },
      spec: {
        goTemplate: true,
        goTemplateOptions: ['missingkey=error'],
        generators: [{ git: { repoURL: controller.repoUrl, revision: controller.branch, files: [{ path: `apps/*/*/*/${controller.generatorFile}` }] } }],
      },
      status: controller.appSetStatus(),
    });
  });

  return api;
}

/**
 * Argo CD never reveals whether an app exists to someone who may not see it: an unknown app is
 * 403 `permission denied`, unless the caller named a project, then it is a plain 404.
 */
function notVisible(appNamespace: string | undefined, project: string | undefined, rec: AppRecord | undefined): 'not-found' | 'denied' | undefined {
  if (appNamespace && appNamespace !== ARGOCD_NAMESPACE) return 'denied';
  if (!rec) return project ? 'not-found' : 'denied';
  if (project && project !== 'default') return 'denied';
  return undefined;
}
