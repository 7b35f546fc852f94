// One error shape for the whole API: { "error": { "code", "message" } }. Never a stack trace.
import { HTTPException } from 'hono/http-exception';
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { Logger } from '../lib/logger.js';
import { TokenAdminError } from '../lib/token-admin.js';

export class ApiError extends HTTPException {
  constructor(
    status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly details?: unknown,
    /** Extra response headers, such as Retry-After. */
    readonly headers: Record<string, string> = {},
  ) {
    super(status, { message });
    this.name = 'ApiError';
  }
}

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);
export const conflict = (message: string) => new ApiError(409, 'conflict', message);
export const badRequest = (message: string, details?: unknown) => new ApiError(400, 'invalid_request', message, details);
export const unavailable = (message: string) => new ApiError(503, 'unavailable', message);

/** Runs `work`, mapping the admin library's errors (tokens, workspace users) onto the API's one error shape. */
export async function mapErrors<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (error instanceof TokenAdminError) {
      const status = error.code === 'not_found' ? 404 : error.code === 'conflict' ? 409 : 400;
      const code = error.code === 'invalid_input' ? 'invalid_request' : error.code;
      throw new ApiError(status, code, error.message, error.issues.length ? error.issues : undefined);
    }
    throw error;
  }
}

export function errorBody(code: string, message: string, details?: unknown) {
  return { error: details === undefined ? { code, message } : { code, message, details } };
}

const codeForStatus: Record<number, string> = {
  400: 'invalid_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not_found',
  405: 'method_not_allowed',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
  503: 'unavailable',
};

/** app.onError: shapes every thrown error; unknown errors are logged and answered as a bare 500. */
export function handleError(logger: Logger) {
  return function onError(error: Error, c: Context) {
    if (error instanceof ApiError) return c.json(errorBody(error.code, error.message, error.details), error.status, error.headers);
    if (error instanceof HTTPException) {
      const status = error.status;
      return c.json(errorBody(codeForStatus[status] ?? 'error', error.message || 'request failed'), status);
    }
    logger.error('unhandled error', { method: c.req.method, path: c.req.path, error });
    return c.json(errorBody('internal', 'Internal server error'), 500);
  };
}
