// Request schemas of the API (zod). Every rule names the field and what it expects.
import { z } from 'zod';
import { hostnameSchema, projectNameSchema, userIdSchema } from '../gitops/naming.js';
import { tokenNameSchema, tokenRoleSchema } from '../lib/token-admin.js';

/** git check-ref-format rules for a branch name. */
export const branchSchema = z
  .string({ message: 'must be a string' })
  .min(1, 'must not be empty')
  .max(255, 'must be at most 255 characters')
  .refine(
    (b) =>
      !/[\x00-\x20\x7f~^:?*[\\]/.test(b) &&
      !b.includes('..') &&
      !b.includes('@{') &&
      !b.includes('//') &&
      b !== '@' &&
      !b.startsWith('-') &&
      !b.startsWith('/') &&
      !b.endsWith('/') &&
      !b.endsWith('.') &&
      !b.endsWith('.lock') &&
      !b.split('/').some((part) => part.startsWith('.') || part.endsWith('.lock')),
    'must be a valid git branch name (no spaces, "..", "~^:?*[\\", "@{", leading "-" or "/", trailing "/", "." or ".lock")',
  );

export const commitShaSchema = z.string().regex(/^[0-9a-f]{40}$/, 'must be a full 40-character lowercase hex commit SHA');

/**
 * Repository URLs: https and ssh (`ssh://` or scp-like `git@host:owner/repo.git`); `file://`
 * URLs and absolute paths only when local repositories are allowed (the dev stack).
 */
export function repoUrlSchema(allowLocal: boolean) {
  return z
    .string({ message: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(2048, 'must be at most 2048 characters')
    .refine((url) => {
      if (/[\s\x00-\x1f]/.test(url) || url.startsWith('-')) return false;
      if (/^https:\/\/[^/@\s]+(@[^/\s]+)?\/\S+$/.test(url)) return !/^https:\/\/[^/]*:[^/]*@/.test(url); // no credentials in URLs
      if (/^ssh:\/\/[\w.-]+@[\w.-]+(:\d+)?\/\S+$/.test(url)) return true;
      if (/^[\w.-]+@[\w.-]+:[\w./-]+$/.test(url)) return true;
      if (allowLocal && (/^file:\/\/\/\S+$/.test(url) || /^\/\S+$/.test(url))) return !url.split('/').includes('..');
      return false;
    }, allowLocal ? 'must be an https:// or ssh repository URL, a file:// URL or an absolute path (without credentials)' : 'must be an https:// or ssh repository URL (without credentials)');
}

export const portSchema = z.number({ message: 'must be a number' }).int('must be an integer').min(1, 'must be from 1 to 65535').max(65535, 'must be from 1 to 65535');

export function createProjectSchema(allowLocal: boolean) {
  return z
    .object({
      name: projectNameSchema,
      userId: userIdSchema,
      repoUrl: repoUrlSchema(allowLocal),
      branch: branchSchema.default('main'),
      appPort: portSchema,
      customDomain: hostnameSchema.optional(),
      autoDeploy: z.boolean({ message: 'must be true or false' }).default(true),
    })
    .strict();
}

export const createDeploymentSchema = z
  .object({
    branch: branchSchema.optional(),
    commitSha: commitShaSchema.optional(),
  })
  .strict();

export const listQuerySchema = z.object({
  limit: z.coerce.number().int().min(1, 'must be from 1 to 100').max(100, 'must be from 1 to 100').default(20),
  cursor: z.string().uuid('must be a cursor returned by an earlier page').optional(),
});

export const idParamSchema = z.string().uuid('must be an id (UUID)');

export const rollbackSchema = z
  .object({ toDeploymentId: z.string().uuid('must be a deployment id (UUID)').optional() })
  .strict();

export const autoDeploySchema = z.object({ enabled: z.boolean({ message: 'must be true or false' }) }).strict();

export const logQuerySchema = z.object({
  offset: z.coerce.number().int('must be a whole number of bytes').min(0, 'must be 0 or more').default(0),
  ticket: z.string().min(1).max(200).optional(),
});

export const createTokenBodySchema = z
  .object({
    name: tokenNameSchema,
    role: tokenRoleSchema,
    expiresAt: z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T00:00:00Z' }).nullish(),
  })
  .strict();
