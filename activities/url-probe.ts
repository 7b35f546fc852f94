// The live-URL probe: Argo CD's Synced+Healthy says the cluster runs the release, not that its
// URL reaches it ("Synced but 404"). After await_live's Argo CD wait, this asks the live URL
// itself, retrying until a deadline, and calls the release live only once it answers: an
// accepted status (2xx/3xx, 401, 403 by default) and, when the answer names its image in
// `x-deploy-engine-image`, exactly this release's image. Otherwise it fails with
// url_unreachable, naming the three usual causes and what it saw (docs/live-url-probe.md).
import http from 'node:http';
import https from 'node:https';
import { terminal, TerminalFailure } from './errors.js';
import type { Env } from '../lib/config.js';

/** The response header that names the image answering (the ingress simulator sets it; apps may). */
export const IMAGE_HEADER = 'x-deploy-engine-image';

export type StatusRange = { from: number; to: number };
export const DEFAULT_ACCEPT: readonly StatusRange[] = [
  { from: 200, to: 399 },
  { from: 401, to: 401 },
  { from: 403, to: 403 },
];

export interface ProbeOptions {
  /** The release's live URL (http or https). */
  url: string;
  /** The release's image, `repository@sha256:…` (or just the digest): an answer that names another image is an older release. */
  expectImage?: string;
  /** `host:port` to connect to instead of the live host's DNS; the request still names the live host (Host, TLS server name). */
  via?: string;
  /** Give up after this long (measured from the first attempt). */
  timeoutMs: number;
  accept?: readonly StatusRange[];
  /** Cancels the wait (the activity's cancellation signal); the probe rethrows its reason. */
  signal?: AbortSignal;
  /** Called after every attempt (heartbeat here). */
  onAttempt?: (attempt: ProbeAttempt) => void;
  /** Pause between attempts. Default 1 s. */
  intervalMs?: number;
  /** Bound on one request. Default 5 s (below the activity's 10 s heartbeat timeout). */
  attemptTimeoutMs?: number;
}

/** What one request saw. */
export type ProbeOutcome = { kind: 'answered'; status: number; image?: string; bodyStart: string } | { kind: 'no-connection'; code: string; message: string };

export type Verdict = 'live' | 'not-accepted' | 'other-release' | 'no-connection';

export interface ProbeAttempt {
  attempt: number;
  elapsedMs: number;
  outcome: ProbeOutcome;
  verdict: Verdict;
}

export interface ProbeResult {
  ok: true;
  status: number;
  attempts: number;
  elapsedMs: number;
  /** The image the answer named, when it carried the header. */
  image?: string;
}

/** The probe's settings from the engine's config, or undefined when LIVE_URL_PROBE is off. */
export function probeSettings(
  config: Pick<Env, 'LIVE_URL_PROBE' | 'LIVE_URL_PROBE_VIA' | 'LIVE_URL_PROBE_TIMEOUT' | 'LIVE_URL_PROBE_STATUSES'>,
): Pick<ProbeOptions, 'via' | 'timeoutMs' | 'accept'> | undefined {
  if (config.LIVE_URL_PROBE !== 'on') return undefined;
  return { via: config.LIVE_URL_PROBE_VIA, timeoutMs: config.LIVE_URL_PROBE_TIMEOUT, accept: config.LIVE_URL_PROBE_STATUSES };
}

