// Key rotation on real PostgreSQL: every stored credential moves to the new key and still opens,
// through the real command, and a second run changes nothing.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/support/db.js';
import { decryptCredential, encryptCredential, newKeyLine, parseKeyRing } from './credential-crypto.js';
import { credentialsByKey, rotateCredentialKeys } from './credential-rotation.js';
import { createDb, type Db } from './db.js';
import { openPullSecret, sealPullSecret } from './pull-robot.js';

const run = promisify(execFile);
const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
let database: TestDatabase;
let db: Db;

beforeAll(async () => {
  database = await createTestDatabase('rot');
  db = createDb(database.url, { max: 2 });
  await db.workspace.create({ data: { id: 'ws', name: 'ws' } });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

async function projectWithCredential(ring: ReturnType<typeof parseKeyRing>, name: string, token: string): Promise<string> {
  const project = await db.project.create({
    data: { workspaceId: 'ws', userId: 'u', name, repoUrl: 'https://github.com/a/b', repoKey: 'github.com/a/b', branch: 'main', appPort: 80 },
  });
  const { envelope, keyId } = encryptCredential(ring, token, project.id);
  await db.project.update({
    where: { id: project.id },
    data: { repoCredential: envelope, repoCredentialKeyId: keyId, repoCredentialUsername: 'x-access-token', repoCredentialSetAt: new Date() },
  });
  return project.id;
}

describe('credential key rotation', () => {
  it('re-wraps every credential with the new key through scripts/credentials.ts, and they still open', async () => {
    const k1 = newKeyLine('k1');
    const k2 = newKeyLine('k2');
    const ids = [];
    for (let i = 0; i < 5; i++) ids.push(await projectWithCredential(parseKeyRing(k1), `p${i}`, `token-number-${i}`));
    expect(await credentialsByKey(db)).toEqual({ k1: 5 });
    const sealed = sealPullSecret(parseKeyRing(k1), 'ws', 'robot-secret-of-ws');
    await db.workspacePullRobot.create({
      data: { workspaceId: 'ws', robotName: 'robot$apps+pull-ws', robotId: 7, secret: sealed.envelope, secretKeyId: sealed.keyId, secretSetAt: new Date() },
    });

    const env = { ...process.env, DATABASE_URL: database.url, CREDENTIAL_KEYS: `${k2},${k1}` };
    const { stdout } = await run('npx', ['tsx', 'scripts/credentials.ts', 'rotate'], { cwd: repo, env });
    expect(stdout).toMatch(/Re-wrapped 5 credential\(s\) with key k2; 0 already used it/);
    expect(stdout).toMatch(/k2=5/);
    expect(stdout).toMatch(/Re-wrapped 1 workspace pull secret\(s\) with key k2/);
    expect(stdout).toMatch(/Workspace pull secrets by key: k2=1/);
    expect(stdout).not.toContain('robot-secret-of-ws');
    const robot = await db.workspacePullRobot.findUniqueOrThrow({ where: { workspaceId: 'ws' } });
    expect(robot.secretKeyId).toBe('k2');
    expect(openPullSecret(parseKeyRing(k2), 'ws', robot.secret!)).toBe('robot-secret-of-ws');
    expect(stdout).not.toContain(k1.split(':')[1]);
    expect(stdout).not.toContain('token-number');

    const onlyNew = parseKeyRing(k2);
    for (const [i, id] of ids.entries()) {
      const row = await db.project.findUniqueOrThrow({ where: { id } });
      expect(row.repoCredentialKeyId).toBe('k2');
      expect(decryptCredential(onlyNew, row.repoCredential!, id)).toBe(`token-number-${i}`);
    }
    // Running it again changes nothing.
    expect(await rotateCredentialKeys(db, onlyNew)).toEqual({ rewrapped: 0, current: 5, skipped: 0 });
  }, 60_000);

  it('bad input is exit status 2 with a message, and no key material', async () => {
    const env = { ...process.env, DATABASE_URL: database.url, CREDENTIAL_KEYS: 'k1:short' };
    const failure = await run('npx', ['tsx', 'scripts/credentials.ts', 'rotate'], { cwd: repo, env }).catch(
      (error: unknown) => error as { code: number; stderr: string },
    );
    expect(failure).toMatchObject({ code: 2 });
    expect((failure as { stderr: string }).stderr).toMatch(/CREDENTIAL_KEYS is not valid: .*32 bytes/);
    const { stdout } = await run('npx', ['tsx', 'scripts/credentials.ts', 'new-key', '--id', 'k9'], { cwd: repo });
    expect(parseKeyRing(stdout.trim()).active.id).toBe('k9');
  }, 60_000);
});
