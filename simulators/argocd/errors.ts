// Errors the way Argo CD's gRPC gateway writes them: `{error, code, message}` with the gRPC
// status code in the body and its HTTP mapping as the status.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export const grpcCodes = {
  InvalidArgument: 3,
  NotFound: 5,
  PermissionDenied: 7,
  FailedPrecondition: 9,
  Internal: 13,
  Unavailable: 14,
  Unauthenticated: 16,
} as const;

export type GrpcCodeName = keyof typeof grpcCodes;

const httpStatus: Record<GrpcCodeName, ContentfulStatusCode> = {
  InvalidArgument: 400,
  NotFound: 404,
  PermissionDenied: 403,
  FailedPrecondition: 400,
  Internal: 500,
  Unavailable: 503,
  Unauthenticated: 401,
};

export function grpcError(c: Context, code: GrpcCodeName, message: string): Response {
  return c.json({ error: message, code: grpcCodes[code], message }, httpStatus[code]);
}

/** What an unknown application answers without `?project=` (Argo CD does not reveal existence). */
export const PERMISSION_DENIED = 'permission denied';
