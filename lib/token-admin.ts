// Workspaces and API tokens, managed by admins (scripts/tokens.ts and /v1/tokens).
// A token is shown once, when it is created; only its sha256 hash and a short display prefix are
// stored. Listings never read the hash. Every function validates its input with zod and fails with
// a TokenAdminError naming the field and the rule.
import { z } from 'zod';
import { isUniqueViolation, type Db, type Prisma } from './db.js';
import { generateToken, hashToken, tokenDisplayPrefix } from './tokens.js';

export const TOKEN_ROLES = ['viewer', 'deployer', 'admin'] as const;
export type TokenRole = (typeof TOKEN_ROLES)[number];

/** Tokens may not be made to live longer than this (a typo such as 3000d is caught here). */
export const MAX_TOKEN_LIFETIME_MS = 10 * 366 * 24 * 3_600_000;

export type TokenAdminErrorCode = 'invalid_input' | 'not_found' | 'conflict';

export class TokenAdminError extends Error {
  constructor(
    readonly code: TokenAdminErrorCode,
    message: string,
    readonly issues: { field: string; rule: string }[] = [],
  ) {
    super(message);
    this.name = 'TokenAdminError';
  }
}

/** The same rule as DEV_WORKSPACE_ID in lib/config.ts: a DNS-1123 label of at most 20 characters. */
export const WORKSPACE_ID_PATTERN = /^[a-z0-9]([a-z0-9-]{0,18}[a-z0-9])?$/;

export const workspaceIdSchema = z
  .string({ message: 'must be a string' })
  .regex(
    WORKSPACE_ID_PATTERN,
    'must be a DNS-1123 label of at most 20 characters: lowercase letters, digits and "-", starting and ending with a letter or digit',
  );

const displayName = (max: number) =>
  z
    .string({ message: 'must be a string' })
    .trim()
    .min(1, 'must not be empty')
    .max(max, `must be at most ${max} characters`)
    .refine((text) => !/[\x00-\x1f\x7f]/.test(text), 'must not contain control characters');

export const workspaceNameSchema = displayName(100);
export const tokenNameSchema = displayName(100);
export const tokenRoleSchema = z.enum(TOKEN_ROLES, { message: `must be one of ${TOKEN_ROLES.join(', ')}` });
export const tokenIdSchema = z.string({ message: 'must be a string' }).uuid('must be a token id (UUID)');

export const createWorkspaceSchema = z.object({ id: workspaceIdSchema, name: workspaceNameSchema }).strict();

/** expiresAt: a Date, or an ISO 8601 date-time with a time zone (the API's JSON form). */
const expiresAtSchema = z
  .union([
    z.date({ message: 'must be a date' }),
    z.iso.datetime({ offset: true, message: 'must be an ISO 8601 date-time with a time zone, e.g. 2030-01-31T00:00:00Z' }).transform((text) => new Date(text)),
  ])
  .refine((date) => !Number.isNaN(date.getTime()), 'must be a valid date');

export const createApiTokenSchema = z
  .object({
    workspaceId: workspaceIdSchema,
    name: tokenNameSchema,
    role: tokenRoleSchema,
    expiresAt: expiresAtSchema.nullish(),
  })
  .strict();

export type CreateWorkspaceInput = z.input<typeof createWorkspaceSchema>;
export type CreateApiTokenInput = z.input<typeof createApiTokenSchema>;

export interface WorkspaceView {
  id: string;
  name: string;
  createdAt: Date;
}

export type TokenStatus = 'active' | 'expired' | 'revoked';

/** What listings show of a token: never the token, never its hash. */
export interface ApiTokenView {
  id: string;
  workspaceId: string;
  name: string;
  role: TokenRole;
  /** The first characters of the token, to tell tokens apart. */
  prefix: string;
  status: TokenStatus;
  createdAt: Date;
  expiresAt: Date | null;
  lastUsedAt: Date | null;
  revokedAt: Date | null;
}

/** A new token: the only time the token itself is ever returned. */
export interface CreatedApiToken extends ApiTokenView {
  token: string;
}

/** The columns a view may read: the hash is not among them. */
const viewColumns = {
  id: true,
  workspaceId: true,
  name: true,
  role: true,
  prefix: true,
  createdAt: true,
  expiresAt: true,
  lastUsedAt: true,
  revokedAt: true,
} as const satisfies Prisma.ApiTokenSelect;

type TokenRow = Prisma.ApiTokenGetPayload<{ select: typeof viewColumns }>;

function tokenView(row: TokenRow, now: Date): ApiTokenView {
  const status: TokenStatus = row.revokedAt ? 'revoked' : row.expiresAt && row.expiresAt <= now ? 'expired' : 'active';
  return {
    id: row.id,
    workspaceId: row.workspaceId,
    name: row.name,
    role: row.role,
    prefix: row.prefix,
    status,
    createdAt: row.createdAt,
    expiresAt: row.expiresAt,
    lastUsedAt: row.lastUsedAt,
    revokedAt: row.revokedAt,
  };
}

