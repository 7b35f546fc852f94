// GET /v1/pull-credentials/:workspaceId: External Secrets' webhook provider, authenticated by
// PULL_CREDENTIALS_TOKEN (not a workspace token: the cluster's secret store asks for every
// workspace). Off (404) until that token is configured. Thin handler: check, validate, call.
import { createHash, timingSafeEqual } from 'node:crypto';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { workspaceIdSchema } from '../../lib/token-admin.js';
import { ApiError } from '../errors.js';
import type { PullCredentialService } from '../services/pull-credentials.js';
import { paramInput } from '../validate.js';

/** Compares digests, so neither the token's length nor its content shows in the timing. */
function sameToken(given: string, expected: string): boolean {
  const digest = (text: string) => createHash('sha256').update(text).digest();
  return timingSafeEqual(digest(given), digest(expected));
}

export function pullCredentialRoutes({ credentials, token }: { credentials: PullCredentialService; token: string | undefined }) {
  // Before the input is validated: without the token, the answer says nothing about the input.
  const pullToken = createMiddleware(async function checkPullToken(c, next) {
    if (!token)
      throw new ApiError(404, 'pull_credentials_off', 'Pull credentials are not served by this engine: its operator has not set PULL_CREDENTIALS_TOKEN');
    const given = /^Bearer\s+(\S+)$/i.exec(c.req.header('authorization') ?? '')?.[1];
    if (!given || !sameToken(given, token)) throw new ApiError(401, 'unauthorized', 'Send Authorization: Bearer <PULL_CREDENTIALS_TOKEN>');
    await next();
  });
  return new Hono().get('/:workspaceId', pullToken, paramInput('workspaceId', workspaceIdSchema, 'workspace id'), async (c) => {
    return c.json(await credentials.get(c.req.valid('param').workspaceId), 200, { 'Cache-Control': 'no-store' });
  });
}
