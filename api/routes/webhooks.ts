// POST /v1/webhooks/github: authenticated by the signature, not by a token. Answers as soon as
// the delivery is recorded and any deploy is queued in its project's lane.
import { Hono } from 'hono';
import { bodyLimit } from '../middleware/body-limit.js';
import type { WebhookService } from '../services/webhooks.js';

/** GitHub caps payloads at 25 MB; a push this engine acts on is far smaller. */
const MAX_BODY = 5 * 1024 * 1024;

export function webhookRoutes({ webhooks }: { webhooks: WebhookService }) {
  return new Hono().post('/webhooks/github', bodyLimit({ maxBytes: MAX_BODY, message: `Webhook payloads are limited to ${MAX_BODY} bytes` }), async (c) => {
    const raw = new Uint8Array(await c.req.arrayBuffer());
    const result = await webhooks.receive({
      event: c.req.header('x-github-event'),
      deliveryId: c.req.header('x-github-delivery'),
      signature: c.req.header('x-hub-signature-256'),
      contentType: c.req.header('content-type'),
      raw,
      projectHint: c.req.query('project'),
    });
    return c.json(result, 200);
  });
}
