// The identity rules of the house (docs/identity.md): every id that
// reaches a path, a YAML value, a Kubernetes name or a Helm name is validated here first.
//
//   application   <workspaceId>-<userId>-<projectName>        (Argo CD Application name)
//   Helm release  <userId>-<projectName>, cut to 53 + short hash when longer
//   namespace     user-<userId>                               (NAMESPACE_SCOPE=user, the default)
//                 w<len(workspaceId)>-<workspaceId>-<userId>  (NAMESPACE_SCOPE=workspace)
//   GitOps path   apps/<workspaceId>/<userId>/<projectName>
//
// Length limits. The Application name is a Kubernetes name and Argo CD's label tracking
// copies it into the `app.kubernetes.io/instance` label, whose value may hold at most 63
// characters. So   workspace + user + project + 2 dashes <= 63.
// The workspace limit (20) is the one lib/config already enforces on DEV_WORKSPACE_ID, the
// user limit is 20, which leaves 63 - 20 - 20 - 2 = 21 for the project name. With these limits
//   - the application name is at most 63 characters (never truncated, so never ambiguous);
//   - the release name `<user>-<project>` is at most 42 (< 53), so the hash cut below only
//     guards callers that pass longer labels;
//   - the namespace `user-<userId>` is at most 25, `w<n>-<ws>-<user>` at most 3 + 20 + 1 + 20 = 44;
//   - the default host label `<project>-<user>` is at most 42 (< 63).
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { DNS_LABEL, NAME_LIMITS, dnsLabel, projectNameSchema, userIdSchema, workspaceIdSchema } from '../lib/ids.js';

export { NAME_LIMITS, dnsLabel, workspaceIdSchema, userIdSchema, projectNameSchema };

/** Helm's release name rule (helm/pkg/chartutil ValidateReleaseName). */
export const HELM_RELEASE_NAME = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
/** OCI distribution spec tag grammar. */
export const OCI_TAG = /^[A-Za-z0-9_][A-Za-z0-9._-]{0,127}$/;

/** A lowercase DNS name (RFC 1123 subdomain) of at least two labels, e.g. `shop.example.com`. */
export const hostnameSchema = z
  .string()
  .max(253, 'a host name must be at most 253 characters')
  // Labels of at most 63 characters; the last one (the top-level domain) starts with a letter,
  // so IP addresses (10.0.0.1) are refused. One pattern, so OpenAPI tools see the whole rule.
  .regex(/^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\.)+[a-z]([-a-z0-9]{0,61}[a-z0-9])?$/, 'must be a lowercase DNS name such as app.example.com');

export const identitySchema = z.object({
  workspaceId: workspaceIdSchema,
  userId: userIdSchema,
  projectName: projectNameSchema,
});
export type Identity = z.infer<typeof identitySchema>;

/** Bad input for a name: callers map it to a 400 (terminal, never retried). */
export class NamingError extends Error {
  override readonly name = 'NamingError';
  readonly transient = false;
  constructor(message: string) {
    super(message);
  }
}

function check<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  throw new NamingError(parsed.error.issues.map((issue) => `${issue.path.length ? `${issue.path.join('.')}: ` : ''}${issue.message}`).join('; '));
}

/** Validates the three ids at once; the message names every bad field. */
export function parseIdentity(input: unknown): Identity {
  return check(identitySchema, input);
}

/** Argo CD Application name `<ws>-<user>-<project>` (at most 63 characters, see the header). */
export function appName(workspaceId: string, userId: string, projectName: string): string {
  const id = parseIdentity({ workspaceId, userId, projectName });
  return `${id.workspaceId}-${id.userId}-${id.projectName}`;
}

const HASH_LENGTH = 8;

/**
 * Helm release `<user>-<project>`. Longer than 53 characters, it keeps the first
 * 53 - 9 characters (trailing dashes dropped) and appends `-<8 hex of sha256(full name)>`,
 * so two different long names still get different release names. Accepts any two DNS labels,
 * not only ids within NAME_LIMITS, so the cut stays correct if the limits ever grow.
 */
