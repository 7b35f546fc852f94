// Oversized bodies on a real socket: every one is answered 413 with the JSON error, and the
// kept-alive connection it came on carries the next request (the body is discarded up to a
// bound); past the bound the 413 still arrives, with `Connection: close`, and then the socket.
import http from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from './support/stack.js';
import { discardBound } from '../api/middleware/body-limit.js';

const MiB = 1024 * 1024;
const JSON_LIMIT = 65_536;
const WEBHOOK_LIMIT = 5 * MiB;

let stack: TestStack;
let server: ServerType;
let port: number;
/** Sockets the server accepted, in order; the test tells them apart by index. */
const accepted: Socket[] = [];
beforeAll(async () => {
  stack = await startStack({ noWorker: true, env: { MAX_BODY_BYTES: String(JSON_LIMIT) } });
  await new Promise<void>((resolve) => {
    server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
      port = info.port;
      resolve();
    });
  });
  server.on('connection', (socket: Socket) => accepted.push(socket));
}, 120_000);
afterAll(async () => {
  server?.close();
  await stack?.close();
});

let agent: http.Agent;
afterEach(() => agent?.destroy());
/** One connection at a time, kept alive between requests: what a busy API client does. */
const oneConnection = () => (agent = new http.Agent({ keepAlive: true, maxSockets: 1 }));

interface Answer {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: { error?: { code: string; message: string; details?: { rule: string }[] } };
  /** The client socket it came over (the same object for requests on one connection). */
  socket: Socket;
}

interface Send {
  method?: string;
  body?: Buffer;
  /** Sends the body with Transfer-Encoding: chunked instead of a Content-Length. */
  chunked?: boolean;
  headers?: Record<string, string>;
}

/** Errors a request raised after its answer had arrived (a reset while still writing, say). */
const lateErrors: Error[] = [];

function send(path: string, { method = 'POST', body, chunked = false, headers = {} }: Send = {}): Promise<Answer> {
  return new Promise((resolve, reject) => {
    let answered = false;
    const all: Record<string, string> = { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json', ...headers };
    if (body && !chunked) all['content-length'] = String(body.length);
    const req = http.request({ agent, host: '127.0.0.1', port, path, method, headers: all }, (res) => {
      const parts: Buffer[] = [];
      res.on('data', (part: Buffer) => parts.push(part));
      res.on('end', () => {
        answered = true;
        const text = Buffer.concat(parts).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text ? (JSON.parse(text) as Answer['body']) : {}, socket: res.socket });
      });
      res.on('error', reject);
    });
    req.on('error', (error) => (answered ? lateErrors.push(error) : reject(error)));
    if (!body) {
      req.end();
      return;
    }
    // In 64 KiB writes, waiting for drain: a chunked body really goes out as many chunks.
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const more = req.write(body.subarray(offset, offset + 65_536));
        offset += 65_536;
        if (!more) {
          req.once('drain', pump);
          return;
        }
      }
      req.end();
    };
    pump();
  });
}

/** A JSON object of `bytes` bytes with a field no route takes (so a body that gets through is a 400). */
const jsonOf = (bytes: number) => {
  const head = '{"name":"big","pad":"';
  return Buffer.from(`${head}${'x'.repeat(Math.max(0, bytes - head.length - 2))}"}`);
};

function expectTooLarge(answer: Answer, message: string) {
  expect(answer.status).toBe(413);
  expect(answer.body).toEqual({ error: { code: 'payload_too_large', message } });
}

const jsonMessage = `Request bodies are limited to ${JSON_LIMIT} bytes`;
const webhookMessage = `Webhook payloads are limited to ${WEBHOOK_LIMIT} bytes`;

