// Workspaces, API tokens and the users a workspace may act for, for operators
// (lib/token-admin.ts, lib/workspace-users.ts).
//
//   npx tsx scripts/tokens.ts workspace create --id ws1 --name "Acme"
//   npx tsx scripts/tokens.ts create --workspace ws1 --name ci --role deployer [--expires 30d]
//   npx tsx scripts/tokens.ts list   --workspace ws1
//   npx tsx scripts/tokens.ts revoke --workspace ws1 --id <token id>
//   npx tsx scripts/tokens.ts users add    --workspace ws1 --user alice [--user bob]
//   npx tsx scripts/tokens.ts users remove --workspace ws1 --user alice [--user bob]
//   npx tsx scripts/tokens.ts users list   --workspace ws1
//
// Add --json for machine-readable output on stdout. `create` prints the token once: on stdout
// by itself (so TOKEN=$(npx tsx scripts/tokens.ts create ...) works), the details on stderr.
// Reads DATABASE_URL. Exit status: 0 done, 1 failed (not found, conflict, database), 2 bad input.
import { parseArgs } from 'node:util';
import { envSchema } from '../lib/config.js';
import { createDb, type Db } from '../lib/db.js';
import {
  createApiToken,
  createApiTokenSchema,
  createWorkspace,
  createWorkspaceSchema,
  listApiTokens,
  parseExpiry,
  revokeApiToken,
  tokenIdSchema,
  TokenAdminError,
  validateInput,
  workspaceIdSchema,
  type ApiTokenView,
} from '../lib/token-admin.js';
import { addWorkspaceUsers, listWorkspaceUsers, removeWorkspaceUsers, userIdSchema } from '../lib/workspace-users.js';

const USAGE = `Usage:
  npx tsx scripts/tokens.ts workspace create --id <workspace id> --name <display name> [--json]
  npx tsx scripts/tokens.ts create --workspace <workspace id> --name <token name> --role viewer|deployer|admin [--expires 30d|12h|2w|<ISO date-time>|never] [--json]
  npx tsx scripts/tokens.ts list --workspace <workspace id> [--json]
  npx tsx scripts/tokens.ts revoke --workspace <workspace id> --id <token id> [--json]
  npx tsx scripts/tokens.ts users add --workspace <workspace id> --user <user id> [--user <user id> ...] [--json]
  npx tsx scripts/tokens.ts users remove --workspace <workspace id> --user <user id> [--user <user id> ...] [--json]
  npx tsx scripts/tokens.ts users list --workspace <workspace id> [--json]

Roles: viewer reads; deployer also deploys and rolls back; admin also manages projects, secrets and tokens.
Users: a workspace creates projects only for the users listed for it; remove refuses a user who
still owns projects of the workspace that are not deleted.
Reads DATABASE_URL (a postgresql:// connection URL).
`;

/** Bad input: exit status 2 with the message and a pointer to --help. */
class UsageError extends Error {}

