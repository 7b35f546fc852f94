// The live-URL probe against local HTTP servers: each way a URL fails gives url_unreachable
// with its cause and what was seen; an older release's image is waited out, then refused.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../lib/config.js';
import { IMAGE_HEADER, imageMatches, judge, probeLiveUrl, probeSettings, type ProbeAttempt } from './url-probe.js';

const digest = (c: string) => `sha256:${c.repeat(64)}`;
const ours = `127.0.0.1:8082/apps/dev/alice-shop@${digest('a')}`;
const older = `127.0.0.1:8082/apps/dev/alice-shop@${digest('b')}`;
const LIVE = 'http://shop-alice.apps.example.com/';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;
const servers: http.Server[] = [];

async function serve(handler: Handler): Promise<string> {
  const server = http.createServer(handler);
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** A port nothing listens on (taken, then released). */
async function closedPort(): Promise<string> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return `127.0.0.1:${port}`;
}

afterEach(async () => {
  await Promise.all(
    servers.splice(0).map(
      (s) =>
        new Promise((resolve) => {
          s.closeAllConnections();
          s.close(resolve);
        }),
    ),
  );
});

async function failure(promise: Promise<unknown>): Promise<ApplicationFailure> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof ApplicationFailure)) throw new Error(`expected an ApplicationFailure, got ${String(error)}`);
  return error;
}

const quick = { timeoutMs: 1_200, intervalMs: 100, attemptTimeoutMs: 500 };

describe('probeLiveUrl: success', () => {
  it('answers ok once the URL answers with this release image, through `via` with the live Host header', async () => {
    const hosts: string[] = [];
    const via = await serve((req, res) => {
      hosts.push(req.headers.host ?? '');
      res.writeHead(200, { [IMAGE_HEADER]: ours, 'content-type': 'text/html' }).end('<h1>shop</h1>');
    });
    const attempts: ProbeAttempt[] = [];
    const result = await probeLiveUrl({ url: LIVE, expectImage: ours, via, ...quick, onAttempt: (a) => attempts.push(a) });
    expect(result).toMatchObject({ ok: true, status: 200, attempts: 1, image: ours });
    expect(hosts).toEqual(['shop-alice.apps.example.com']);
    expect(attempts.map((a) => a.verdict)).toEqual(['live']);
  });

  it('takes a status-only answer (no image header) in 2xx, 3xx (not followed), 401 and 403', async () => {
    for (const status of [204, 302, 401, 403]) {
      const via = await serve((_req, res) => res.writeHead(status, status === 302 ? { location: 'https://elsewhere.example/' } : {}).end());
      await expect(probeLiveUrl({ url: LIVE, expectImage: ours, via, ...quick })).resolves.toMatchObject({ ok: true, status });
    }
  });

  it("takes any status below 500 that carries this release's image (an API without a / route answers 404 itself)", async () => {
    const via = await serve((_req, res) => res.writeHead(404, { [IMAGE_HEADER]: ours }).end('Cannot GET /'));
    await expect(probeLiveUrl({ url: LIVE, expectImage: ours, via, ...quick })).resolves.toMatchObject({ ok: true, status: 404 });
  });

  it('waits while an older release answers, and succeeds when this one does', async () => {
    let calls = 0;
    const via = await serve((_req, res) => {
      calls += 1;
      res.writeHead(200, { [IMAGE_HEADER]: calls <= 3 ? older : ours }).end();
    });
    const result = await probeLiveUrl({ url: LIVE, expectImage: ours, via, timeoutMs: 5_000, intervalMs: 50 });
    expect(result).toMatchObject({ ok: true, attempts: 4, image: ours });
  });
});