describe('oversized bodies on a kept-alive connection', () => {
  it('answers each oversized body 413 and serves the requests around it on the same socket', async () => {
    oneConnection();
    const before = accepted.length;
    // 2 MiB: far more than the socket buffers hold, so a body left unread would stall the connection.
    const oversized = jsonOf(2 * MiB);
    const answers = [
      await send('/v1/projects', { method: 'GET' }),
      await send('/v1/projects', { body: oversized }),
      await send('/v1/projects', { body: jsonOf(200) }),
      await send('/v1/projects', { body: oversized, chunked: true }),
      await send('/v1/projects', { body: jsonOf(200), chunked: true }),
      await send('/v1/projects', { method: 'GET' }),
    ];
    expect(answers.map((a) => a.status)).toEqual([200, 413, 400, 413, 400, 200]);
    expectTooLarge(answers[1]!, jsonMessage);
    expectTooLarge(answers[3]!, jsonMessage);
    // The small bodies, also the chunked one, reached the route whole: the schema judged them.
    for (const small of [answers[2]!, answers[4]!])
      expect(small.body.error?.details?.map((d) => d.rule)).toContainEqual(expect.stringContaining('unknown field'));
    for (const answer of answers) expect(answer.headers.connection).toBe('keep-alive');
    expect(new Set(answers.map((a) => a.socket)).size).toBe(1);
    expect(accepted.length - before).toBe(1);
  });

  it("answers Node's fetch (undici, keep-alive by default) 413 for oversized bodies, streamed or not", async () => {
    const oversized = jsonOf(2 * MiB);
    const post = (body: BodyInit) =>
      fetch(`http://127.0.0.1:${port}/v1/projects`, {
        method: 'POST',
        body,
        headers: { authorization: `Bearer ${stack.token}`, 'content-type': 'application/json' },
        duplex: 'half',
      } as RequestInit);
    const streamed = () => new Blob([oversized]).stream();
    const statuses: number[] = [];
    for (const body of [jsonOf(200), oversized, jsonOf(200), streamed(), jsonOf(200)]) {
      const res = await post(body);
      statuses.push(res.status);
      if (res.status === 413) expect(await res.json()).toEqual({ error: { code: 'payload_too_large', message: jsonMessage } });
      else await res.arrayBuffer();
    }
    expect(statuses).toEqual([400, 413, 400, 413, 400]);
  });

  it('answers a body far past the discard bound 413 with Connection: close, then closes that socket', async () => {
    oneConnection();
    const before = accepted.length;
    const huge = jsonOf(discardBound(JSON_LIMIT) * 4);
    for (const chunked of [false, true]) {
      const answer = await send('/v1/projects', { body: huge, chunked });
      expectTooLarge(answer, jsonMessage);
      expect(answer.headers.connection).toBe('close');
      const serverSocket = accepted.at(-1)!;
      await new Promise<void>((resolve) => (serverSocket.destroyed ? resolve() : serverSocket.once('close', () => resolve())));
      // The agent opens a fresh connection for the next request, which is served as usual.
      expect((await send('/v1/projects', { method: 'GET' })).status).toBe(200);
    }
    expect(accepted.length - before).toBe(3);
    // Only the body bytes the server refused fail, after the whole answer: nothing else went wrong.
    expect(lateErrors.map((e) => (e as NodeJS.ErrnoException).code).filter((code) => code !== 'EPIPE' && code !== 'ECONNRESET')).toEqual([]);
  });

  it('keeps the webhook route (5 MB limit) on one connection through oversized payloads', async () => {
    oneConnection();
    const before = accepted.length;
    const oversized = jsonOf(WEBHOOK_LIMIT + 3 * MiB);
    const headers = { 'x-github-event': 'push', 'x-github-delivery': 'body-limit-test' };
    const answers = [
      await send('/v1/webhooks/github', { body: oversized, headers }),
      await send('/v1/webhooks/github', { body: oversized, chunked: true, headers }),
      // Under the limit the payload is read and judged: unsigned, so refused as unauthenticated.
      await send('/v1/webhooks/github', { body: jsonOf(WEBHOOK_LIMIT - 1024), headers }),
    ];
    expectTooLarge(answers[0]!, webhookMessage);
    expectTooLarge(answers[1]!, webhookMessage);
    expect(answers[2]!.status).toBe(401);
    expect(answers[2]!.body.error?.code).toBe('unauthorized');
    expect(new Set(answers.map((a) => a.socket)).size).toBe(1);
    expect(accepted.length - before).toBe(1);
  });
});
