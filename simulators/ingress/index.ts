// The ingress simulator: an HTTP server that routes by Host to the apps Argo CD reports, the way
// an ingress controller routes by the Ingress rules Argo CD synced. It learns the hosts from
// Argo CD's API alone (status.summary.externalURLs), so it works the same over the Argo CD
// simulator and a real Argo CD. The route table is refreshed on an interval, never per request.
//
//   known host, app Healthy      200, a page naming the app, its image and revision, and the
//                                header x-deploy-engine-image (what the live-URL probe checks)
//   known host, app not Healthy  503 (no ready backend)
//   unknown host                 404
import { Hono } from 'hono';
import { Counters } from '../common/counters.js';
import { createApplicationReader, type ApplicationReader, type ArgoCdSource } from './argocd-source.js';
import { appPage } from './page.js';
import { buildRouteTable, isOwnAddress, requestHost, type RouteTable } from './routes.js';

export const IMAGE_HEADER = 'x-deploy-engine-image';
const SERVED_BY = 'deploy-engine ingress simulator';

export interface IngressSimulatorOptions {
  /** The Argo CD to read the apps from (the simulator's URL and credentials, or a real one's). */
  argocd?: ArgoCdSource;
  /** In place of `argocd` (tests): returns the body of GET /api/v1/applications. */
  read?: ApplicationReader;
  /** How often the route table is read again. Default 1 s. */
  refreshMs?: number;
  /** APPS_DOMAIN: adds the `<name>.localhost` alias of every `<name>.<APPS_DOMAIN>` host. */
  appsDomain?: string;
  /** Errors of the background refresh, each distinct one once; default: ignore. */
  onError?: (error: unknown) => void;
}

export interface IngressSimulator {
  app: Hono;
  counters: Counters;
  /** Reads Argo CD now; resolves when the table is updated (or the read failed). */
  refresh(): Promise<void>;
  /** First read, then refreshing on the interval. */
  start(): Promise<void>;
  close(): Promise<void>;
  table(): RouteTable | undefined;
}

export function createIngressSimulator(o: IngressSimulatorOptions): IngressSimulator {
  const read = o.read ?? createApplicationReader(o.argocd ?? missing());
  const counters = new Counters();
  let table: RouteTable | undefined;
  let lastError: string | undefined;
  let refreshedAt: string | undefined;
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;

  const refresh = (): Promise<void> => {
    running ??= (async () => {
      try {
        table = buildRouteTable(await read(), o.appsDomain);
        refreshedAt = new Date().toISOString();
        lastError = undefined;
      } catch (error) {
        // The last table stays: a real ingress keeps routing while Argo CD is away.
        const message = error instanceof Error ? error.message : String(error);
        if (message !== lastError) o.onError?.(new Error(`ingress: ${message}`));
        lastError = message;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };

  const app = new Hono();
  app.use('*', counters.middleware());
  app.all('*', (c) => {
    const host = requestHost(c.req.header('host'));
    const headers = { 'x-served-by': SERVED_BY, 'cache-control': 'no-store' };
    if (isOwnAddress(host) && c.req.path === '/_sim/routes') {
      return c.json({ refreshedAt: refreshedAt ?? null, lastError: lastError ?? null, routes: table ? [...table.routes.values()] : [] }, 200, headers);
    }
    if (!table) return c.text(`${SERVED_BY}: the route table is not loaded yet (Argo CD: ${lastError ?? 'not read yet'})\n`, 503, headers);
    const route = table.routes.get(host);
    if (!route) {
      const hint = isOwnAddress(host) ? ` Open an app by its host (GET /_sim/routes here lists them).` : '';
      return c.text(
        `${SERVED_BY}: 404, no Ingress rule for host "${host}": no app Argo CD reports has it in status.summary.externalURLs.${hint}\n`,
        404,
        headers,
      );
    }
    if (route.health !== 'Healthy') {
      return c.text(
        `${SERVED_BY}: 503, host "${host}" routes to Argo CD app ${route.app}, which is ${route.health}${route.healthMessage ? ` (${route.healthMessage})` : ''}: no ready backend.\n`,
        503,
        headers,
      );
    }
    const releaseHeaders: Record<string, string> = { ...headers, 'x-deploy-engine-app': route.app };
    if (route.images.length > 0) releaseHeaders[IMAGE_HEADER] = route.images.join(', ');
    if (route.revision) releaseHeaders['x-deploy-engine-revision'] = route.revision;
    return c.html(appPage(route), 200, releaseHeaders);
  });

  return {
    app,
    counters,
    refresh,
    async start() {
      await refresh();
      timer ??= setInterval(() => void refresh(), o.refreshMs ?? 1_000);
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
    table: () => table,
  };
}

function missing(): never {
  throw new Error('createIngressSimulator needs `argocd` (or `read`)');
}
