// The Harbor simulator: Harbor's v2.0 API, its token service and the OCI distribution API on
// one Hono app, over a local store (memory or a data folder) or a real upstream registry.
// Scan findings come from the shared scenarios; faults and counters are this simulator's own.
import path from 'node:path';
import { Hono } from 'hono';
import { createControlApi } from '../common/control.js';
import { Counters } from '../common/counters.js';
import { FaultInjector } from '../common/faults.js';
import type { ScenarioStore } from '../common/scenario.js';
import { ArtifactService } from './artifacts.js';
import { UserDirectory, type HarborUser } from './auth.js';
import { createHarborControl } from './control-routes.js';
import { createDistributionRoutes, distributionRouteKey } from './distribution-routes.js';
import { harborError, registryError, requestId } from './errors.js';
import { apiRouteKey, createHarborApi } from './harbor-api.js';
import { LocalOciStore, type OciStore } from './oci-store.js';
import { RobotStore } from './robots.js';
import { HarborState } from './state.js';
import { TokenIssuer, createTokenRoutes } from './token.js';
import { UpstreamOciStore } from './upstream-store.js';

export interface HarborSimulatorOptions {
  /** The shared world; scan findings come from `scenarios.get(appKey)`, appKey = repository after the project, `/` -> `-`. */
  scenarios: ScenarioStore;
  /** Users and robot accounts (`robot$<project>+<name>` reaches its project only). */
  users: HarborUser[];
  /** Harbor projects that exist, e.g. ['apps']. */
  projects: string[];
  /** Keep blobs, manifests, ids and scans on disk (the dev stack survives restarts); memory when omitted. */
  dataDir?: string;
  /** A real OCI registry where images are stored; the Harbor API reads from it. */
  upstream?: { url: string; username?: string; password?: string };
  /** Base URL used in the WWW-Authenticate realm and systeminfo; the request's origin when omitted. */
  publicUrl?: string;
}

export interface HarborSimulator {
  app: Hono;
  faults: FaultInjector;
  counters: Counters;
  close(): Promise<void>;
}

export function createHarborSimulator(options: HarborSimulatorOptions): HarborSimulator {
  const faults = new FaultInjector();
  const counters = new Counters();
  const store: OciStore = options.upstream
    ? new UpstreamOciStore(options.upstream)
    : new LocalOciStore({ dataDir: options.dataDir ? path.join(options.dataDir, 'registry') : undefined });
  const state = new HarborState(options.projects, options.dataDir);
  const robots = new RobotStore(options.dataDir);
  const users = new UserDirectory(options.users, options.projects, robots);
  const issuer = new TokenIssuer(options.dataDir);
  const artifacts = new ArtifactService(store, state, options.scenarios);

  const app = new Hono();
  app.use(async function countHarborRequests(c, next) {
    const rawPath = new URL(c.req.url).pathname;
    if (rawPath.startsWith('/_sim')) return next();
    await next();
    counters.count(`${c.req.method} ${routeKey(rawPath)}`);
  });
  app.use(faults.middleware(counters));

  app.route(
    '/_sim',
    createControlApi({
      scenarios: options.scenarios,
      faults,
      counters,
      onReset: () => {
        state.reset();
        robots.reset();
        void store.reset().catch(() => undefined);
      },
    }),
  );
  app.route('/_sim/harbor', createHarborControl({ store, artifacts, state, scenarios: options.scenarios, projects: options.projects }));
  app.route('/service', createTokenRoutes({ issuer, users }));
  const distribution = createDistributionRoutes({ store, artifacts, users, issuer, publicUrl: options.publicUrl });
  app.route('/v2', distribution);
  app.route('/api/v2.0', createHarborApi({ store, artifacts, state, users, scenarios: options.scenarios, publicUrl: options.publicUrl }));

  app.notFound((c) => harborError(404, 'NOT_FOUND', `path ${c.req.path} was not found`, requestId(c.req.header('x-request-id'))));
  app.onError((error, c) => {
    const rawPath = new URL(c.req.url).pathname;
    if (rawPath.startsWith('/v2')) return registryError(500, [{ code: 'UNKNOWN', message: `unknown error: ${error.message}` }]);
    return harborError(500, 'UNKNOWN', `internal server error: ${error.message}`, requestId(c.req.header('x-request-id')));
  });

  return {
    app,
    faults,
    counters,
    close: async () => {
      await store.close();
    },
  };
}

function routeKey(rawPath: string): string {
  if (rawPath === '/v2' || rawPath.startsWith('/v2/')) return distributionRouteKey(rawPath);
  if (rawPath.startsWith('/api/v2.0/')) return apiRouteKey(rawPath);
  return rawPath;
}

export type { HarborUser } from './auth.js';
export { VULNERABILITY_REPORT_MIME } from './scans.js';
