// The configured secret values: masked in logs and stored build logs, and checked by the
// no-leak tests. Credential keys count by their key material, not the whole list.
import type { Env } from './config.js';

export function configuredSecrets(config: Env): string[] {
  const keyMaterial = (config.CREDENTIAL_KEYS ?? '').split(',').map((entry) => entry.slice(entry.indexOf(':') + 1).trim());
  const values = [
    config.JENKINS_API_TOKEN,
    config.HARBOR_PASSWORD,
    config.HARBOR_ROBOT_ADMIN_PASSWORD,
    config.PULL_CREDENTIALS_TOKEN,
    config.ARGOCD_TOKEN,
    config.ARGOCD_PASSWORD,
    config.GITHUB_TOKEN,
    config.DEV_API_TOKEN,
    config.GITHUB_APP_PRIVATE_KEY,
    ...keyMaterial,
  ];
  return values.filter((v): v is string => typeof v === 'string' && v.length > 0);
}
