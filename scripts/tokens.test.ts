// The admin CLI as operators run it: a child process (`node --import tsx scripts/tokens.ts`)
// against a fresh, migrated database.
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDb, type Db } from '../lib/db.js';
import { hashToken } from '../lib/tokens.js';
import { principalFromBearer } from '../api/middleware/auth.js';
import { createTestDatabase, type TestDatabase } from '../test/support/db.js';

const root = fileURLToPath(new URL('..', import.meta.url));

let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase('cli');
  db = createDb(database.url, { max: 2 });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], env: Record<string, string | undefined> = { DATABASE_URL: database.url }): Promise<Run> {
  const childEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
  return new Promise((resolve) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/tokens.ts', ...args], { cwd: root, env: childEnv, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

describe('scripts/tokens.ts', () => {
  it('workspace create, token create (a token that works), list (hides it), revoke', async () => {
    const ws = await cli(['workspace', 'create', '--id', 'ws1', '--name', 'Acme Corp']);
    expect(ws, ws.stderr).toMatchObject({ code: 0, stdout: 'Created workspace ws1 (Acme Corp)\n' });

    const created = await cli(['create', '--workspace', 'ws1', '--name', 'ci', '--role', 'deployer', '--expires', '30d']);
    expect(created.code, created.stderr).toBe(0);
    // stdout is the token alone (TOKEN=$(...) works); the details and the warning go to stderr.
    const token = created.stdout.trim();
    expect(created.stdout).toBe(`${token}\n`);
    expect(token).toMatch(/^dep_[A-Za-z0-9_-]{32}$/);
    expect(created.stderr).toMatch(/Created deployer token "ci" in workspace ws1/);
    expect(created.stderr).toMatch(/shown only once/);
    const principal = await principalFromBearer(db, `Bearer ${token}`);
    expect(principal).toMatchObject({ workspaceId: 'ws1', role: 'deployer', name: 'ci' });
    const row = await db.apiToken.findUniqueOrThrow({ where: { id: principal.tokenId } });
    expect(row.tokenHash).toBe(hashToken(token));
    const days = (row.expiresAt!.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);

    const list = await cli(['list', '--workspace', 'ws1']);
    expect(list.code, list.stderr).toBe(0);
    expect(list.stdout).toMatch(/^ID\s+NAME\s+ROLE\s+PREFIX\s+STATUS\s+EXPIRES\s+LAST USED\s+CREATED\n/);
    expect(list.stdout).toContain(principal.tokenId);
    expect(list.stdout).toContain(`${token.slice(0, 10)}…`);
    expect(list.stdout).not.toContain(token);
    expect(list.stdout).not.toContain(row.tokenHash);

    const listJson = await cli(['list', '--workspace', 'ws1', '--json']);
    expect(listJson.code).toBe(0);
    const items = JSON.parse(listJson.stdout);
    expect(items).toHaveLength(1);
    expect(items[0]).toMatchObject({ id: principal.tokenId, name: 'ci', role: 'deployer', status: 'active', prefix: token.slice(0, 10) });
    expect(listJson.stdout).not.toContain(token);
    expect(listJson.stdout).not.toContain(row.tokenHash);

    const revoked = await cli(['revoke', '--workspace', 'ws1', '--id', principal.tokenId]);
    expect(revoked.code, revoked.stderr).toBe(0);
    expect(revoked.stdout).toMatch(new RegExp(`^Revoked token "ci" \\(${principal.tokenId}\\) of workspace ws1 at `));
    await expect(principalFromBearer(db, `Bearer ${token}`)).rejects.toMatchObject({ status: 401 });
    const after = JSON.parse((await cli(['list', '--workspace', 'ws1', '--json'])).stdout);
    expect(after[0].status).toBe('revoked');
  }, 120_000);

  it('--json on create prints the token once, in JSON', async () => {
    await cli(['workspace', 'create', '--id', 'ws-json', '--name', 'J']);
    const created = await cli(['create', '--workspace', 'ws-json', '--name', 'bot', '--role', 'admin', '--json']);
    expect(created.code, created.stderr).toBe(0);
    const body = JSON.parse(created.stdout);
    expect(body).toMatchObject({ workspaceId: 'ws-json', name: 'bot', role: 'admin', expiresAt: null, status: 'active' });
    await expect(principalFromBearer(db, `Bearer ${body.token}`)).resolves.toMatchObject({ role: 'admin' });
  }, 60_000);

  it('bad input exits non-zero with a message naming the field', async () => {
    await cli(['workspace', 'create', '--id', 'ws-bad', '--name', 'B']);
    const badRole = await cli(['create', '--workspace', 'ws-bad', '--name', 'ci', '--role', 'owner']);
    expect(badRole.code).toBe(2);
    expect(badRole.stderr).toContain('--role must be one of viewer, deployer, admin');
    expect(badRole.stdout).toBe('');
    expect(await db.apiToken.count({ where: { workspaceId: 'ws-bad' } })).toBe(0);

    const badExpiry = await cli(['create', '--workspace', 'ws-bad', '--name', 'ci', '--role', 'viewer', '--expires', 'soon']);
    expect(badExpiry.code).toBe(2);
    expect(badExpiry.stderr).toMatch(/expires must be a lifetime such as 30d/);

    const badWorkspace = await cli(['workspace', 'create', '--id', 'Bad_Id', '--name', 'X']);
    expect(badWorkspace.code).toBe(2);
    expect(badWorkspace.stderr).toMatch(/--id must be a DNS-1123 label/);

    const missing = await cli(['create', '--workspace', 'ws-bad', '--role', 'viewer']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--name is required/);

    const unknownFlag = await cli(['list', '--workspace', 'ws-bad', '--colour']);
    expect(unknownFlag.code).toBe(2);
    expect(unknownFlag.stderr).toMatch(/--colour/);

    const unknownCommand = await cli(['destroy']);
    expect(unknownCommand.code).toBe(2);
    expect(unknownCommand.stderr).toMatch(/unknown command "destroy"/);

    const badId = await cli(['revoke', '--workspace', 'ws-bad', '--id', '123']);
    expect(badId.code).toBe(2);
    expect(badId.stderr).toMatch(/--id must be a token id \(UUID\)/);
  }, 120_000);

  it('not found and conflicts exit 1 with a message', async () => {
    const noWorkspace = await cli(['create', '--workspace', 'ghost', '--name', 'ci', '--role', 'viewer']);
    expect(noWorkspace.code).toBe(1);
    expect(noWorkspace.stderr).toMatch(/Workspace ghost not found/);
    await cli(['workspace', 'create', '--id', 'dup', '--name', 'D']);
    const dup = await cli(['workspace', 'create', '--id', 'dup', '--name', 'D']);
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/Workspace dup already exists/);
    const gone = await cli(['revoke', '--workspace', 'dup', '--id', '00000000-0000-4000-8000-000000000000']);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toMatch(/not found in workspace dup/);
  }, 120_000);

  it('names DATABASE_URL when it is missing, without touching anything', async () => {
    const run = await cli(['list', '--workspace', 'ws1'], {});
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/DATABASE_URL is not set/);
    const wrong = await cli(['list', '--workspace', 'ws1'], { DATABASE_URL: 'mysql://x' });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toMatch(/DATABASE_URL must be a postgresql:\/\/ connection URL/);
  }, 60_000);

  it('users add (idempotent), list, remove; remove is refused while the user owns live projects', async () => {
    await cli(['workspace', 'create', '--id', 'acme', '--name', 'Acme']);
    const added = await cli(['users', 'add', '--workspace', 'acme', '--user', 'alice', '--user', 'bob']);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toBe('Added alice to workspace acme\nAdded bob to workspace acme\n');
    const again = await cli(['users', 'add', '--workspace', 'acme', '--user', 'alice', '--json']);
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toEqual([{ userId: 'alice', addedAt: expect.any(String), added: false }]);
    const listed = JSON.parse((await cli(['users', 'list', '--workspace', 'acme', '--json'])).stdout) as { userId: string }[];
    expect(listed.map((u) => u.userId)).toEqual(['alice', 'bob']);
    expect((await cli(['users', 'list', '--workspace', 'acme'])).stdout).toMatch(/^alice {2}added \d{4}-.*\nbob {2}added /);

    await db.project.create({
      data: {
        workspaceId: 'acme',
        userId: 'bob',
        name: 'shop',
        repoUrl: 'https://git.example.com/a/b.git',
        repoKey: 'git.example.com/a/b',
        branch: 'main',
        appPort: 80,
      },
    });
    const refused = await cli(['users', 'remove', '--workspace', 'acme', '--user', 'alice', '--user', 'bob']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/Cannot remove bob \(1 project\) from workspace acme: the user still owns live projects in it/);
    // All or nothing: alice, who owns nothing, is still there too.
    expect(await db.workspaceUser.count({ where: { workspaceId: 'acme' } })).toBe(2);
    const removed = await cli(['users', 'remove', '--workspace', 'acme', '--user', 'alice']);
    expect(removed.code, removed.stderr).toBe(0);
    expect(removed.stdout).toBe('Removed alice from workspace acme\n');
    const missing = await cli(['users', 'remove', '--workspace', 'acme', '--user', 'alice']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/User alice is not a member of workspace acme/);
    const ghost = await cli(['users', 'add', '--workspace', 'ghost', '--user', 'alice']);
    expect(ghost.code).toBe(1);
    expect(ghost.stderr).toMatch(/Workspace ghost not found/);
  }, 120_000);

  it('users: bad input exits 2 naming the flag, and changes nothing', async () => {
    const bad = await cli(['users', 'add', '--workspace', 'acme', '--user', 'Bob_1']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--user "Bob_1": user id must be a DNS-1123 label');
    const none = await cli(['users', 'add', '--workspace', 'acme']);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/--user is required/);
    const extra = await cli(['users', 'list', '--workspace', 'acme', '--user', 'x']);
    expect(extra.code).toBe(2);
    expect(extra.stderr).toMatch(/users list does not take --user/);
    expect(await db.workspaceUser.count({ where: { userId: { in: ['Bob_1', 'x'] } } })).toBe(0);
  }, 120_000);

  it('--help prints the usage', async () => {
    const run = await cli(['--help'], {});
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage:/);
    expect(run.stdout).toContain('scripts/tokens.ts users add --workspace <workspace id> --user <user id>');
  }, 60_000);
});
