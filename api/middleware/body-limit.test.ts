// The body limit over Hono's app.request (no socket; the kept-alive connection is tested end to
// end in test/body-limit-keepalive.test.ts): what reaches the route, and when the 413 asks for
// the connection to close.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { handleError } from '../errors.js';
import { createLogger } from '../../lib/logger.js';
import { bodyLimit, discardBound } from './body-limit.js';

const LIMIT = 1000;
const BOUND = 5000;

function app() {
  const a = new Hono();
  a.onError(handleError(createLogger({ level: 'error' })));
  a.use('*', bodyLimit({ maxBytes: LIMIT, message: 'too big', discardUpTo: BOUND }));
  a.post('/echo', async (c) => c.json({ text: await c.req.text() }));
  return a;
}

/** A body without a Content-Length, in chunks of `chunk` bytes: what a chunked upload looks like. */
function streamOf(bytes: number, chunk = 256): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    pull(controller) {
      if (sent >= bytes) return controller.close();
      const n = Math.min(chunk, bytes - sent);
      sent += n;
      controller.enqueue(new Uint8Array(n).fill(0x61));
    },
  });
}

const post = (body: BodyInit, headers: Record<string, string> = {}) =>
  app().request('http://api.local/echo', { method: 'POST', body, headers, duplex: 'half' } as RequestInit);

describe('bodyLimit', () => {
  it('passes a streamed body within the limit to the route byte for byte', async () => {
    const res = await post(streamOf(LIMIT, 100));
    expect(res.status).toBe(200);
    expect(((await res.json()) as { text: string }).text).toBe('a'.repeat(LIMIT));
  });

  it('answers a streamed body over the limit but within the bound 413 on a connection that stays open', async () => {
    const res = await post(streamOf(BOUND));
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBeNull();
    expect(await res.json()).toEqual({ error: { code: 'payload_too_large', message: 'too big' } });
  });

  it('answers a streamed body past the bound 413 with Connection: close', async () => {
    const res = await post(streamOf(BOUND + 1));
    expect(res.status).toBe(413);
    expect(res.headers.get('connection')).toBe('close');
  });

  it('judges a declared Content-Length: past the bound at once with Connection: close', async () => {
    const within = await post('a'.repeat(LIMIT + 1), { 'content-length': String(LIMIT + 1) });
    expect(within.status).toBe(413);
    expect(within.headers.get('connection')).toBeNull();
    const past = await post('a'.repeat(BOUND + 1), { 'content-length': String(BOUND + 1) });
    expect(past.status).toBe(413);
    expect(past.headers.get('connection')).toBe('close');
  });

  it('discards up to four times the limit, and never less than 4 MiB', () => {
    expect(discardBound(65_536)).toBe(4 * 1024 * 1024);
    expect(discardBound(5 * 1024 * 1024)).toBe(20 * 1024 * 1024);
  });
});
