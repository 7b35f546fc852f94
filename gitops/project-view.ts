// Derived facts of a project that several places need (the API's views and name claims, the
// activities): its names, host and live URL, from the naming rules beside it.
import type { Env } from '../lib/config.js';
import { appHost, appName, gitopsPath, namespace, releaseName, imageRepository } from './naming.js';

export interface ProjectIdentity {
  workspaceId: string;
  userId: string;
  name: string;
  customDomain: string | null;
}

export function projectNames(project: ProjectIdentity, config: Pick<Env, 'APPS_DOMAIN' | 'HARBOR_PROJECT' | 'NAMESPACE_SCOPE'>) {
  return {
    appName: appName(project.workspaceId, project.userId, project.name),
    releaseName: releaseName(project.userId, project.name),
    namespace: namespace(project.workspaceId, project.userId, config.NAMESPACE_SCOPE),
    gitopsPath: gitopsPath(project.workspaceId, project.userId, project.name),
    host: appHost(project.name, project.userId, config.APPS_DOMAIN, project.customDomain ?? undefined),
    imageRepository: imageRepository(config.HARBOR_PROJECT, project.workspaceId, project.userId, project.name),
  };
}

/**
 * Whether the app's Ingress serves TLS. The one rule both the chart values (activities/gitops.ts)
 * and the live URL follow, so the URL the engine reports is always what the Ingress serves.
 */
export function servesTls(config: Pick<Env, 'APPS_URL_SCHEME'>): boolean {
  return config.APPS_URL_SCHEME === 'https';
}

export function liveUrlOf(project: ProjectIdentity, config: Pick<Env, 'APPS_DOMAIN' | 'HARBOR_PROJECT' | 'NAMESPACE_SCOPE' | 'APPS_URL_SCHEME'>): string {
  return `${servesTls(config) ? 'https' : 'http'}://${projectNames(project, config).host}`;
}
