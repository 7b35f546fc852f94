// Webhook signing, delivery and payloads: GitHub's test vector, the exact bytes on the wire for
// JSON and form content types, and the fields of a push payload receivers depend on.
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverWebhook, encodeWebhookBody, pushPayload, signGitHubPayload, ZERO_SHA } from './signature.js';

interface Received {
  headers: Record<string, string>;
  raw: string;
}

describe('signGitHubPayload', () => {
  it("matches GitHub's documented test vector", () => {
    expect(signGitHubPayload("It's a Secret to Everybody", 'Hello, World!')).toBe('sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17');
  });

  it('signs bytes and strings alike, and depends on secret and body', () => {
    const body = '{"zen":"Design for failure."}';
    expect(signGitHubPayload('s', Buffer.from(body))).toBe(signGitHubPayload('s', body));
    expect(signGitHubPayload('s', body)).not.toBe(signGitHubPayload('t', body));
    expect(signGitHubPayload('s', body)).not.toBe(signGitHubPayload('s', `${body} `));
    expect(signGitHubPayload('s', body)).toMatch(/^sha256=[0-9a-f]{64}$/);
  });
});

describe('deliverWebhook', () => {
  let url: string;
  let close: () => Promise<void>;
  const received: Received[] = [];

  beforeAll(async () => {
    const app = new Hono();
    app.post('/hook', async (c) => {
      received.push({ headers: c.req.header(), raw: await c.req.text() });
      return c.body(null, received.length % 3 === 0 ? 500 : 202);
    });
    ({ url, close } = await new Promise<{ url: string; close: () => Promise<void> }>((resolve) => {
      const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) =>
        resolve({ url: `http://127.0.0.1:${info.port}/hook`, close: () => new Promise<void>((done) => server.close(() => done())) }),
      );
    }));
  });
  afterAll(async () => {
    await close();
  });

  /** What a receiver must do: HMAC of the raw body, constant-time comparison after a length check. */
  const verify = (secret: string, raw: string, header: string | undefined) => {
    if (!header) return false;
    const expected = Buffer.from(`sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`);
    const got = Buffer.from(header);
    return got.length === expected.length && timingSafeEqual(got, expected);
  };

  it('POSTs JSON with the GitHub headers and a signature over the exact raw body', async () => {
    const payload = pushPayload({ owner: 'acme', repo: 'shop', ref: 'main', before: 'a'.repeat(40), after: 'b'.repeat(40), message: 'Ünïcode & spaces' });
    const res = await deliverWebhook(url, {
      event: 'push',
      deliveryId: '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      secret: 'topsecret',
      payload,
      contentType: 'json',
      hookId: 42,
      targetId: 7,
    });
    expect(res).toMatchObject({ status: 202, ok: true });
    const got = received.at(-1)!;
    expect(got.headers).toMatchObject({
      'content-type': 'application/json',
      'x-github-event': 'push',
      'x-github-delivery': '72d3162e-cc78-11e3-81ab-4c9367dc0958',
      'x-github-hook-id': '42',
      'x-github-hook-installation-target-id': '7',
      'x-github-hook-installation-target-type': 'repository',
    });
    expect(got.headers['user-agent']).toMatch(/^GitHub-Hookshot\//);
    expect(got.raw).toBe(res.sent);
    expect(verify('topsecret', got.raw, got.headers['x-hub-signature-256'])).toBe(true);
    expect(verify('wrong', got.raw, got.headers['x-hub-signature-256'])).toBe(false);
    expect(got.headers['x-hub-signature']).toBe(`sha1=${createHmac('sha1', 'topsecret').update(got.raw).digest('hex')}`);
    expect(JSON.parse(got.raw)).toEqual(payload);
  });

  it('form-encodes as payload=<json>, and the signature covers the form body, not the JSON', async () => {
    const payload = { zen: 'Speak like a human.', hook_id: 1, text: 'a+b c&d=é' };
    const res = await deliverWebhook(url, { event: 'ping', deliveryId: 'd-1', secret: 's', payload, contentType: 'form' });
    const got = received.at(-1)!;
    expect(res.ok).toBe(true);
    expect(got.headers['content-type']).toBe('application/x-www-form-urlencoded');
    expect(got.raw.startsWith('payload=')).toBe(true);
    expect(JSON.parse(new URLSearchParams(got.raw).get('payload') ?? '')).toEqual(payload);
    expect(verify('s', got.raw, got.headers['x-hub-signature-256'])).toBe(true);
    expect(verify('s', JSON.stringify(payload), got.headers['x-hub-signature-256'])).toBe(false);
    expect(encodeWebhookBody(payload, 'form').body).toBe(got.raw);
  });

  it('sends no signature headers without a secret, and reports the receiver status', async () => {
    const res = await deliverWebhook(url, { event: 'ping', deliveryId: 'd-2', payload: {}, contentType: 'json' });
    const got = received.at(-1)!;
    expect(got.headers['x-hub-signature-256']).toBeUndefined();
    expect(got.headers['x-hub-signature']).toBeUndefined();
    expect(res.status).toBe(500);
    expect(res.ok).toBe(false);
  });
});

