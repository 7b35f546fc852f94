// Envelope encryption for credentials stored in PostgreSQL (repository tokens today).
//
// Each value gets its own random data key (AES-256-GCM); the data key is wrapped by a master key
// from config (CREDENTIAL_KEYS). Rotating the master key re-wraps the data keys only: the values
// themselves are never decrypted to rotate. The envelope names the key that wrapped it, so old
// and new keys work side by side while a rotation runs. The row's id is bound as associated data:
// an envelope copied onto another project's row does not open.
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { z } from 'zod';

/** One master key: an id (stored beside each envelope it wrapped) and 32 bytes. */
export interface MasterKey {
  id: string;
  key: Buffer;
}

/** The configured keys; the first encrypts, every one decrypts. */
export interface KeyRing {
  active: MasterKey;
  byId: Map<string, MasterKey>;
}

export class CredentialCryptoError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CredentialCryptoError';
  }
}

const KEY_ID = /^[A-Za-z0-9_-]{1,32}$/;

/**
 * Parses `CREDENTIAL_KEYS`: `id:base64key[,id:base64key...]`, newest first. Each key is 32 random
 * bytes (`openssl rand -base64 32`). Throws with a message that never contains key material.
 */
export function parseKeyRing(text: string): KeyRing {
  const keys = text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean)
    .map((part, index) => {
      const colon = part.indexOf(':');
      const id = colon > 0 ? part.slice(0, colon) : '';
      if (!KEY_ID.test(id))
        throw new CredentialCryptoError(`key ${index + 1} must be written <id>:<base64 of 32 bytes>, with an id of letters, digits, _ or - (at most 32)`);
      const key = Buffer.from(part.slice(colon + 1), 'base64');
      if (key.length !== 32) throw new CredentialCryptoError(`key "${id}" must be 32 bytes in base64 (got ${key.length} bytes)`);
      return { id, key };
    });
  if (keys.length === 0) throw new CredentialCryptoError('at least one key is needed');
  const byId = new Map<string, MasterKey>();
  for (const k of keys) {
    if (byId.has(k.id)) throw new CredentialCryptoError(`key id "${k.id}" appears twice`);
    byId.set(k.id, k);
  }
  return { active: keys[0]!, byId };
}

/** A new random key line for CREDENTIAL_KEYS. */
export function newKeyLine(id: string): string {
  return `${id}:${randomBytes(32).toString('base64')}`;
}

const envelopeSchema = z.object({
  v: z.literal(1),
  kid: z.string().regex(KEY_ID),
  /** The data key, encrypted by the master key: iv, ciphertext, tag (base64url each). */
  wk: z.tuple([z.string(), z.string(), z.string()]),
  /** The value, encrypted by the data key: iv, ciphertext, tag. */
  ct: z.tuple([z.string(), z.string(), z.string()]),
});
type Envelope = z.infer<typeof envelopeSchema>;

const b64 = (b: Buffer) => b.toString('base64url');
const unb64 = (s: string) => Buffer.from(s, 'base64url');

function seal(key: Buffer, plain: Buffer, aad: string): [string, string, string] {
  const iv = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(aad));
  const ct = Buffer.concat([cipher.update(plain), cipher.final()]);
  return [b64(iv), b64(ct), b64(cipher.getAuthTag())];
}

function unseal(key: Buffer, [iv, ct, tag]: [string, string, string], aad: string): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', key, unb64(iv));
  decipher.setAAD(Buffer.from(aad));
  decipher.setAuthTag(unb64(tag));
  return Buffer.concat([decipher.update(unb64(ct)), decipher.final()]);
}

function parseEnvelope(text: string): Envelope {
  try {
    return envelopeSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
  } catch {
    throw new CredentialCryptoError('the stored credential is not an envelope this engine wrote');
  }
}

/** Encrypts `value` for the row `boundTo` with the ring's active key. */
export function encryptCredential(ring: KeyRing, value: string, boundTo: string): { envelope: string; keyId: string } {
  const dataKey = randomBytes(32);
  const envelope: Envelope = {
    v: 1,
    kid: ring.active.id,
    wk: seal(ring.active.key, dataKey, `wrap:${boundTo}`),
    ct: seal(dataKey, Buffer.from(value, 'utf8'), `value:${boundTo}`),
  };
  return { envelope: Buffer.from(JSON.stringify(envelope)).toString('base64url'), keyId: ring.active.id };
}

function openDataKey(ring: KeyRing, envelope: Envelope, boundTo: string): Buffer {
  const master = ring.byId.get(envelope.kid);
  if (!master)
    throw new CredentialCryptoError(
      `the credential was encrypted with key "${envelope.kid}", which CREDENTIAL_KEYS no longer lists: add it back (after the active key) and run the rotation`,
    );
  try {
    return unseal(master.key, envelope.wk, `wrap:${boundTo}`);
  } catch {
    throw new CredentialCryptoError(`the credential does not open with key "${envelope.kid}" (wrong key, or the envelope belongs to another row)`);
  }
}

export function decryptCredential(ring: KeyRing, text: string, boundTo: string): string {
  const envelope = parseEnvelope(text);
  const dataKey = openDataKey(ring, envelope, boundTo);
  try {
    return unseal(dataKey, envelope.ct, `value:${boundTo}`).toString('utf8');
  } catch {
    throw new CredentialCryptoError('the credential is damaged: its ciphertext does not authenticate');
  }
}

/** Re-wraps an envelope's data key with the active key (the value is not decrypted). */
export function rewrapCredential(ring: KeyRing, text: string, boundTo: string): { envelope: string; keyId: string } {
  const envelope = parseEnvelope(text);
  if (envelope.kid === ring.active.id) return { envelope: text, keyId: envelope.kid };
  const dataKey = openDataKey(ring, envelope, boundTo);
  const next: Envelope = { ...envelope, kid: ring.active.id, wk: seal(ring.active.key, dataKey, `wrap:${boundTo}`) };
  return { envelope: Buffer.from(JSON.stringify(next)).toString('base64url'), keyId: ring.active.id };
}
