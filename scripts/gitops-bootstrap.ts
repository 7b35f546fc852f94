// Writes the Argo CD bootstrap manifests (gitops/bootstrap.ts) into the GitOps repository
// (scripts/lib/gitops-bootstrap-writer.ts).
//
//   npx tsx scripts/gitops-bootstrap.ts [--repo <path-or-url>] [--branch main]
//                                       [--argocd-repo-url <url>] [--argocd-namespace argocd]
//                                       [--appset-requeue-seconds 30]
//                                       [--engine-url https://deploy.example.com] [--no-pull-store]
//
// Defaults come from GITOPS_REPO_URL, GITOPS_BRANCH, GITOPS_AUTHOR_NAME and GITOPS_AUTHOR_EMAIL
// (lib/config.ts); NAMESPACE_SCOPE picks the Applications' namespaces, as it does the engine's. A local path that does not exist becomes a new bare repository. Running it
// again makes no second commit.
//
// With PULL_SECRET_MODE=external-secret (the default) the releases' ExternalSecrets need the
// ClusterSecretStore PULL_SECRET_STORE, which asks the engine for each workspace's pull
// credential (docs/pull-credentials.md): it is written too, and needs the engine's public URL
// (--engine-url, else PUBLIC_API_URL). --no-pull-store leaves it out (a cluster without External
// Secrets, or one that gets the store elsewhere).
import { parseArgs } from 'node:util';
import { envSchema } from '../lib/config.js';
import { bootstrapGitOpsRepo } from './lib/gitops-bootstrap-writer.js';

const settingsSchema = envSchema.pick({
  GITOPS_REPO_URL: true,
  GITOPS_BRANCH: true,
  GITOPS_AUTHOR_NAME: true,
  GITOPS_AUTHOR_EMAIL: true,
  NAMESPACE_SCOPE: true,
  PUBLIC_API_URL: true,
  PULL_SECRET_MODE: true,
  PULL_SECRET_STORE: true,
});

const USAGE =
  'Usage: npx tsx scripts/gitops-bootstrap.ts [--repo <path-or-url>] [--branch main] [--argocd-repo-url <url>] [--argocd-namespace argocd] [--appset-requeue-seconds 30] [--engine-url <url>] [--no-pull-store]\n';

function readSettings() {
  // Only the GitOps settings: the rest of the configuration (database, Temporal) is not needed here.
  const input: Record<string, string> = {};
  for (const key of Object.keys(settingsSchema.shape)) {
    const value = process.env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = settingsSchema.safeParse(input);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) process.stderr.write(`${String(issue.path[0])}: ${issue.message}\n`);
    process.exit(2);
  }
  return parsed.data;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      repo: { type: 'string' },
      branch: { type: 'string' },
      'argocd-repo-url': { type: 'string' },
      'argocd-namespace': { type: 'string' },
      'appset-requeue-seconds': { type: 'string' },
      'engine-url': { type: 'string' },
      'no-pull-store': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const settings = readSettings();
  const requeue = values['appset-requeue-seconds'];
  if (requeue !== undefined && !/^[1-9][0-9]{0,5}$/.test(requeue)) {
    process.stderr.write(`--appset-requeue-seconds must be a whole number of seconds from 1 (got ${JSON.stringify(requeue)})\n`);
    process.exit(2);
  }
  const wantsStore = settings.PULL_SECRET_MODE === 'external-secret' && !values['no-pull-store'];
  const engineUrl = values['engine-url'] ?? settings.PUBLIC_API_URL;
  if (wantsStore && !engineUrl) {
    process.stderr.write(
      "PULL_SECRET_MODE=external-secret needs the pull-credential store, which needs the engine's public URL as the cluster reaches it: pass --engine-url https://deploy.example.com or set PUBLIC_API_URL (or --no-pull-store, or PULL_SECRET_MODE=existing|none)\n",
    );
    process.exit(2);
  }
  const result = await bootstrapGitOpsRepo({
    repo: values.repo ?? settings.GITOPS_REPO_URL,
    branch: values.branch ?? settings.GITOPS_BRANCH,
    author: { name: settings.GITOPS_AUTHOR_NAME, email: settings.GITOPS_AUTHOR_EMAIL },
    argocdRepoUrl: values['argocd-repo-url'],
    argocdNamespace: values['argocd-namespace'],
    namespaceScope: settings.NAMESPACE_SCOPE,
    ...(requeue ? { requeueAfterSeconds: Number(requeue) } : {}),
    ...(wantsStore ? { pullCredentials: { engineUrl: engineUrl!, storeName: settings.PULL_SECRET_STORE } } : {}),
  });
  if (result.createdRepo) process.stdout.write(`created a bare repository at ${values.repo ?? settings.GITOPS_REPO_URL}\n`);
  process.stdout.write(result.created ? `committed ${result.files.join(', ')} as ${result.sha}\n` : `bootstrap already up to date at ${result.sha}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`gitops-bootstrap: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
