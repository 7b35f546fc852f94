// Keys for stored credentials (lib/credential-crypto.ts), for operators.
//
//   npx tsx scripts/credentials.ts new-key --id k2     prints a new CREDENTIAL_KEYS entry
//   npx tsx scripts/credentials.ts status              stored credentials per key id
//   npx tsx scripts/credentials.ts rotate              re-wraps every credential (repository tokens and
//                                                      workspace pull secrets) with the first key
//
// Rotation: put the new key first in CREDENTIAL_KEYS and keep the old one after it (API and
// worker decrypt with either), run `rotate`, check `status` shows only the new id, then remove
// the old key. `status` and `rotate` read DATABASE_URL and CREDENTIAL_KEYS.
// Exit status: 0 done, 1 failed, 2 bad input.
import { parseArgs } from 'node:util';
import { envSchema } from '../lib/config.js';
import { CredentialCryptoError, newKeyLine, parseKeyRing } from '../lib/credential-crypto.js';
import { credentialsByKey, rotateCredentialKeys } from '../lib/credential-rotation.js';
import { createDb } from '../lib/db.js';
import { pullSecretsByKey, rewrapPullSecrets } from '../lib/pull-robot.js';

const USAGE = `Usage:
  npx tsx scripts/credentials.ts new-key --id <key id>
  npx tsx scripts/credentials.ts status
  npx tsx scripts/credentials.ts rotate
status and rotate read DATABASE_URL and CREDENTIAL_KEYS (id:base64key[,id:base64key...], newest first).
`;

class UsageError extends Error {}

function env(name: 'DATABASE_URL' | 'CREDENTIAL_KEYS'): string {
  const value = process.env[name];
  if (!value) throw new UsageError(`${name} is not set`);
  const parsed = envSchema.shape[name].safeParse(value);
  if (!parsed.success) throw new UsageError(`${name} is not valid: ${parsed.error.issues[0]?.message ?? 'see --help'}`);
  return value;
}

async function main(): Promise<number> {
  const { values, positionals } = parseArgs({ options: { id: { type: 'string' }, help: { type: 'boolean', short: 'h' } }, allowPositionals: true });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  const [command, ...rest] = positionals;
  if (rest.length) throw new UsageError(`unexpected ${rest.join(' ')}`);
  if (command === 'new-key') {
    if (!values.id) throw new UsageError('--id is required');
    const line = newKeyLine(values.id);
    parseKeyRing(line); // the same rules as the config: a bad id is refused here
    process.stdout.write(`${line}\n`);
    process.stderr.write('Put it first in CREDENTIAL_KEYS (keep the old key after it), restart the API and worker, then run rotate.\n');
    return 0;
  }
  if (command !== 'status' && command !== 'rotate') throw new UsageError(command ? `unknown command "${command}"` : 'a command is required');
  if (values.id) throw new UsageError(`${command} does not take --id`);
  const ring = parseKeyRing(env('CREDENTIAL_KEYS'));
  const db = createDb(env('DATABASE_URL'), { max: 2 });
  try {
    if (command === 'rotate') {
      const result = await rotateCredentialKeys(db, ring);
      process.stdout.write(
        `Re-wrapped ${result.rewrapped} credential(s) with key ${ring.active.id}; ${result.current} already used it; ${result.skipped} were replaced while this ran.\n`,
      );
      const pull = await rewrapPullSecrets(db, ring);
      process.stdout.write(
        `Re-wrapped ${pull.rewrapped} workspace pull secret(s) with key ${ring.active.id}; ${pull.current} already used it; ${pull.skipped} were replaced while this ran.\n`,
      );
    }
    const byKey = (counts: Record<string, number>) =>
      Object.entries(counts)
        .map(([k, n]) => `${k}=${n}`)
        .join(', ') || 'none';
    process.stdout.write(`Stored credentials by key: ${byKey(await credentialsByKey(db))}\n`);
    process.stdout.write(`Workspace pull secrets by key: ${byKey(await pullSecretsByKey(db))}\n`);
    return 0;
  } finally {
    await db.$disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    if (error instanceof UsageError || error instanceof CredentialCryptoError) {
      process.stderr.write(`${error.message}\n\n${USAGE}`);
      process.exit(2);
    }
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
