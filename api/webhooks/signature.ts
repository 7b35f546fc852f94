// GitHub's X-Hub-Signature-256: `sha256=<hex HMAC-SHA256 of the raw body>`, compared in constant
// time (lengths checked first, as timingSafeEqual requires).
import { createHmac, timingSafeEqual } from 'node:crypto';

export function signatureFor(secret: string, rawBody: Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

export function verifySignature(secret: string, rawBody: Uint8Array, header: string | undefined): boolean {
  if (!header || !/^sha256=[0-9a-f]{64}$/.test(header)) return false;
  const expected = Buffer.from(signatureFor(secret, rawBody));
  const given = Buffer.from(header);
  return expected.length === given.length && timingSafeEqual(expected, given);
}