export function releaseName(userId: string, projectName: string): string {
  const user = check(dnsLabel, userId);
  const project = check(dnsLabel, projectName);
  const full = `${user}-${project}`;
  if (full.length <= NAME_LIMITS.helmRelease) return full;
  const hash = createHash('sha256').update(full).digest('hex').slice(0, HASH_LENGTH);
  const head = full.slice(0, NAME_LIMITS.helmRelease - HASH_LENGTH - 1).replace(/-+$/, '');
  return `${head}-${hash}`;
}

export const namespaceScopes = ['user', 'workspace'] as const;
/** Who shares a namespace: a user's projects from every workspace, or only from one workspace. */
export type NamespaceScope = (typeof namespaceScopes)[number];

/**
 * Kubernetes namespace of a project's app. `user`: `user-<userId>`, shared by the user's apps in
 * every workspace. `workspace`: `w<length of workspaceId>-<workspaceId>-<userId>`. The length
 * prefix is what keeps it injective: a plain `<ws>-<user>` join gives workspace `a-b` + user `c`
 * and workspace `a` + user `b-c` the same namespace, and `--` is no separator either because ids
 * may contain it; with the length the workspace id is read back exactly (`w3-a-b-c` vs `w1-a-b-c`).
 * The ApplicationSet computes the same name from the path (gitops/bootstrap.ts).
 */
export function namespace(workspaceId: string, userId: string, scope: NamespaceScope): string {
  const user = check(userIdSchema, userId);
  if (scope === 'user') return `user-${user}`;
  const workspace = check(workspaceIdSchema, workspaceId);
  return `w${workspace.length}-${workspace}-${user}`;
}

/** Directory of a project's chart in the GitOps repository (no trailing slash). */
export function gitopsPath(workspaceId: string, userId: string, projectName: string): string {
  const id = parseIdentity({ workspaceId, userId, projectName });
  return `apps/${id.workspaceId}/${id.userId}/${id.projectName}`;
}

/** Public host of an app: `<project>-<user>.<appsDomain>`, or the project's custom domain. */
export function appHost(projectName: string, userId: string, appsDomain: string, customDomain?: string): string {
  if (customDomain !== undefined) return check(hostnameSchema, customDomain);
  const project = check(projectNameSchema, projectName);
  const user = check(userIdSchema, userId);
  const domain = check(
    z.string().refine((d) => d.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label)), 'the apps domain must be a lowercase DNS name'),
    appsDomain,
  );
  return check(hostnameSchema, `${project}-${user}.${domain}`);
}

const harborProjectSchema = z
  .string()
  .max(255)
  .regex(/^[a-z0-9]+(?:[._-][a-z0-9]+)*$/, 'must be a Harbor project name');

/** Repository inside the registry (no host): `<harborProject>/<ws>/<user>-<project>`. */
export function imageRepository(harborProject: string, workspaceId: string, userId: string, projectName: string): string {
  const projectPart = check(harborProjectSchema, harborProject);
  const id = parseIdentity({ workspaceId, userId, projectName });
  return `${projectPart}/${id.workspaceId}/${id.userId}-${id.projectName}`;
}

const commitShaSchema = z.string().regex(/^[0-9a-fA-F]{7,64}$/, 'must be a git commit SHA (hex)');
const deploymentIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F-]+$/, 'must be a deployment id (a UUID)')
  .refine((id) => id.replace(/-/g, '').length >= 8, 'must be a deployment id (a UUID)');

/**
 * Image tag `<sha7>-<first 8 hex of the deployment id>`: readable, unique per deployment
 * (a rebuild of the same commit gets its own tag) and a valid OCI tag (15 characters).
 */
export function imageTag(commitSha: string, deploymentId: string): string {
  const sha = check(commitShaSchema, commitSha).toLowerCase();
  const id = check(deploymentIdSchema, deploymentId).replace(/-/g, '').toLowerCase();
  return `${sha.slice(0, 7)}-${id.slice(0, 8)}`;
}

export interface AppNames {
  appName: string;
  releaseName: string;
  namespace: string;
  gitopsPath: string;
}

/** All the names of one project, from validated ids. */
export function appNames(identity: Identity, scope: NamespaceScope): AppNames {
  const { workspaceId, userId, projectName } = parseIdentity(identity);
  return {
    appName: appName(workspaceId, userId, projectName),
    releaseName: releaseName(userId, projectName),
    namespace: namespace(workspaceId, userId, scope),
    gitopsPath: gitopsPath(workspaceId, userId, projectName),
  };
}
