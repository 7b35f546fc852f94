// The parts of GitHub webhook payloads the engine relies on, validated. Payloads arrive as JSON
// or form-encoded (`payload=<json>`); the signature always covers the raw body as sent.
import { z } from 'zod';

const repositorySchema = z.looseObject({
  full_name: z.string().optional(),
  clone_url: z.string().optional(),
  ssh_url: z.string().optional(),
  html_url: z.string().optional(),
});

export const pushPayloadSchema = z.looseObject({
  ref: z.string().min(1),
  before: z.string().optional(),
  after: z.string().regex(/^[0-9a-f]{40}$/, 'must be a 40-character commit SHA'),
  deleted: z.boolean().optional(),
  repository: repositorySchema,
  pusher: z.looseObject({ name: z.string().optional() }).optional(),
  sender: z.looseObject({ login: z.string().optional() }).optional(),
});
export type PushPayload = z.infer<typeof pushPayloadSchema>;

export const anyPayloadSchema = z.looseObject({ repository: repositorySchema.optional() });

/** The JSON of a delivery, from either content type; undefined when it is not readable. */
export function decodeBody(raw: Uint8Array, contentType: string | undefined): unknown {
  const text = Buffer.from(raw).toString('utf8');
  try {
    if ((contentType ?? '').startsWith('application/x-www-form-urlencoded')) {
      const payload = new URLSearchParams(text).get('payload');
      return payload === null ? undefined : JSON.parse(payload);
    }
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Every spelling of the payload's repository, for matching projects. */
export function repositoryNames(payload: { repository?: z.infer<typeof repositorySchema> }): string[] {
  const r = payload.repository;
  return r ? [r.clone_url, r.ssh_url, r.html_url, r.full_name].filter((v): v is string => typeof v === 'string' && v.length > 0) : [];
}