describe('pushPayload', () => {
  const before = 'c'.repeat(40);
  const after = 'd'.repeat(40);

  it('builds a push to an existing branch', () => {
    const p = pushPayload({
      owner: 'acme',
      repo: 'shop',
      ref: 'refs/heads/main',
      before,
      after,
      cloneUrl: 'file:///tmp/shop.git',
      defaultBranch: 'main',
    }) as any;
    expect(p).toMatchObject({ ref: 'refs/heads/main', before, after, created: false, deleted: false, forced: false, base_ref: null });
    expect(p.repository).toMatchObject({
      name: 'shop',
      full_name: 'acme/shop',
      clone_url: 'file:///tmp/shop.git',
      ssh_url: 'git@github.com:acme/shop.git',
      html_url: 'https://github.com/acme/shop',
      default_branch: 'main',
      owner: { login: 'acme', name: 'acme' },
    });
    expect(typeof p.repository.id).toBe('number');
    expect(p.head_commit).toMatchObject({ id: after, distinct: true });
    expect(p.commits).toHaveLength(1);
    expect(p.compare).toBe(`https://github.com/acme/shop/compare/${before.slice(0, 12)}...${after.slice(0, 12)}`);
    expect(p.pusher).toMatchObject({ name: 'acme' });
    expect(p.sender).toMatchObject({ login: 'acme', type: 'User' });
  });

  it('marks a created branch and a deleted one (head_commit null, no commits)', () => {
    const created = pushPayload({ owner: 'acme', repo: 'shop', ref: 'feature/x', before: ZERO_SHA, after }) as any;
    expect(created).toMatchObject({ ref: 'refs/heads/feature/x', created: true, deleted: false });
    expect(created.head_commit.id).toBe(after);
    const deleted = pushPayload({ owner: 'acme', repo: 'shop', ref: 'feature/x', before, after: ZERO_SHA }) as any;
    expect(deleted).toMatchObject({ created: false, deleted: true, head_commit: null, commits: [] });
    expect(pushPayload({ owner: 'acme', repo: 'shop', ref: 'main', before, after, deleted: true })).toMatchObject({ deleted: true, head_commit: null });
  });

  it('lists the given commits with the last as head_commit', () => {
    const p = pushPayload({
      owner: 'acme',
      repo: 'shop',
      ref: 'main',
      before,
      after,
      forced: true,
      commits: [
        { id: 'e'.repeat(40), message: 'one' },
        { id: after, message: 'two', added: ['a.txt'] },
      ],
    }) as any;
    expect(p.forced).toBe(true);
    expect(p.commits.map((c: any) => c.message)).toEqual(['one', 'two']);
    expect(p.head_commit).toMatchObject({ id: after, message: 'two', added: ['a.txt'] });
  });
});
