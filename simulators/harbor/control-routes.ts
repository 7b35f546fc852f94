// Harbor-specific control routes under /_sim/harbor: look at what the registry holds, seed
// an image without an OCI push, delete an image (the "image vanished" case), start a scan.
import { Hono } from 'hono';
import { z } from 'zod';
import type { ScenarioStore } from '../common/scenario.js';
import type { ArtifactService } from './artifacts.js';
import { repositoryNamePattern, tagPattern } from './oci.js';
import type { OciStore } from './oci-store.js';
import { appKeyOf, isScanInFlight, reportSummary, startScan } from './scans.js';
import type { HarborState } from './state.js';

export interface HarborControlOptions {
  store: OciStore;
  artifacts: ArtifactService;
  state: HarborState;
  scenarios: ScenarioStore;
  projects: readonly string[];
}

const imageRef = z.object({
  repository: z.string().regex(repositoryNamePattern, 'a repository such as apps/ws1/alice-shop'),
  reference: z.string().min(1),
});

const seedBody = z.object({
  repository: z.string().regex(repositoryNamePattern, 'a repository such as apps/ws1/alice-shop'),
  tag: z.string().regex(tagPattern, 'a tag matching [A-Za-z0-9_][A-Za-z0-9._-]{0,127}'),
  kind: z.enum(['image', 'index', 'chart', 'unknown']).default('image'),
});

export function createHarborControl({ store, artifacts, state, scenarios, projects }: HarborControlOptions): Hono {
  const app = new Hono();
  const invalid = (error: z.ZodError) => ({ error: 'invalid body', issues: z.treeifyError(error) });

  /** Every artifact of every repository, with tags and scan state. */
  app.get('/artifacts', async (c) => {
    const result = [];
    for (const repository of await store.repositories()) {
      for (const artifact of await artifacts.list(repository)) {
        const described = await artifacts.describe(artifact, { withScanOverview: true });
        const scan = state.scan(repository, artifact.manifest.digest);
        result.push({
          repository,
          digest: described.digest,
          type: described.type,
          mediaType: described.manifest_media_type,
          tags: (described.tags ?? []).map((t) => t.name),
          pushTime: described.push_time,
          scan: scan ? reportSummary(scan) : null,
        });
      }
    }
    return c.json(result);
  });

  /** Pushes a small synthetic image (or index, chart, unknown artifact) under `repository:tag`. */
  app.post('/images', async (c) => {
    const parsed = seedBody.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    const { repository, tag, kind } = parsed.data;
    if (!projects.includes(repository.split('/')[0] ?? '')) return c.json({ error: `no Harbor project for ${repository}` }, 400);
    const artifact = await artifacts.seed(repository, tag, kind);
    return c.json({ repository, tag, digest: artifact.manifest.digest, mediaType: artifact.manifest.mediaType }, 201);
  });

  /** Deletes an image by tag or digest (all its tags go with it). */
  app.delete('/images', async (c) => {
    const parsed = imageRef.safeParse({ repository: c.req.query('repository'), reference: c.req.query('reference') });
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    const artifact = await artifacts.resolve(parsed.data.repository, parsed.data.reference);
    if (!artifact) return c.json({ error: 'no such image' }, 404);
    await artifacts.delete(artifact);
    return c.json({ deleted: artifact.manifest.digest });
  });

  /** Starts a scan now with the app's scenario (what a UI "Scan" button does), unless one runs. */
  app.post('/scans', async (c) => {
    const parsed = imageRef.safeParse(await c.req.json().catch(() => undefined));
    if (!parsed.success) return c.json(invalid(parsed.error), 400);
    const artifact = await artifacts.resolve(parsed.data.repository, parsed.data.reference);
    if (!artifact) return c.json({ error: 'no such image' }, 404);
    if (!artifacts.isScannable(artifact)) return c.json({ error: 'not scannable' }, 422);
    const existing = state.scan(artifact.repository, artifact.manifest.digest);
    if (existing && isScanInFlight(existing)) return c.json({ error: 'already scanning', scan: reportSummary(existing) }, 409);
    const record = startScan(state, artifact.repository, artifact.manifest.digest, scenarios.get(appKeyOf(artifact.repository)));
    return c.json({ digest: artifact.manifest.digest, scan: reportSummary(record) }, 202);
  });

  app.get('/scans', (c) => c.json(state.scans().map((record) => ({ repository: record.repository, digest: record.digest, ...reportSummary(record) }))));

  return app;
}
