// The ingress simulator's route table, built from Argo CD's application list exactly as a real
// Argo CD serves it: `status.summary.externalURLs` (Argo CD derives them from the live Ingress
// rules' hosts), `status.summary.images`, `status.health.status` and `status.sync.revision`
// (pkg/apis/application/v1alpha1/types.go, ApplicationSummary; controller/cache/info.go).
import { z } from 'zod';

const applicationSchema = z.looseObject({
  metadata: z.looseObject({ name: z.string() }),
  status: z
    .looseObject({
      sync: z.looseObject({ status: z.string().optional(), revision: z.string().optional() }).optional(),
      health: z.looseObject({ status: z.string().optional(), message: z.string().optional() }).optional(),
      summary: z.looseObject({ externalURLs: z.array(z.string()).nullish(), images: z.array(z.string()).nullish() }).optional(),
    })
    .optional(),
});

export const applicationListSchema = z.looseObject({ items: z.array(z.unknown()).nullish() });

/** One host the ingress serves, and the app behind it. */
export interface Route {
  host: string;
  app: string;
  health: string;
  healthMessage?: string;
  sync: string;
  revision?: string;
  images: string[];
  /** The external URL Argo CD reported for this host. */
  url: string;
  /** Reached through a `*.localhost` alias rather than the host itself. */
  alias?: boolean;
}

export interface RouteTable {
  routes: Map<string, Route>;
  /** Apps of the list that could not be read (a shape this simulator does not know). */
  skipped: number;
}

/**
 * Hosts of every app's external URLs. Two apps claiming one host: the first by name keeps it (a
 * real ingress controller also serves one backend per host and path). Aliases, so that a
 * browser reaches the page on loopback (Chromium and curl resolve every `*.localhost` to it):
 * `<host>.localhost` for every host not already under `localhost`, and, with `appsDomain`,
 * `<host without .appsDomain>.localhost`. A real host always wins over an alias; an alias two
 * hosts would share is dropped.
 */
export function buildRouteTable(list: unknown, appsDomain?: string): RouteTable {
  const parsed = applicationListSchema.safeParse(list);
  if (!parsed.success) throw new Error('Argo CD application list has an unexpected shape');
  const apps = (parsed.data.items ?? [])
    .map((item) => applicationSchema.safeParse(item))
    .flatMap((r) => (r.success ? [r.data] : []))
    .sort((a, b) => a.metadata.name.localeCompare(b.metadata.name));
  const skipped = (parsed.data.items ?? []).length - apps.length;
  const routes = new Map<string, Route>();
  const aliases = new Map<string, Route | null>();
  for (const app of apps) {
    for (const url of app.status?.summary?.externalURLs ?? []) {
      const host = hostOfUrl(url);
      if (!host || routes.has(host)) continue;
      const route: Route = {
        host,
        app: app.metadata.name,
        health: app.status?.health?.status ?? 'Unknown',
        ...(app.status?.health?.message ? { healthMessage: app.status.health.message } : {}),
        sync: app.status?.sync?.status ?? 'Unknown',
        ...(app.status?.sync?.revision ? { revision: app.status.sync.revision } : {}),
        images: [...(app.status?.summary?.images ?? [])],
        url,
      };
      routes.set(host, route);
      for (const alias of aliasesOf(host, appsDomain)) aliases.set(alias, aliases.has(alias) && aliases.get(alias)?.host !== host ? null : route);
    }
  }
  for (const [alias, route] of aliases) if (route && !routes.has(alias)) routes.set(alias, { ...route, alias: true });
  return { routes, skipped };
}

function aliasesOf(host: string, appsDomain: string | undefined): string[] {
  if (host === 'localhost' || host.endsWith('.localhost')) return [];
  const out = [`${host}.localhost`];
  const domain = appsDomain?.toLowerCase().replace(/\.$/, '');
  if (domain && host.endsWith(`.${domain}`)) out.push(`${host.slice(0, -domain.length - 1)}.localhost`);
  return out;
}

function hostOfUrl(url: string): string | undefined {
  try {
    return new URL(url).hostname.toLowerCase().replace(/\.$/, '') || undefined;
  } catch {
    return undefined;
  }
}

/** The host a request names: Host header without its port, lowercase, without a trailing dot. */
export function requestHost(hostHeader: string | undefined): string {
  const text = (hostHeader ?? '').trim().toLowerCase();
  const withoutPort = text.startsWith('[') ? text.slice(0, text.indexOf(']') + 1) : text.replace(/:\d*$/, '');
  return withoutPort.replace(/\.$/, '');
}

/** The ingress's own address (an IP literal or localhost), where it serves its route list. */
export function isOwnAddress(host: string): boolean {
  return host === 'localhost' || host === '' || /^[\d.]+$/.test(host) || host.startsWith('[');
}
