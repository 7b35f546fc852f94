import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createImageChecker, parseImageRef } from './image-check.js';
import { startRegistryStub, type RegistryStub } from './test-support.js';

describe('parseImageRef', () => {
  it.each([
    ['127.0.0.1:8082/apps/ws1/alice-shop:3f2a9c1', { host: '127.0.0.1:8082', path: 'apps/ws1/alice-shop', reference: '3f2a9c1' }],
    [`registry.example/a/b@sha256:${'c'.repeat(64)}`, { host: 'registry.example', path: 'a/b', reference: `sha256:${'c'.repeat(64)}` }],
    ['localhost/app', { host: 'localhost', path: 'app', reference: 'latest' }],
    ['library/nginx:1.27', { path: 'library/nginx', reference: '1.27' }],
  ])('%s', (image, expected) => expect(parseImageRef(image)).toEqual(expected));
});

describe('createImageChecker', () => {
  let registry: RegistryStub;
  beforeAll(async () => {
    registry = await startRegistryStub();
    registry.push('apps/ws1/alice-shop:v1');
  });
  afterAll(() => registry.close());

  it('follows the Bearer token flow and tells present from missing', async () => {
    const check = createImageChecker({ url: registry.url, username: 'robot', password: 'secret' });
    expect(await check(`${registry.host}/apps/ws1/alice-shop:v1`)).toBe('present');
    expect(await check(`${registry.host}/apps/ws1/alice-shop:v2`)).toBe('missing');
    expect(registry.requests.token).toBeGreaterThanOrEqual(2);
  });

  it('counts bad credentials as missing and an unreachable registry as unreachable', async () => {
    expect(await createImageChecker({ url: registry.url, username: 'robot', password: 'wrong' })(`${registry.host}/apps/ws1/alice-shop:v1`)).toBe('missing');
    expect(await createImageChecker({ url: 'http://127.0.0.1:9' })('x/y:z')).toBe('unreachable');
  });

  it('counts a token service that answers 5xx as unreachable (retried), never as a missing image', async () => {
    const check = createImageChecker({ url: registry.url, username: 'robot', password: 'secret' }, async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      return url.pathname.startsWith('/v2/') ? fetch(input, init) : new Response('upstream down', { status: 503 });
    });
    expect(await check(`${registry.host}/apps/ws1/alice-shop:v1`)).toBe('unreachable');
  });

  it('treats every image as present without a registry', async () => {
    expect(await createImageChecker()('anything:at-all')).toBe('present');
  });
});