/** Validates with one of the schemas above, or throws a TokenAdminError('invalid_input') naming each field. */
export function validateInput<S extends z.ZodType>(schema: S, input: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(input);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((issue) => ({
    field: issue.path.length ? issue.path.join('.') : what,
    rule: issue.code === 'unrecognized_keys' ? `unknown field(s): ${issue.keys.join(', ')}` : issue.message,
  }));
  throw new TokenAdminError('invalid_input', `Invalid ${what}: ${issues.map((i) => `${i.field} ${i.rule}`).join('; ')}`, issues);
}

export async function createWorkspace(db: Db, input: CreateWorkspaceInput): Promise<WorkspaceView> {
  const { id, name } = validateInput(createWorkspaceSchema, input, 'workspace');
  try {
    const row = await db.workspace.create({ data: { id, name } });
    return { id: row.id, name: row.name, createdAt: row.createdAt };
  } catch (error) {
    if (isUniqueViolation(error)) throw new TokenAdminError('conflict', `Workspace ${id} already exists`, [{ field: 'id', rule: 'is already taken' }]);
    throw error;
  }
}

export async function createApiToken(db: Db, input: CreateApiTokenInput, { now = new Date() }: { now?: Date } = {}): Promise<CreatedApiToken> {
  const data = validateInput(createApiTokenSchema, input, 'token');
  const expiresAt = data.expiresAt ?? null;
  if (expiresAt && expiresAt <= now) {
    throw new TokenAdminError('invalid_input', 'Invalid token: expiresAt must be in the future', [{ field: 'expiresAt', rule: 'must be in the future' }]);
  }
  if (expiresAt && expiresAt.getTime() - now.getTime() > MAX_TOKEN_LIFETIME_MS) {
    throw new TokenAdminError('invalid_input', 'Invalid token: expiresAt must be at most 10 years from now', [
      { field: 'expiresAt', rule: 'must be at most 10 years from now' },
    ]);
  }
  const workspace = await db.workspace.findUnique({ where: { id: data.workspaceId }, select: { id: true } });
  if (!workspace) throw new TokenAdminError('not_found', `Workspace ${data.workspaceId} not found`);
  const token = generateToken();
  const row = await db.apiToken.create({
    data: { workspaceId: data.workspaceId, name: data.name, role: data.role, tokenHash: hashToken(token), prefix: tokenDisplayPrefix(token), expiresAt },
    select: viewColumns,
  });
  return { ...tokenView(row, now), token };
}

/** Every token of the workspace, newest first, revoked and expired ones included (with their status). */
export async function listApiTokens(db: Db, workspaceId: string, { now = new Date() }: { now?: Date } = {}): Promise<ApiTokenView[]> {
  const id = validateInput(workspaceIdSchema, workspaceId, 'workspace id');
  const rows = await db.apiToken.findMany({ where: { workspaceId: id }, select: viewColumns, orderBy: [{ createdAt: 'desc' }, { id: 'asc' }] });
  return rows.map((row) => tokenView(row, now));
}

/**
 * Revokes a token of the workspace: it is refused from then on. Revoking a revoked token changes
 * nothing (the first revocation time stays). A token of another workspace is "not found".
 */
export async function revokeApiToken(db: Db, workspaceId: string, tokenId: string, { now = new Date() }: { now?: Date } = {}): Promise<ApiTokenView> {
  const wsId = validateInput(workspaceIdSchema, workspaceId, 'workspace id');
  const id = validateInput(tokenIdSchema, tokenId, 'token id');
  await db.apiToken.updateMany({ where: { id, workspaceId: wsId, revokedAt: null }, data: { revokedAt: now } });
  const row = await db.apiToken.findFirst({ where: { id, workspaceId: wsId }, select: viewColumns });
  if (!row) throw new TokenAdminError('not_found', `Token ${id} not found in workspace ${wsId}`);
  return tokenView(row, now);
}

/**
 * The CLI's `--expires`: a lifetime such as `30d`, `12h`, `90m`, `2w`, or an ISO 8601 date-time
 * (a bare date means midnight UTC). Returns undefined for `never`.
 */
export function parseExpiry(text: string, now: Date = new Date()): Date | undefined {
  const value = text.trim();
  if (value === 'never') return undefined;
  const lifetime = /^(\d{1,6})(m|h|d|w)$/.exec(value);
  if (lifetime) {
    const unit = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 }[lifetime[2] as 'm' | 'h' | 'd' | 'w'];
    const amount = Number(lifetime[1]);
    if (amount === 0)
      throw new TokenAdminError('invalid_input', 'Invalid token: expires must be a positive lifetime', [
        { field: 'expires', rule: 'must be a positive lifetime' },
      ]);
    return new Date(now.getTime() + amount * unit);
  }
  const isDate = z.iso.date().safeParse(value).success;
  if (isDate || z.iso.datetime({ offset: true }).safeParse(value).success) {
    const date = new Date(isDate ? `${value}T00:00:00Z` : value);
    if (!Number.isNaN(date.getTime())) return date;
  }
  throw new TokenAdminError(
    'invalid_input',
    `Invalid token: expires must be a lifetime such as 30d, 12h, 90m or 2w, an ISO date-time such as 2030-01-31T00:00:00Z, or "never" (got "${value}")`,
    [{ field: 'expires', rule: 'must be a lifetime such as 30d, 12h, 90m or 2w, an ISO date-time, or never' }],
  );
}
