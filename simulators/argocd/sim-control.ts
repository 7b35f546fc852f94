// Argo CD specific control routes, mounted at /_sim/argocd: force a full poll (what a Git
// webhook would trigger) and look at the controller's internal state of every app.
import { Hono } from 'hono';
import type { AppController } from './controller.js';
import type { AppRecord } from './app-state.js';

export function createArgoCdControl(controller: AppController): Hono {
  const control = new Hono();

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
