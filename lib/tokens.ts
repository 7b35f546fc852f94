// API tokens: random, shown once, stored only as a sha256 hash.
import { createHash, randomBytes } from 'node:crypto';

export const TOKEN_PREFIX = 'dep_';

export function generateToken(): string {
  return `${TOKEN_PREFIX}${randomBytes(24).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** The first characters, safe to show in listings so people can tell tokens apart. */
export function tokenDisplayPrefix(token: string): string {
  return token.slice(0, TOKEN_PREFIX.length + 6);
}
