// Every setting of the engine, read from the environment and validated once at start.
// A wrong value stops the process with a message naming the variable and what it expects.
import { z } from 'zod';
import { CredentialCryptoError, parseKeyRing } from './credential-crypto.js';

/** Durations are written like `30s`, `10m`, `1h`, `250ms` or a bare number of milliseconds. */
const duration = z
  .string()
  .trim()
  .regex(/^\d+(ms|s|m|h)?$/, 'a duration such as 250ms, 30s, 10m or 1h')
  .transform((text) => {
    const match = /^(\d+)(ms|s|m|h)?$/.exec(text)!;
    const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[match[2] ?? 'ms']!;
    return Number(match[1]) * unit;
  });

/** Flags accept exactly true/false/1/0/yes/no: `Boolean("false")` is true, so never coerce. */
const flag = z
  .string()
  .trim()
  .toLowerCase()
  .refine((v) => ['true', 'false', '1', '0', 'yes', 'no'].includes(v), 'true or false')
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const port = z
  .string()
  .trim()
  .regex(/^\d{1,5}$/, 'a port number from 1 to 65535')
  .transform(Number)
  .refine((n) => n >= 1 && n <= 65535, 'a port number from 1 to 65535');
/** A whole number of at least 1, e.g. a count or a size (`what`: "requests", "bytes"). */
const atLeastOne = (what: string) =>
  z
    .string()
    .regex(/^[1-9]\d*$/, `a whole number of ${what}, at least 1`)
    .transform(Number);
const url = z.url({ message: 'an absolute URL such as http://127.0.0.1:8080' });
const optionalSecret = z.string().min(1).optional();

export const severities = ['None', 'Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'] as const;
export type Severity = (typeof severities)[number];

/**
 * The environment variables, their rules and defaults. `.env.example` lists exactly these
 * (a test keeps the two in step). Defaults are the embedded dev stack's.
 */