/** Retries until the live URL answers from this release; throws url_unreachable at the deadline. */
export async function probeLiveUrl(options: ProbeOptions): Promise<ProbeResult> {
  const url = new URL(options.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:')
    throw terminal(TerminalFailure.invalidInput, `The live URL must be http or https (got ${url.protocol})`);
  const accept = options.accept ?? DEFAULT_ACCEPT;
  const interval = options.intervalMs ?? 1_000;
  const started = Date.now();
  const deadline = started + options.timeoutMs;
  let last: ProbeAttempt | undefined;
  for (let attempt = 1; ; attempt += 1) {
    throwIfAborted(options.signal);
    const bound = Math.max(100, Math.min(options.attemptTimeoutMs ?? 5_000, deadline - Date.now()));
    const outcome = await request(url, options.via, bound, options.signal);
    throwIfAborted(options.signal);
    const verdict = judge(outcome, options.expectImage, accept);
    last = { attempt, elapsedMs: Date.now() - started, outcome, verdict };
    options.onAttempt?.(last);
    if (verdict === 'live' && outcome.kind === 'answered') {
      return { ok: true, status: outcome.status, attempts: attempt, elapsedMs: last.elapsedMs, ...(outcome.image ? { image: outcome.image } : {}) };
    }
    if (Date.now() + interval >= deadline) break;
    await sleep(interval, options.signal);
  }
  throw terminal(TerminalFailure.urlUnreachable, failureMessage(options, last), {
    url: safeUrl(options.url),
    via: options.via ?? null,
    attempts: last.attempt,
    last: last.outcome,
    expectedImage: options.expectImage ?? null,
  });
}

// ---------------------------------------------------------------------------------------------
// Decisions (pure)

/**
 * An answer that names this release's image is the release answering, whatever it says below
 * 500 (an API without a `/` route answers 404 itself); one that names another image is an older
 * release; one without the header is judged by its status alone.
 */
export function judge(outcome: ProbeOutcome, expectImage: string | undefined, accept: readonly StatusRange[]): Verdict {
  if (outcome.kind === 'no-connection') return 'no-connection';
  if (outcome.image !== undefined && expectImage) {
    if (!imageMatches(outcome.image, expectImage)) return 'other-release';
    if (outcome.status < 500) return 'live';
  }
  return accept.some((r) => outcome.status >= r.from && outcome.status <= r.to) ? 'live' : 'not-accepted';
}

/**
 * The header may list several images (`a@sha256:…, b@sha256:…`); one of them must be ours. Same
 * digest, and the same repository when both name one (registry host and path, case-insensitive).
 */
export function imageMatches(header: string, expected: string): boolean {
  const want = splitImage(expected);
  return header
    .split(',')
    .map((part) => splitImage(part.trim()))
    .some(
      (seen) =>
        seen.digest !== undefined &&
        seen.digest === want.digest &&
        (seen.repository === undefined || want.repository === undefined || seen.repository === want.repository),
    );
}

function splitImage(ref: string): { repository?: string; digest?: string } {
  const text = ref.trim().toLowerCase();
  const at = text.lastIndexOf('@');
  if (at >= 0) return { repository: text.slice(0, at) || undefined, digest: text.slice(at + 1) || undefined };
  return /^sha256:[0-9a-f]{64}$/.test(text) ? { digest: text } : { repository: text };
}

type Cause = 'dns' | 'host' | 'service' | 'release' | 'app';

/** Which of the causes the last answer points at. */
export function likelyCause(outcome: ProbeOutcome, verdict: Verdict): Cause {
  if (outcome.kind === 'no-connection') return 'dns';
  if (verdict === 'other-release') return 'release';
  if (outcome.status === 404 || outcome.status === 421) return 'host';
  if (outcome.status === 502 || outcome.status === 503 || outcome.status === 504) return 'service';
  return 'app';
}

const CAUSES =
  'The three usual causes: (1) DNS does not point at the ingress yet (the name does not resolve, the connection is refused or times out, or the address is not the ingress: a TLS name mismatch); ' +
  '(2) an ingress host that does not match the app host (the ingress answers 404 for a host it has no rule for: APPS_DOMAIN, the custom domain, or the ingress class); ' +
  '(3) a wrong service or namespace behind the ingress (502/503/504: no ready endpoints for the backend it names).';

const LIKELY: Record<Cause, string> = {
  dns: 'No connection: cause (1) is likely.',
  host: 'A 404 without the release image header is what an ingress answers for a host it has no rule for: cause (2) is likely.',
  service: 'The ingress knows the host but has no ready backend: cause (3) is likely.',
  release: 'The URL answers, but from another image: an older release still serves it (the rollout or the ingress has not moved to this release).',
  app: 'The URL answers, with a status the probe does not accept (LIVE_URL_PROBE_STATUSES).',
};

export function failureMessage(options: Pick<ProbeOptions, 'url' | 'via' | 'timeoutMs' | 'expectImage'>, last: ProbeAttempt): string {
  const route = options.via ? `, connecting to ${options.via} instead of the host's DNS` : '';
  const head = `Argo CD reports the app Synced and Healthy, but ${safeUrl(options.url)} did not answer from this release within ${Math.round(options.timeoutMs / 1000)} s (${last.attempt} attempt${last.attempt === 1 ? '' : 's'}${route}).`;
  const o = last.outcome;
  const seen =
    o.kind === 'no-connection'
      ? `Last attempt: ${o.code} (${o.message}).`
      : `Last answer: HTTP ${o.status}, ${o.image === undefined ? `no ${IMAGE_HEADER} header` : `${IMAGE_HEADER} ${o.image}`}${options.expectImage ? ` (expected ${options.expectImage})` : ''}, body ${JSON.stringify(o.bodyStart)}.`;
  return `${head} ${seen} ${LIKELY[likelyCause(o, last.verdict)]} ${CAUSES}`;
}

/** The URL as messages show it: no user, password, query or fragment. */
export function safeUrl(text: string): string {
  try {
    const url = new URL(text);
    return `${url.protocol}//${url.host}${url.pathname}`;
  } catch {
    return '(invalid URL)';
  }
}

// ---------------------------------------------------------------------------------------------
// One request

const BODY_BYTES = 200;

/** `host:port`, `[v6]:port` -> connect target. */
export function parseVia(via: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(via.trim());
  if (!match) throw terminal(TerminalFailure.invalidInput, `LIVE_URL_PROBE_VIA must be host:port (got ${via})`);
  return { host: match[1] ?? match[2]!, port: Number(match[3]) };
}

/**
 * GET the URL once: to its own host, or to `via` with the live host in the Host header and as the
 * TLS server name (certificates are still checked against the live host). Redirects are not
 * followed: a 3xx is an answer. Reads only the first bytes of the body.
 */
function request(url: URL, via: string | undefined, timeoutMs: number, signal: AbortSignal | undefined): Promise<ProbeOutcome> {
  const secure = url.protocol === 'https:';
  const hostname = url.hostname.replace(/^\[|\]$/g, '');
  const target = via ? parseVia(via) : { host: hostname, port: Number(url.port || (secure ? 443 : 80)) };
  const isIp = /^[\d.]+$|:/.test(hostname);
  return new Promise((resolve) => {
    let settled = false;
    const done = (outcome: ProbeOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      req.destroy();
      resolve(outcome);
    };
    const req = (secure ? https : http).request({
      host: target.host,
      port: target.port,
      method: 'GET',
      path: `${url.pathname}${url.search}`,
      headers: { host: url.host, 'user-agent': 'deploy-engine-url-probe', accept: 'text/html,*/*' },
      agent: false,
      ...(secure && !isIp ? { servername: hostname } : {}),
      ...(signal ? { signal } : {}),
    });
    const timer = setTimeout(() => done({ kind: 'no-connection', code: 'ETIMEDOUT', message: `no answer within ${timeoutMs} ms` }), timeoutMs);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      const finish = () => {
        const header = res.headers[IMAGE_HEADER];
        const image = Array.isArray(header) ? header.join(', ') : header;
        done({
          kind: 'answered',
          status: res.statusCode ?? 0,
          ...(image !== undefined ? { image } : {}),
          bodyStart: printable(Buffer.concat(chunks).subarray(0, BODY_BYTES).toString('utf8')),
        });
      };
      res.on('data', (chunk: Buffer) => {
        chunks.push(chunk);
        size += chunk.length;
        if (size >= BODY_BYTES) finish();
      });
      res.on('end', finish);
      res.on('error', finish);
    });
    req.on('error', (error: NodeJS.ErrnoException) =>
      done({ kind: 'no-connection', code: error.code ?? error.name, message: connectionProblem(error, target) }),
    );
    req.end();
  });
}

function connectionProblem(error: NodeJS.ErrnoException, target: { host: string; port: number }): string {
  const where = `${target.host}:${target.port}`;
  switch (error.code) {
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `${target.host} does not resolve`;
    case 'ECONNREFUSED':
      return `nothing listens on ${where}`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${where} is unreachable`;
    case 'ECONNRESET':
      return `${where} closed the connection`;
    default:
      return /CERT|TLS|SSL|SELF_SIGNED|UNABLE_TO_VERIFY/.test(error.code ?? '') ? `TLS to ${where} failed: ${error.message}` : error.message;
  }
}

/** Control characters out, whitespace folded: the body goes into a one-line message. */
function printable(text: string): string {
  return text
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new Error('The live-URL probe was cancelled');
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}
