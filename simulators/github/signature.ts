// Webhook signing and delivery exactly as GitHub does it: `X-Hub-Signature-256: sha256=<hex
// HMAC-SHA256 of the raw body>`, JSON or form-encoded (`payload=<json>`) bodies, and the
// X-GitHub-* headers. Used by tests and by the simulator's deliveries.
import { createHmac } from 'node:crypto';

export { pushPayload, pingPayload, ZERO_SHA, type PushPayloadOptions, type PushCommit } from './payloads.js';

/** `sha256=<hex>`: HMAC-SHA256 of the exact bytes sent, keyed by the hook's secret. */
export function signGitHubPayload(secret: string, rawBody: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(rawBody).digest('hex')}`;
}

/** The legacy `X-Hub-Signature` (HMAC-SHA1) GitHub still sends next to the SHA-256 one. */
export function signGitHubPayloadSha1(secret: string, rawBody: string | Uint8Array): string {
  return `sha1=${createHmac('sha1', secret).update(rawBody).digest('hex')}`;
}

export const HOOKSHOT_USER_AGENT = 'GitHub-Hookshot/8f3e1a2';

export interface DeliverWebhookOptions {
  /** X-GitHub-Event: `push`, `ping`, ... */
  event: string;
  /** X-GitHub-Delivery (a GUID; a redelivery reuses it). */
  deliveryId: string;
  /** The hook's secret; without one GitHub sends no signature headers. */
  secret?: string;
  payload: unknown;
  contentType: 'json' | 'form';
  hookId?: number;
  /** X-GitHub-Hook-Installation-Target-ID (the repository id). */
  targetId?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
}

export interface DeliveryResponse {
  status: number;
  ok: boolean;
  body: string;
  /** The raw body that was sent (and signed). */
  sent: string;
}

/** Encodes the payload the way the hook's content type says. */
export function encodeWebhookBody(payload: unknown, contentType: 'json' | 'form'): { body: string; contentType: string } {
  const json = JSON.stringify(payload);
  if (contentType === 'form') return { body: new URLSearchParams({ payload: json }).toString(), contentType: 'application/x-www-form-urlencoded' };
  return { body: json, contentType: 'application/json' };
}

/** POSTs one webhook delivery like GitHub's Hookshot; the signature covers the exact raw body sent. */
export async function deliverWebhook(url: string, o: DeliverWebhookOptions): Promise<DeliveryResponse> {
  const { body, contentType } = encodeWebhookBody(o.payload, o.contentType);
  const headers: Record<string, string> = {
    accept: '*/*',
    'content-type': contentType,
    'user-agent': HOOKSHOT_USER_AGENT,
    'x-github-event': o.event,
    'x-github-delivery': o.deliveryId,
    'x-github-hook-installation-target-type': 'repository',
  };
  if (o.hookId !== undefined) headers['x-github-hook-id'] = String(o.hookId);
  if (o.targetId !== undefined) headers['x-github-hook-installation-target-id'] = String(o.targetId);
  if (o.secret) {
    headers['x-hub-signature'] = signGitHubPayloadSha1(o.secret, body);
    headers['x-hub-signature-256'] = signGitHubPayload(o.secret, body);
  }
  const res = await (o.fetch ?? fetch)(url, { method: 'POST', headers, body, redirect: 'manual', signal: AbortSignal.timeout(o.timeoutMs ?? 10_000) });
  const text = await res.text().catch(() => '');
  return { status: res.status, ok: res.ok, body: text, sent: body };
}