const options = {
  id: { type: 'string' },
  name: { type: 'string' },
  workspace: { type: 'string' },
  role: { type: 'string' },
  expires: { type: 'string' },
  user: { type: 'string', multiple: true },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>['values'];

function required(values: Values, name: 'id' | 'name' | 'workspace' | 'role'): string {
  const value = values[name];
  if (value === undefined || value.trim() === '') throw new UsageError(`--${name} is required`);
  return value;
}

function allowOnly(values: Values, command: string, allowed: (keyof Values)[]): void {
  const extra = (Object.keys(values) as (keyof Values)[]).filter((k) => values[k] !== undefined && k !== 'json' && k !== 'help' && !allowed.includes(k));
  if (extra.length) throw new UsageError(`${command} does not take ${extra.map((k) => `--${k}`).join(', ')}`);
}

function readDatabaseUrl(): string {
  const value = process.env.DATABASE_URL;
  if (value === undefined || value === '') throw new UsageError("DATABASE_URL is not set: set it to the engine database's postgresql:// connection URL");
  const parsed = envSchema.shape.DATABASE_URL.safeParse(value);
  if (!parsed.success) throw new UsageError('DATABASE_URL must be a postgresql:// connection URL');
  return parsed.data;
}

const out = (text: string) => process.stdout.write(`${text}\n`);
const note = (text: string) => process.stderr.write(`${text}\n`);
const iso = (date: Date | null) => (date ? date.toISOString() : '-');

function table(tokens: ApiTokenView[]): string {
  const rows = [
    ['ID', 'NAME', 'ROLE', 'PREFIX', 'STATUS', 'EXPIRES', 'LAST USED', 'CREATED'],
    ...tokens.map((t) => [t.id, t.name, t.role, `${t.prefix}…`, t.status, iso(t.expiresAt), iso(t.lastUsedAt), iso(t.createdAt)]),
  ];
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

async function run(db: () => Db, command: string[], values: Values): Promise<void> {
  const json = values.json;
  const [verb, sub, ...rest] = command;
  if (verb === 'workspace' && sub === 'create' && rest.length === 0) {
    allowOnly(values, 'workspace create', ['id', 'name']);
    // Input is checked before the database is touched.
    const input = validateInput(createWorkspaceSchema, { id: required(values, 'id'), name: required(values, 'name') }, 'workspace');
    const workspace = await createWorkspace(db(), input);
    if (json) out(JSON.stringify(workspace));
    else out(`Created workspace ${workspace.id} (${workspace.name})`);
    return;
  }
  if (verb === 'users' && (sub === 'add' || sub === 'remove' || sub === 'list') && rest.length === 0) {
    await users(db, sub, values);
    return;
  }
  if (sub !== undefined) throw new UsageError(`unknown command "${command.join(' ')}"`);
  switch (verb) {
    case 'create': {
      allowOnly(values, 'create', ['workspace', 'name', 'role', 'expires']);
      const input = validateInput(
        createApiTokenSchema,
        {
          workspaceId: required(values, 'workspace'),
          name: required(values, 'name'),
          role: required(values, 'role'),
          expiresAt: values.expires === undefined ? undefined : parseExpiry(values.expires),
        },
        'token',
      );
      const created = await createApiToken(db(), input);
      if (json) {
        out(JSON.stringify(created));
      } else {
        note(`Created ${created.role} token "${created.name}" in workspace ${created.workspaceId}`);
        note(`  id       ${created.id}`);
        note(`  expires  ${created.expiresAt ? created.expiresAt.toISOString() : 'never'}`);
        note('Copy the token now: it is shown only once and cannot be recovered.');
        out(created.token);
      }
      return;
    }
    case 'list': {
      allowOnly(values, 'list', ['workspace']);
      const workspaceId = validateInput(workspaceIdSchema, required(values, 'workspace'), 'workspace id');
      const tokens = await listApiTokens(db(), workspaceId);
      if (json) out(JSON.stringify(tokens));
      else out(tokens.length ? table(tokens) : `No tokens in workspace ${workspaceId}`);
      return;
    }
    case 'revoke': {
      allowOnly(values, 'revoke', ['workspace', 'id']);
      const workspaceId = validateInput(workspaceIdSchema, required(values, 'workspace'), 'workspace id');
      const tokenId = validateInput(tokenIdSchema, required(values, 'id'), 'token id');
      const revoked = await revokeApiToken(db(), workspaceId, tokenId);
      if (json) out(JSON.stringify(revoked));
      else out(`Revoked token "${revoked.name}" (${revoked.id}) of workspace ${revoked.workspaceId} at ${iso(revoked.revokedAt)}`);
      return;
    }
    default:
      throw new UsageError(verb === undefined ? 'a command is required' : `unknown command "${command.join(' ')}"`);
  }
}

async function users(db: () => Db, sub: 'add' | 'remove' | 'list', values: Values): Promise<void> {
  const json = values.json;
  allowOnly(values, `users ${sub}`, sub === 'list' ? ['workspace'] : ['workspace', 'user']);
  const workspaceId = validateInput(workspaceIdSchema, required(values, 'workspace'), 'workspace id');
  if (sub === 'list') {
    const members = await listWorkspaceUsers(db(), workspaceId);
    if (json) out(JSON.stringify(members));
    else out(members.length ? members.map((m) => `${m.userId}  added ${iso(m.addedAt)}`).join('\n') : `No users in workspace ${workspaceId}`);
    return;
  }
  if (!values.user?.length) throw new UsageError('--user is required (repeat it for several users)');
  const userIds = values.user.map((userId) => {
    const parsed = userIdSchema.safeParse(userId);
    if (parsed.success) return parsed.data;
    throw new TokenAdminError('invalid_input', 'Invalid user id', [{ field: 'user', rule: `${JSON.stringify(userId)}: ${parsed.error.issues[0]!.message}` }]);
  });
  if (sub === 'add') {
    const added = await addWorkspaceUsers(db(), workspaceId, userIds);
    if (json) out(JSON.stringify(added));
    else
      for (const user of added) out(user.added ? `Added ${user.userId} to workspace ${workspaceId}` : `${user.userId} was already in workspace ${workspaceId}`);
    return;
  }
  await removeWorkspaceUsers(db(), workspaceId, userIds);
  if (json) out(JSON.stringify({ workspaceId, removed: userIds }));
  else out(`Removed ${userIds.join(', ')} from workspace ${workspaceId}`);
}

/** The error message with the flag names the CLI uses (workspaceId is --workspace, expiresAt is --expires). */
function cliMessage(error: TokenAdminError): string {
  const flag: Record<string, string> = { workspaceId: 'workspace', expiresAt: 'expires', 'workspace id': 'workspace', 'token id': 'id', 'user id': 'user' };
  if (error.code !== 'invalid_input' || !error.issues.length) return error.message;
  return error.issues.map((i) => `--${flag[i.field] ?? i.field} ${i.rule}`).join('\n');
}

async function main(): Promise<number> {
  let parsed: ReturnType<typeof parseArgs<{ options: typeof options; allowPositionals: true }>>;
  try {
    parsed = parseArgs({ options, allowPositionals: true, strict: true });
  } catch (error) {
    note(`tokens: ${error instanceof Error ? error.message : String(error)}\n\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  let db: Db | undefined;
  try {
    await run(() => (db ??= createDb(readDatabaseUrl(), { max: 1 })), parsed.positionals, parsed.values);
    return 0;
  } catch (error) {
    if (error instanceof UsageError) {
      note(`tokens: ${error.message}\n\n${USAGE}`);
      return 2;
    }
    if (error instanceof TokenAdminError) {
      note(`tokens: ${cliMessage(error)}`);
      return error.code === 'invalid_input' ? 2 : 1;
    }
    note(`tokens: ${error instanceof Error ? error.message : String(error)}`);
    return 1;
  } finally {
    await db?.$disconnect();
  }
}

process.exitCode = await main();
