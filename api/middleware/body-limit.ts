// Request body limit that always answers: 413 payload_too_large, and a connection the client
// can keep using.
//
// Why not hono/body-limit: it stops reading at the limit (or, with a Content-Length, never
// reads), leaving the rest of the body on the wire. @hono/node-server then tries to drain it
// after the answer, but the body's web stream still holds the request (Node's Readable.toWeb
// pauses it again as soon as its 16 KiB queue is full), so the drain stalls and the server
// destroys the socket 500 ms later. A kept-alive client loses the connection under it, and one
// still writing a chunked body sees "other side closed" instead of the 413.
//
// So the rest of an oversized body is read and thrown away BEFORE answering, up to a bound:
// the answer then goes out on a clean connection that stays open for the next request. A body
// past the bound (known from its Content-Length, or found while discarding) is answered at once
// with `Connection: close`: Node closes the socket after the answer, never before it.
import type { MiddlewareHandler } from 'hono';
import { createMiddleware } from 'hono/factory';
import { ApiError } from '../errors.js';

export interface BodyLimitOptions {
  /** Largest body accepted, in bytes. */
  maxBytes: number;
  /** The 413 message, e.g. "Request bodies are limited to 65536 bytes". */
  message: string;
  /** Most bytes read and discarded from an oversized body to keep the connection (default: 4x maxBytes, at least 4 MiB). */
  discardUpTo?: number;
}

const MIN_DISCARD_BYTES = 4 * 1024 * 1024;

/** The bound on bytes thrown away to keep a connection after a 413. */
export function discardBound(maxBytes: number): number {
  return Math.max(MIN_DISCARD_BYTES, maxBytes * 4);
}

export function bodyLimit({ maxBytes, message, discardUpTo = discardBound(maxBytes) }: BodyLimitOptions): MiddlewareHandler {
  const tooLarge = (closeConnection: boolean) => new ApiError(413, 'payload_too_large', message, undefined, closeConnection ? { Connection: 'close' } : {});
  // The client went away mid-body: nobody is left to read an answer, so no error is logged.
  const cutOff = () => new ApiError(400, 'invalid_request', 'The request body was cut off', undefined, { Connection: 'close' });
  return createMiddleware(async (c, next) => {
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const declared = declaredLength(c.req.header('content-length'), c.req.header('transfer-encoding'));
    // Past the bound there is no point reading: answer now and let the connection go.
    if (declared !== undefined && declared > discardUpTo) throw tooLarge(true);
    const body = c.req.raw.body;
    if (!body) return next();
    // Node's parser stops a body at its Content-Length, so a declared length within the limit
    // is the whole body: the route reads it as it is.
    if (declared !== undefined && declared <= maxBytes) return next();
    const reader = body.getReader();
    const kept: Uint8Array[] = [];
    let size = 0;
    for (;;) {
      const { done, value } = await reader.read().catch(() => {
        throw cutOff();
      });
      if (done) break;
      size += value.byteLength;
      if (size > maxBytes) {
        const complete = await discardRest(reader, discardUpTo - size);
        throw tooLarge(!complete);
      }
      kept.push(value);
    }
    c.req.raw = new Request(c.req.raw, { body: concat(kept, size) });
    return next();
  });
}

/** The Content-Length a body declares, when it is the one that frames it (not chunked). */
function declaredLength(contentLength: string | undefined, transferEncoding: string | undefined): number | undefined {
  if (contentLength === undefined || transferEncoding !== undefined) return undefined;
  const n = Number(contentLength);
  return Number.isSafeInteger(n) && n >= 0 ? n : undefined;
}

/** Reads and drops the rest of a body; true when it ended within `budget` bytes. */
async function discardRest(reader: ReadableStreamDefaultReader<Uint8Array>, budget: number): Promise<boolean> {
  let left = budget;
  for (;;) {
    const chunk = await reader.read().catch(() => undefined);
    if (!chunk) return false;
    const { done, value } = chunk;
    if (done) return true;
    left -= value.byteLength;
    if (left < 0) return false;
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
