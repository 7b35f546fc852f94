// Request schemas of the API (zod). Every rule names the field and what it expects.
import { z } from 'zod';
import { hostnameSchema, projectNameSchema, userIdSchema } from '../gitops/naming.js';
import { tokenNameSchema, tokenRoleSchema } from '../lib/token-admin.js';

/** git check-ref-format rules for a branch name. */
export const branchSchema = z
  .string({ message: 'must be a string' })
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  // The characters git never allows, as a pattern OpenAPI tools can read; the rest of the rules below.
  .regex(/^[^\x00-\x20\x7f~^:?*[\\]+$/, 'must be a valid git branch name (no spaces, control characters or "~^:?*[\\")')
  .refine(
    (b) =>
      !/[\x00-\x20\x7f~^:?*[\\]/.test(b) &&
      !b.includes('..') &&
      !b.includes('@{') &&
      !b.includes('//') &&
      b !== '@' &&
      b !== 'HEAD' && // git refuses refs/heads/HEAD
      !b.startsWith('-') &&
      !b.startsWith('/') &&
      !b.endsWith('/') &&
      !b.endsWith('.') &&
      !b.endsWith('.lock') &&
      !b.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock')),
    'must be a valid git branch name (not HEAD; no spaces, "..", "~^:?*[\\", "@{", leading "-" or "/", trailing "/", "." or ".lock")',
  );

export const commitShaSchema = z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character lowercase hex commit SHA');

// Repository URL shapes. No white space or control characters (C0, DEL, C1) anywhere.
const URL_TAIL = '[^\\s\\x00-\\x1f\\x7f-\\x9f]+';
const HOST = '[A-Za-z0-9][A-Za-z0-9.-]*';
const REMOTE_URL = [
  // https without any user part: a user alone can be a token (https://<token>@github.com).
  `https://${HOST}(:\\d{1,5})?/${URL_TAIL}`,
  `ssh://\\w[\\w.-]*@${HOST}(:\\d{1,5})?/${URL_TAIL}`,
  // scp-like: git@github.com:owner/repo.git
  `\\w[\\w.-]*@${HOST}:[\\w.][\\w./-]*`,
];
// Dev and test stacks only: local repositories, and the simulators' plain-http git on loopback.
const LOCAL_URL = [`file:///${URL_TAIL}`, `/${URL_TAIL}`, `http://127(\\.\\d{1,3}){3}(:\\d{1,5})?/${URL_TAIL}`];

/** `..` as a path segment, also percent-encoded (git decodes %2e and %2f in file:// URLs). */
const climbsOut = (url: string) =>
  /%(2e|2f|5c)/i.test(url) ||
  url
    .replace(/^[^@]*@[^:/]*:/, '/')
    .split('/')
    .includes('..');

/**
 * Repository URLs: https and ssh (`ssh://` or scp-like `git@host:owner/repo.git`); `file://`
 * URLs and absolute paths only when local repositories are allowed (the dev stack). The shape
 * is one pattern (so OpenAPI readers and generators see it); `..` is refused on top.
 */
export function repoUrlSchema(allowLocal: boolean) {
  const shapes = allowLocal ? [...REMOTE_URL, ...LOCAL_URL] : REMOTE_URL;
  return z
    .string({ message: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(2048, 'must be at most 2048 characters')
    .regex(
      new RegExp(`^(${shapes.join('|')})$`),
      allowLocal
        ? 'must be an https:// repository URL without user or password, an ssh one (git@host:owner/repo.git), a file:// URL, an absolute path or http:// on 127.x.x.x'
        : 'must be an https:// repository URL without user or password, or an ssh one (git@host:owner/repo.git)',
    )
    .refine((url) => !climbsOut(url), 'must be a repository URL without ".." path segments, encoded or not');
}

export const portSchema = z
  .number({ message: 'must be a number' })
  .int('must be an integer')
  .min(1, 'must be from 1 to 65535')
  .max(65535, 'must be from 1 to 65535');

export function createProjectSchema(allowLocal: boolean) {
  return z
    .object({
      name: projectNameSchema.meta({
        description: 'DNS-1123 label, at most 21 characters; part of the application name, Helm release and host',
        examples: ['shop', 'blog-2'],
      }),
      userId: userIdSchema.meta({
        description:
          "The platform's id of the owner, DNS-1123 label of at most 20 characters, one of the workspace's users (PUT /v1/workspace/users/{userId}); the namespace is user-<userId>, or one per workspace with NAMESPACE_SCOPE=workspace",
        examples: ['alice', 'u-1042'],
      }),
      repoUrl: repoUrlSchema(allowLocal).meta({
        description: 'https or ssh clone URL, without credentials, on a host the platform allows (REPO_HOSTS; never an internal address)',
        examples: ['https://github.com/acme/shop.git', 'git@github.com:acme/shop.git'],
      }),
      branch: branchSchema.default('main').meta({ description: 'The tracked branch (git ref-name rules)', examples: ['main', 'release/1.2'] }),
      appPort: portSchema.meta({ description: 'The port the app listens on', examples: [3000, 8080] }),
      customDomain: hostnameSchema
        .optional()
        .meta({ description: 'A host name of your own (not under the apps domain); default <project>-<user>.<apps domain>', examples: ['shop.example.com'] }),
      autoDeploy: z.boolean({ message: 'must be true or false' }).default(true).meta({ description: 'Deploy on every push to the branch' }),
    })
    .strict();
}

export const createDeploymentSchema = z
  .object({
    branch: branchSchema.optional().meta({ description: "Default: the project's branch", examples: ['main', 'feature/login'] }),
    commitSha: commitShaSchema.optional().meta({ description: 'Deploy exactly this commit (of the branch)' }),
  })
  .strict();

export const listQuerySchema = z.object({
  limit: z
    .string({ message: 'must be a whole number from 1 to 100' })
    .regex(/^(100|[1-9][0-9]?)$/, 'must be a whole number from 1 to 100')
    .transform(Number)
    .default(20),
  cursor: z.string().uuid('must be a cursor returned by an earlier page').optional(),
});

export const idParamSchema = z.string().uuid('must be an id (UUID)');

export const rollbackSchema = z.object({ toDeploymentId: z.string().uuid('must be a deployment id (UUID)').optional() }).strict();

export const autoDeploySchema = z.object({ enabled: z.boolean({ message: 'must be true or false' }) }).strict();

export const logQuerySchema = z.object({
  // Digits only (no "1e2", "0x10", " 5" or "true"); 15 of them stay below Number.MAX_SAFE_INTEGER.
  offset: z
    .string({ message: 'must be a whole number of bytes, 0 or more' })
    .regex(/^\d{1,15}$/, 'must be a whole number of bytes, 0 or more')
    .transform(Number)
    .default(0),
  ticket: z.string().min(1).max(200).optional(),
});

export const createTokenBodySchema = z
  .object({
    name: tokenNameSchema,
    role: tokenRoleSchema,
    expiresAt: z.iso
      .datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T00:00:00Z' })
      .nullish()
      .meta({ description: 'When the token stops working: in the future, at most 10 years ahead; none = never', examples: ['2030-01-31T00:00:00Z'] }),
  })
  .strict();