export const envSchema = z.object({
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),

  // PostgreSQL (the start and test scripts set it when they start their own cluster)
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'a postgresql:// connection URL'),

  // Temporal
  TEMPORAL_ADDRESS: z
    .string()
    .regex(/^[^\s:]+:\d+$/, 'host:port, e.g. 127.0.0.1:7233')
    .default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('deploy-engine'),
  TEMPORAL_UI_URL: url.default('http://127.0.0.1:8233'),

  // API
  API_HOST: z.string().min(1).default('127.0.0.1'),
  API_PORT: port.default(3000),
  PUBLIC_API_URL: url.optional(),
  DEV_API_TOKEN: z.string().min(16, 'at least 16 characters').optional(),
  /**
   * The bearer token External Secrets presents on GET /v1/pull-credentials/:workspaceId (the
   * ClusterSecretStore of gitops/bootstrap.ts). Unset: that endpoint answers 404.
   */
  PULL_CREDENTIALS_TOKEN: z.string().min(32, 'at least 32 characters (openssl rand -hex 32)').optional(),
  DEV_WORKSPACE_ID: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/, 'a DNS-1123 label of at most 20 characters')
    .default('dev'),
  /** Users the dev workspace may create projects for (what the README examples and the web page use). */
  DEV_WORKSPACE_USERS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((u) => u.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/, 'user ids (DNS-1123 labels of at most 20 characters), comma-separated')))
    .default(['alice', 'bob']),
  ALLOW_LOCAL_REPOS: flag.default(false),
  /** Hosts (exact names, comma-separated) a project's repository may be on; see lib/repo-address.ts. */
  REPO_HOSTS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((h) => h.trim().toLowerCase().replace(/\.$/, ''))
        .filter(Boolean),
    )
    .pipe(
      z
        .array(
          z
            .string()
            .regex(
              /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)*$/,
              'host names such as github.com,gitlab.example.com (exact, no wildcards), comma-separated',
            ),
        )
        .min(1, 'at least one host name'),
    )
    .default(['github.com']),
  /** Dev stack and tests only: repositories on loopback addresses (never private or link-local ones). */
  ALLOW_LOOPBACK_REPOS: flag.default(false),
  /** Origins (exact, comma-separated) allowed to call the API from a browser; empty = none. */
  CORS_ORIGINS: z
    .string()
    .transform((v) =>
      v
        .split(',')
        .map((o) => o.trim())
        .filter(Boolean),
    )
    .pipe(z.array(z.string().regex(/^https?:\/\/[^/\s*]+$/, 'exact origins such as https://console.example.com, comma-separated')))
    .default([]),
  /** Deploy-starting requests (deploy, rollback, retry) per token: a burst, then this many per minute. */
  DEPLOY_RATE_BURST: atLeastOne('requests').default(10),
  DEPLOY_RATE_PER_MINUTE: atLeastOne('requests').default(30),
  /** Deployments waiting to start (status queued) one project, and one workspace, may have. */
  MAX_QUEUED_PER_PROJECT: atLeastOne('deployments').default(20),
  MAX_QUEUED_PER_WORKSPACE: atLeastOne('deployments').default(100),
  /** Largest JSON request body, in bytes (webhooks have their own limit: 5 MB). */
  MAX_BODY_BYTES: atLeastOne('bytes').default(65_536),
  /** Bytes a log viewer's socket may hold unsent before it is closed with the offset to resume from. */
  LOG_VIEWER_MAX_BUFFER: z.string().regex(/^\d+$/, 'a number of bytes').transform(Number).default(1_000_000),
  /** How often idle log viewers are pinged (and dropped when they do not answer). */
  LOG_VIEWER_PING_INTERVAL: duration.default(30_000),

  // Jenkins
  JENKINS_URL: url.default('http://127.0.0.1:8081'),
  JENKINS_USER: z.string().min(1).default('deployer'),
  JENKINS_API_TOKEN: z.string().min(1).default('dev-jenkins-token'),
  JENKINS_JOB: z
    .string()
    .regex(/^[^/\s]+(\/[^/\s]+)*$/, 'a job path such as platform/deploy')
    .default('platform/app-build'),

  // Harbor / OCI registry
  HARBOR_URL: url.default('http://127.0.0.1:8082'),
  HARBOR_USERNAME: z.string().min(1).default('robot$apps+deployer'),
  HARBOR_PASSWORD: z.string().min(1).default('dev-harbor-secret'),
  HARBOR_PROJECT: z
    .string()
    .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'a Harbor project name')
    .default('apps'),
  REGISTRY_HOST: z.string().min(1).optional(),
  /**
   * The Harbor account that creates and refreshes each workspace's pull-only robot
   * (activities/pull-access.ts, docs/pull-credentials.md): a user with the project admin role,
   * or a system robot with robot create/list/read/update and the project's repository pull. A
   * project robot such as HARBOR_USERNAME cannot create robots. The password defaults to
   * HARBOR_PASSWORD (the dev stack's `admin` shares it).
   */
  HARBOR_ROBOT_ADMIN_USERNAME: z.string().min(1).default('admin'),
  HARBOR_ROBOT_ADMIN_PASSWORD: optionalSecret,
  SCAN_FAIL_SEVERITY: z.enum(severities).default('Critical'),

  // Argo CD
  ARGOCD_URL: url.default('http://127.0.0.1:8083'),
  ARGOCD_TOKEN: optionalSecret,
  ARGOCD_USERNAME: z.string().min(1).default('admin'),
  ARGOCD_PASSWORD: z.string().min(1).default('dev-argocd-password'),
  /**
   * The bootstrap app of apps (gitops/bootstrap.ts). While a new app has not been generated yet,
   * the engine refreshes this one: that makes Argo CD read the branch heads again, which the
   * ApplicationSet would otherwise see only after its 3-minute cache (docs/real-cluster.md).
   */
  ARGOCD_BOOTSTRAP_APP: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'an Argo CD application name')
    .max(253)
    .default('deploy-engine-bootstrap'),
  /**
   * The AppProject of the generated apps (the bootstrap's `project`). Reads name it, so Argo CD
   * answers 404 for an app that does not exist and 403 only when RBAC refuses the account.
   */
  ARGOCD_PROJECT: z
    .string()
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'an Argo CD project name')
    .max(253)
    .default('default'),

  // GitOps repository
  GITOPS_REPO_URL: z.string().min(1).default('.data/gitops.git'),
  GITOPS_BRANCH: z.string().min(1).default('main'),
  GITOPS_WORKDIR: z.string().min(1).default('.data/gitops-work'),
  /** A platform team's own chart template (Chart.yaml + templates/*.yaml); the engine's by default. */
  CHART_TEMPLATE_DIR: z.string().min(1).optional(),
  GITOPS_AUTHOR_NAME: z.string().min(1).default('deploy-engine'),
  GITOPS_AUTHOR_EMAIL: z
    .string()
    .regex(/^[^@\s]+@[^@\s]+$/, 'an e-mail address such as deploy@example.com')
    .default('deploy-engine@localhost'),
  /**
   * For a `git@host:` or `ssh://` GitOps URL: the private key the engine pushes with and the
   * known_hosts that pins the server's host key. Set both or neither; see docs/compose.md.
   */
  GITOPS_SSH_KEY_FILE: z.string().min(1).optional(),
  GITOPS_SSH_KNOWN_HOSTS_FILE: z.string().min(1).optional(),

  // Apps
  APPS_DOMAIN: z
    .string()
    .regex(/^([a-z0-9]([a-z0-9-]*[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]*[a-z0-9])?$/, 'a DNS domain such as apps.example.com')
    .default('apps.localhost'),
  /** Also whether the Ingress serves TLS: `https` adds its `tls` block, so the live URL's scheme is what it serves. */
  APPS_URL_SCHEME: z.enum(['http', 'https']).default('https'),
  /** The IngressClass of every app's Ingress. */
  INGRESS_CLASS_NAME: z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'an IngressClass name such as nginx')
    .default('nginx'),
  /** cert-manager ClusterIssuer of the apps' TLS secrets (with APPS_URL_SCHEME=https); `none`: no annotation, the platform provides the certificates. */
  CERT_MANAGER_CLUSTER_ISSUER: z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a ClusterIssuer name such as letsencrypt, or none')
    .default('letsencrypt'),
  /**
   * How app pods get registry credentials (docs/pull-secrets-and-tls.md): `external-secret` = an
   * ExternalSecret per release from the PULL_SECRET_STORE ClusterSecretStore; `existing` = the
   * Secret PULL_SECRET_NAME the platform created in each namespace; `none` = a public registry.
   */
  PULL_SECRET_MODE: z.enum(['external-secret', 'existing', 'none']).default('external-secret'),
  PULL_SECRET_STORE: z
    .string()
    .max(253)
    .regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, 'a ClusterSecretStore name')
    .default('deploy-engine-registry'),
  PULL_SECRET_NAME: z
    .string()
    .max(63)
    .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a Secret name (DNS-1123 label)')
    .default('harbor-pull'),
  /**
   * `user`: one namespace per user, shared by that user's projects in every workspace; `workspace`:
   * one per workspace and user, for platforms whose workspaces are separate customers (gitops/naming.ts).
   */
  NAMESPACE_SCOPE: z.enum(['user', 'workspace']).default('user'),

  // The live-URL probe (activities/url-probe.ts, docs/live-url-probe.md)
  /**
   * `on`: once Argo CD says Synced and Healthy, await_live also waits until the live URL answers
   * from this release (else url_unreachable). Off by default: the worker must be able to reach
   * the apps' public address, which a production network may not allow. The dev stack turns it on.
   */
  LIVE_URL_PROBE: z.enum(['off', 'on']).default('off'),
  /**
   * `host:port` the probe connects to instead of the address DNS gives for the live host; the
   * request still names the live host (Host header, TLS server name), like curl --connect-to.
   */
  LIVE_URL_PROBE_VIA: z
    .string()
    .trim()
    .regex(/^(\[[0-9a-fA-F:.]+\]|[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?):\d{1,5}$/, 'host:port, e.g. 127.0.0.1:18480 or [::1]:443')
    .optional(),
  LIVE_URL_PROBE_TIMEOUT: duration.default(60_000),
  /** Statuses that count as "the app answers" (`200-399,401,403`): an app behind a login answers 401/403 or a redirect. */
  LIVE_URL_PROBE_STATUSES: z
    .string()
    .regex(/^\s*\d{3}(-\d{3})?(\s*,\s*\d{3}(-\d{3})?)*\s*$/, 'HTTP statuses and ranges such as 200-399,401,403')
    .transform(statusRanges)
    .default(statusRanges('200-399,401,403')),

  // Deploy behaviour: every step has its own time bound
  RESOLVE_SOURCE_TIMEOUT: duration.default(120_000),
  BUILD_TIMEOUT: duration.default(1_800_000),
  VERIFY_IMAGE_TIMEOUT: duration.default(600_000),
  COMMIT_RELEASE_TIMEOUT: duration.default(120_000),
  AWAIT_LIVE_TIMEOUT: duration.default(600_000),
  /**
   * How long a new app may stay ungenerated before await_live fails with app_not_generated:
   * the app-of-apps refresh plus two ApplicationSet requeues (DEFAULT_APPSET_REQUEUE_SECONDS,
   * 30 s, in gitops/bootstrap.ts). Raise it with the requeue.
   */
  APP_GENERATE_TIMEOUT: duration.default(60_000),
  DEGRADED_GRACE: duration.default(30_000),
  /** How often long steps poll Jenkins, Harbor and Argo CD. */
  POLL_INTERVAL: duration.default(1_000),
  AUTO_ROLLBACK: flag.default(true),
  /**
   * DELETE /v1/projects/:id: how long the undeploy waits for Argo CD to delete the Application
   * (and, through its resources finalizer, what it ran) after the folder is removed from Git.
   */
  UNDEPLOY_TIMEOUT: duration.default(600_000),
  /** Where the worker keeps scratch clones (source inspection, GitOps checkout). */
  WORK_DIR: z.string().min(1).default('.data/work'),

  // GitHub (optional integration)
  GITHUB_TOKEN: optionalSecret,
  GITHUB_API_URL: url.default('https://api.github.com'),
  /** A GitHub App that reads private repositories with installation tokens (one repo, one hour). */
  GITHUB_APP_ID: z
    .string()
    .regex(/^\d+$|^Iv[0-9A-Za-z.]+$/, 'the GitHub App id (a number) or its client id (Iv…)')
    .optional(),
  /** The app's private key (PEM; `\n` escapes are read as line breaks). */
  GITHUB_APP_PRIVATE_KEY: z
    .string()
    .transform((v) => v.replace(/\\n/g, '\n'))
    .refine((v) => /-----BEGIN (RSA )?PRIVATE KEY-----/.test(v), 'a PEM private key (-----BEGIN RSA PRIVATE KEY----- ...)')
    .optional(),

  // Stored credentials (repository tokens): encrypted at rest with these keys
  /**
   * `id:base64key[,id:base64key...]`, newest first: the first encrypts, all decrypt. Each key is
   * 32 random bytes (`openssl rand -base64 32`). Rotate: put a new key first, keep the old one
   * after it, run `npx tsx scripts/credentials.ts rotate`, then drop the old one.
   */
  CREDENTIAL_KEYS: z
    .string()
    .superRefine((v, ctx) => {
      const problem = credentialKeysProblem(v);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .optional(),
});

export type Env = z.infer<typeof envSchema>;

/** `200-399,401` -> [{from:200,to:399},{from:401,to:401}] (LIVE_URL_PROBE_STATUSES). */
function statusRanges(text: string): Array<{ from: number; to: number }> {
  return text.split(',').map((part) => {
    const [from, to = from] = part.trim().split('-').map(Number) as [number, number?];
    return { from, to };
  });
}

/** Why CREDENTIAL_KEYS cannot be used (never quoting key material), or undefined. */
function credentialKeysProblem(text: string): string | undefined {
  try {
    parseKeyRing(text);
    return undefined;
  } catch (error) {
    if (error instanceof CredentialCryptoError) return `a list of id:base64key entries (${error.message})`;
    throw error;
  }
}

/** Both halves of the GitHub App, or neither. */
const githubAppPairing = (env: Env): string | undefined =>
  (env.GITHUB_APP_ID === undefined) !== (env.GITHUB_APP_PRIVATE_KEY === undefined)
    ? 'GITHUB_APP_ID and GITHUB_APP_PRIVATE_KEY must be set together'
    : undefined;

/** The ssh key and its known_hosts, or neither: a key without a pinned host key would trust any server. */
const gitOpsSshPairing = (env: Env): string | undefined =>
  (env.GITOPS_SSH_KEY_FILE === undefined) !== (env.GITOPS_SSH_KNOWN_HOSTS_FILE === undefined)
    ? 'GITOPS_SSH_KEY_FILE and GITOPS_SSH_KNOWN_HOSTS_FILE must be set together'
    : undefined;

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/**
 * Validates the environment. Empty strings count as unset, so `FOO=` in a .env file falls
 * back to the default instead of failing on an empty value.
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Env {
  const input: Record<string, string> = {};
  for (const key of Object.keys(envSchema.shape)) {
    const value = env[key];
    if (value !== undefined && value !== '') input[key] = value;
  }
  const parsed = envSchema.safeParse(input);
  if (parsed.success) {
    const pairings = [githubAppPairing(parsed.data), gitOpsSshPairing(parsed.data)].filter((p): p is string => p !== undefined);
    if (pairings.length) throw new ConfigError(pairings);
    return parsed.data;
  }
  const problems = parsed.error.issues.map((issue) => {
    const name = String(issue.path[0] ?? '(environment)');
    const got = input[name];
    const expected = issue.code === 'invalid_type' && got === undefined ? 'is required' : `must be ${issue.message.replace(/^Invalid input: /, '')}`;
    return `${name} ${expected}${got !== undefined && !isSecretName(name) ? ` (got "${got}")` : ''}`;
  });
  throw new ConfigError(problems);
}

/** Names whose values must never be echoed, even in an error. */
export function isSecretName(name: string): boolean {
  return /TOKEN|PASSWORD|SECRET|DATABASE_URL|KEY/.test(name);
}

/** For entry points: load the config or print the problems and exit with status 2. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Env {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }
}
