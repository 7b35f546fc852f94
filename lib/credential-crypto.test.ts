import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { CredentialCryptoError, decryptCredential, encryptCredential, newKeyLine, parseKeyRing, rewrapCredential } from './credential-crypto.js';

const ringOf = (...lines: string[]) => parseKeyRing(lines.join(','));

describe('credential envelopes', () => {
  const k1 = newKeyLine('k1');
  const k2 = newKeyLine('k2');

  it('round-trips any value, and the envelope never contains it', () => {
    const ring = ringOf(k1);
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 300 }), fc.uuid(), (value, rowId) => {
        const { envelope, keyId } = encryptCredential(ring, value, rowId);
        expect(keyId).toBe('k1');
        if (value.length >= 4) expect(Buffer.from(envelope, 'base64url').toString('utf8')).not.toContain(value);
        expect(decryptCredential(ring, envelope, rowId)).toBe(value);
      }),
      { numRuns: 200 },
    );
  });

  it('does not open on another row, with another key, or when tampered with', () => {
    const { envelope } = encryptCredential(ringOf(k1), 'ghp_secret-token-value', 'row-a');
    expect(() => decryptCredential(ringOf(k1), envelope, 'row-b')).toThrow(CredentialCryptoError);
    expect(() => decryptCredential(ringOf(k2), envelope, 'row-a')).toThrow(/no longer lists/);
    expect(() => decryptCredential(ringOf(`k1:${newKeyLine('x').split(':')[1]}`), envelope, 'row-a')).toThrow(/does not open/);
    const json = JSON.parse(Buffer.from(envelope, 'base64url').toString('utf8')) as { ct: [string, string, string] };
    json.ct[1] = Buffer.from('tampered').toString('base64url');
    expect(() => decryptCredential(ringOf(k1), Buffer.from(JSON.stringify(json)).toString('base64url'), 'row-a')).toThrow(/damaged/);
    expect(() => decryptCredential(ringOf(k1), 'not-an-envelope', 'row-a')).toThrow(/not an envelope/);
  });

  it('rotation re-wraps the data key under the new key, and the value still opens', () => {
    const old = encryptCredential(ringOf(k1), 'the-token', 'row');
    const rotated = rewrapCredential(ringOf(k2, k1), old.envelope, 'row');
    expect(rotated.keyId).toBe('k2');
    expect(decryptCredential(ringOf(k2), rotated.envelope, 'row')).toBe('the-token');
    // Already current: unchanged.
    expect(rewrapCredential(ringOf(k2), rotated.envelope, 'row').envelope).toBe(rotated.envelope);
  });

  it('refuses key lists it cannot use, without echoing key material', () => {
    const short = `k1:${Buffer.alloc(16, 7).toString('base64')}`;
    expect(() => parseKeyRing(short)).toThrow(/32 bytes/);
    try {
      parseKeyRing(short);
    } catch (error) {
      expect((error as Error).message).not.toContain(short.split(':')[1]);
    }
    expect(() => parseKeyRing('')).toThrow(/at least one/);
    expect(() => parseKeyRing(`${k1},${k1}`)).toThrow(/twice/);
    expect(() => parseKeyRing('bad id:AAAA')).toThrow(/<id>:<base64/);
    expect(parseKeyRing(`${k2}, ${k1}`).active.id).toBe('k2');
  });
});
