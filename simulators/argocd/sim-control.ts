// Argo CD specific control routes, mounted at /_sim/argocd: force a full poll (what a Git
// webhook would trigger), look at the controller's internal state of every app, and set up the
// platform failures the engine must tell apart (an unreachable repository, RBAC, a generator
// that does not match a folder).
import { Hono } from 'hono';
import { z } from 'zod';
import { REPO_ERRORS, type AppController } from './controller.js';
import type { AppRecord } from './app-state.js';
import type { RbacPolicy } from './rbac.js';

const repoErrorBody = z.object({ kind: z.enum(Object.keys(REPO_ERRORS) as [keyof typeof REPO_ERRORS]).nullable() });
const rbacBody = z.object({ account: z.string().min(1), denyApps: z.array(z.string().min(1)) });
const generatorBody = z.object({ unmatched: z.array(z.string().min(1)) });

export function createArgoCdControl(controller: AppController, rbac: RbacPolicy): Hono {
  const control = new Hono();

  /** `{kind: "not-found" | "auth" | "host-key" | null}`: every Git fetch fails as Argo CD words it (null: works again). */
  control.put('/repo-error', async (c) => {
    const parsed = repoErrorBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: 'invalid body', issues: z.treeifyError(parsed.error) }, 400);
    controller.repoError = parsed.data.kind ? REPO_ERRORS[parsed.data.kind] : undefined;
    return c.json({ repoError: controller.repoError ?? null });
  });

  /** `{account, denyApps}`: RBAC refuses the account these apps (`*`: all; `[]`: lift). */
  control.put('/rbac', async (c) => {
    const parsed = rbacBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: 'invalid body', issues: z.treeifyError(parsed.error) }, 400);
    rbac.deny(parsed.data.account, parsed.data.denyApps);
    return c.json(rbac.snapshot());
  });

  /** `{unmatched: [appName]}`: the ApplicationSet's generator does not match these apps' folders (never generated). */
  control.put('/generator', async (c) => {
    const parsed = generatorBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json({ error: 'invalid body', issues: z.treeifyError(parsed.error) }, 400);
    controller.unmatched.clear();
    for (const name of parsed.data.unmatched) controller.unmatched.add(name);
    return c.json({ unmatched: [...controller.unmatched] });
  });

  /** Fetch, generate/remove apps and reconcile all of them now; answers when done. */
  control.post('/reconcile', async (c) => c.json(await controller.poll()));

  control.get('/apps', (c) =>
    c.json({
      head: controller.head ?? null,
      polls: controller.polls,
      lastFetchError: controller.lastFetchError ?? null,
      apps: [...controller.apps.values()].map(internalState),
    }),
  );

  control.get('/apps/:name', (c) => {
    const rec = controller.apps.get(c.req.param('name'));
    return rec ? c.json({ ...internalState(rec), application: rec.toApplication() }) : c.json({ error: 'no such app' }, 404);
  });

  return control;
}

function internalState(rec: AppRecord) {
  return {
    name: rec.name,
    path: rec.identity.path,
    namespace: rec.identity.namespace,
    releaseName: rec.identity.releaseName,
    sync: { status: rec.syncStatus, revision: rec.syncRevision ?? null },
    health: rec.health,
    operationRunning: rec.operation !== undefined,
    operationPhase: rec.operationState?.phase ?? null,
    live: rec.live ? { revision: rec.live.revision, images: rec.live.images, manifestHash: rec.live.manifestHash } : null,
    imagePullBackOff: rec.pullBackOff ?? null,
    lastAutoSync: rec.lastAutoSync ?? null,
    comparisonError: rec.comparison && !rec.comparison.ok ? rec.comparison.message : null,
  };
}
