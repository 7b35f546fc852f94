// The configured secret values: masked in logs and stored build logs, and checked by the
// no-leak tests.
import type { Env } from './config.js';

export function configuredSecrets(config: Env): string[] {
  const values = [config.JENKINS_API_TOKEN, config.HARBOR_PASSWORD, config.ARGOCD_TOKEN, config.ARGOCD_PASSWORD, config.GITHUB_TOKEN, config.DEV_API_TOKEN];
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}
