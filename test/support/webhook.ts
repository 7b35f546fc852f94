// A GitHub webhook delivery as GitHub sends it: event, delivery id, and the body signed with
// the hook's secret (or a given signature, or none).
import { randomUUID } from 'node:crypto';
import { signatureFor } from '../../api/webhooks/signature.js';

export interface DeliveryOptions {
  /** `?project=` of the hook URL the engine hands out. */
  project?: string;
  /** Signs the body with this secret. */
  secret?: string;
  /** Sends this signature header as is (instead of signing). */
  signature?: string;
  event?: string;
  deliveryId?: string;
  contentType?: string;
}

/** Posts `body` to the API's webhook route (through `app.request`, no socket). */
export function postWebhook(
  app: { request: (path: string, init: RequestInit) => Response | Promise<Response> },
  body: string,
  { project, secret, signature, event = 'push', deliveryId = randomUUID(), contentType = 'application/json' }: DeliveryOptions = {},
): Promise<Response> {
  const headers: Record<string, string> = {
    'content-type': contentType,
    'x-github-event': event,
    'x-github-delivery': deliveryId,
    'user-agent': 'GitHub-Hookshot/test',
  };
  const sig = signature ?? (secret ? signatureFor(secret, Buffer.from(body)) : undefined);
  if (sig) headers['x-hub-signature-256'] = sig;
  return Promise.resolve(app.request(`/v1/webhooks/github${project ? `?project=${project}` : ''}`, { method: 'POST', headers, body }));
}