describe('probeLiveUrl: url_unreachable names the three causes and what it saw', () => {
  const causes = [/\(1\) DNS does not point at the ingress yet/, /\(2\) an ingress host that does not match/, /\(3\) a wrong service or namespace/];
  const expectCauses = (message: string) => causes.forEach((c) => expect(message).toMatch(c));

  it('a 404 without the image header: the ingress has no rule for the host (cause 2)', async () => {
    const via = await serve((_req, res) =>
      res.writeHead(404, { 'content-type': 'text/html' }).end('<html><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>\n'),
    );
    const error = await failure(probeLiveUrl({ url: LIVE, expectImage: ours, via, ...quick }));
    expect(error.type).toBe('url_unreachable');
    expect(error.nonRetryable).toBe(true);
    expect(error.message).toContain('http://shop-alice.apps.example.com/ did not answer from this release within 1 s');
    expect(error.message).toContain(`connecting to ${via} instead of the host's DNS`);
    expect(error.message).toContain('Last answer: HTTP 404, no x-deploy-engine-image header');
    expect(error.message).toContain('body "<html><body><center><h1>404 Not Found</h1>');
    expect(error.message).toMatch(/cause \(2\) is likely/);
    expectCauses(error.message);
  });

  it('a 503 or 502: a wrong service or namespace (cause 3)', async () => {
    for (const status of [502, 503]) {
      const via = await serve((_req, res) => res.writeHead(status).end('no endpoints available for service "user-alice/shop"'));
      const error = await failure(probeLiveUrl({ url: LIVE, via, ...quick }));
      expect(error.message).toContain(`Last answer: HTTP ${status}`);
      expect(error.message).toMatch(/cause \(3\) is likely/);
      expectCauses(error.message);
    }
  });

  it('connection refused: DNS does not point at the ingress (cause 1)', async () => {
    const via = await closedPort();
    const error = await failure(probeLiveUrl({ url: LIVE, via, ...quick }));
    expect(error.message).toContain(`Last attempt: ECONNREFUSED (nothing listens on ${via})`);
    expect(error.message).toMatch(/cause \(1\) is likely/);
    expectCauses(error.message);
  });

  it('a name that does not resolve (cause 1)', async () => {
    const error = await failure(probeLiveUrl({ url: 'http://shop-alice.apps.does-not-exist.invalid/', ...quick }));
    expect(error.message).toMatch(/Last attempt: (ENOTFOUND|EAI_AGAIN) \(shop-alice\.apps\.does-not-exist\.invalid does not resolve\)/);
    expect(error.message).toMatch(/cause \(1\) is likely/);
  });

  it('an address that never answers: a timeout per attempt, then cause 1', async () => {
    const via = await serve(() => undefined);
    const started = Date.now();
    const error = await failure(probeLiveUrl({ url: LIVE, via, timeoutMs: 1_000, intervalMs: 50, attemptTimeoutMs: 300 }));
    expect(Date.now() - started).toBeLessThan(3_000);
    // The last attempt may get less than 300 ms: no attempt runs past the deadline.
    expect(error.message).toMatch(/Last attempt: ETIMEDOUT \(no answer within (300|[12]\d\d|\d\d?) ms\)/);
  });

  it('an older release that keeps answering: waits until the deadline, then names both images', async () => {
    let calls = 0;
    const via = await serve((_req, res) => {
      calls += 1;
      res.writeHead(200, { [IMAGE_HEADER]: older }).end('old');
    });
    const error = await failure(probeLiveUrl({ url: LIVE, expectImage: ours, via, ...quick }));
    expect(calls).toBeGreaterThan(3);
    expect(error.message).toContain(`${IMAGE_HEADER} ${older} (expected ${ours})`);
    expect(error.message).toContain('an older release still serves it');
    expectCauses(error.message);
  });

  it('keeps credentials and queries of the URL out of the message', async () => {
    const via = await serve((_req, res) => res.writeHead(404).end());
    const error = await failure(probeLiveUrl({ url: 'http://user:hunter2@shop-alice.apps.example.com/?token=s3cret', via, ...quick }));
    expect(error.message).not.toMatch(/hunter2|s3cret|user:/);
    expect(JSON.stringify(error.details)).not.toMatch(/hunter2|s3cret/);
  });

  it('stops at once when cancelled, rethrowing the reason', async () => {
    const via = await serve((_req, res) => res.writeHead(404).end());
    const controller = new AbortController();
    const reason = new Error('cancelled by the workflow');
    setTimeout(() => controller.abort(reason), 150);
    const started = Date.now();
    await expect(probeLiveUrl({ url: LIVE, via, timeoutMs: 10_000, intervalMs: 1_000, signal: controller.signal })).rejects.toBe(reason);
    expect(Date.now() - started).toBeLessThan(1_000);
  });
});

describe('decisions', () => {
  it('matches images by digest, and by repository when both name one', () => {
    expect(imageMatches(ours, ours)).toBe(true);
    expect(imageMatches(ours.toUpperCase(), ours)).toBe(true);
    expect(imageMatches(`sidecar@${digest('c')}, ${ours}`, ours)).toBe(true);
    expect(imageMatches(ours, digest('a'))).toBe(true);
    expect(imageMatches(older, ours)).toBe(false);
    expect(imageMatches(`other/repo@${digest('a')}`, ours)).toBe(false);
    expect(imageMatches('127.0.0.1:8082/apps/dev/alice-shop:latest', ours)).toBe(false);
  });

  it('judges by status when there is no header or nothing to compare with; 5xx is never live', () => {
    const accept = [{ from: 200, to: 399 }];
    expect(judge({ kind: 'answered', status: 200, bodyStart: '' }, ours, accept)).toBe('live');
    expect(judge({ kind: 'answered', status: 404, bodyStart: '' }, ours, accept)).toBe('not-accepted');
    expect(judge({ kind: 'answered', status: 404, image: older, bodyStart: '' }, undefined, accept)).toBe('not-accepted');
    expect(judge({ kind: 'answered', status: 500, image: ours, bodyStart: '' }, ours, accept)).toBe('not-accepted');
    expect(judge({ kind: 'answered', status: 200, image: older, bodyStart: '' }, ours, accept)).toBe('other-release');
  });

  it('reads its settings from the config: off by default, on with via, timeout and statuses', () => {
    const base = { DATABASE_URL: 'postgresql://x@localhost/x' };
    expect(probeSettings(loadConfig(base))).toBeUndefined();
    expect(
      probeSettings(
        loadConfig({
          ...base,
          LIVE_URL_PROBE: 'on',
          LIVE_URL_PROBE_VIA: '127.0.0.1:18480',
          LIVE_URL_PROBE_TIMEOUT: '90s',
          LIVE_URL_PROBE_STATUSES: '200-299, 418',
        }),
      ),
    ).toEqual({
      via: '127.0.0.1:18480',
      timeoutMs: 90_000,
      accept: [
        { from: 200, to: 299 },
        { from: 418, to: 418 },
      ],
    });
    expect(loadConfig(base).LIVE_URL_PROBE_STATUSES).toEqual([
      { from: 200, to: 399 },
      { from: 401, to: 401 },
      { from: 403, to: 403 },
    ]);
    expect(() => loadConfig({ ...base, LIVE_URL_PROBE_VIA: 'http://127.0.0.1:18480' })).toThrow(/LIVE_URL_PROBE_VIA must be host:port/);
    expect(() => loadConfig({ ...base, LIVE_URL_PROBE: 'yes' })).toThrow(/LIVE_URL_PROBE/);
  });
});
