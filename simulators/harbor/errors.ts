// Error bodies as Harbor and distribution send them: `{"errors":[{"code","message"}]}`
// (distribution adds `detail`). Harbor API answers always carry `X-Request-Id`.
import { randomUUID } from 'node:crypto';

export interface ErrorEntry {
  code: string;
  message: string;
  detail?: unknown;
}

export function errorBody(...errors: ErrorEntry[]): string {
  return JSON.stringify({ errors });
}

/** The request id of a Harbor API request: the client's `X-Request-Id`, or a new one. */
export function requestId(incoming: string | undefined): string {
  return incoming && incoming.length > 0 && incoming.length <= 128 ? incoming : randomUUID();
}

export function harborError(status: number, code: string, message: string, id: string): Response {
  return new Response(errorBody({ code, message }), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-request-id': id },
  });
}

export const DISTRIBUTION_HEADER = { 'docker-distribution-api-version': 'registry/2.0' } as const;

export function registryError(status: number, errors: ErrorEntry[], headers: Record<string, string> = {}): Response {
  return new Response(errorBody(...errors), {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8', ...DISTRIBUTION_HEADER, ...headers },
  });
}
