// The pull-robot secret's envelope: bound to its workspace, and re-wrapped to a new master key
// on real PostgreSQL without changing the secret.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../test/support/db.js';
import { CredentialCryptoError, newKeyLine, parseKeyRing } from './credential-crypto.js';
import { createDb, type Db } from './db.js';
import { openPullSecret, pullRegistryHost, pullRobotName, rewrapPullSecrets, sealPullSecret } from './pull-robot.js';

let database: TestDatabase;
let db: Db;
beforeAll(async () => {
  database = await createTestDatabase('pullkey');
  db = createDb(database.url, { max: 2 });
});
afterAll(async () => {
  await db?.$disconnect();
  await database?.drop();
});

describe('pull robot secrets', () => {
  const k1 = newKeyLine('k1');
  const k2 = newKeyLine('k2');

  it('names the robot after the workspace and pulls from the image registry host', () => {
    expect(pullRobotName('acme')).toBe('pull-acme');
    expect(pullRegistryHost({ HARBOR_URL: 'https://harbor.example.com:8443', REGISTRY_HOST: undefined })).toBe('harbor.example.com:8443');
    expect(pullRegistryHost({ HARBOR_URL: 'https://harbor.internal', REGISTRY_HOST: 'registry.example.com' })).toBe('registry.example.com');
  });

  it('opens only on its own workspace', () => {
    const ring = parseKeyRing(k1);
    const { envelope } = sealPullSecret(ring, 'acme', 'Robot-Secret-1');
    expect(openPullSecret(ring, 'acme', envelope)).toBe('Robot-Secret-1');
    expect(() => openPullSecret(ring, 'other', envelope)).toThrow(CredentialCryptoError);
  });

  it('re-wraps every secret to the new key; each still opens with the new key alone; a second run changes nothing', async () => {
    for (const ws of ['a1', 'a2', 'a3']) {
      await db.workspace.create({ data: { id: ws, name: ws } });
      const { envelope, keyId } = sealPullSecret(parseKeyRing(k1), ws, `Secret-${ws}-9`);
      await db.workspacePullRobot.create({ data: { workspaceId: ws, robotName: `robot$apps+pull-${ws}`, robotId: 1, secret: envelope, secretKeyId: keyId } });
    }
    expect(await rewrapPullSecrets(db, parseKeyRing(`${k2},${k1}`))).toEqual({ rewrapped: 3, current: 0, skipped: 0 });
    const onlyNew = parseKeyRing(k2);
    for (const row of await db.workspacePullRobot.findMany()) {
      expect(row.secretKeyId).toBe('k2');
      expect(openPullSecret(onlyNew, row.workspaceId, row.secret!)).toBe(`Secret-${row.workspaceId}-9`);
    }
    expect(await rewrapPullSecrets(db, parseKeyRing(`${k2},${k1}`))).toEqual({ rewrapped: 0, current: 3, skipped: 0 });
  });
});
