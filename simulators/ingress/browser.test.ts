// Opening an app in a browser through the ingress simulator: Chromium resolves every
// `*.localhost` name to loopback by itself, so `http://<app host>:<ingress port>/` shows the
// page with no DNS set-up (the dev stack's APPS_DOMAIN is apps.localhost), and so does the
// `<name>.localhost` alias of a host under another APPS_DOMAIN.
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { serveOnLoopback, type Served } from '../common/serve.js';
import { createIngressSimulator, type IngressSimulator } from './index.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
const image = `127.0.0.1:8082/apps/dev/alice-shop@sha256:${'c'.repeat(64)}`;

describe.skipIf(!hasChromium)('an app opened in chromium through the ingress simulator', () => {
  let browser: Browser;
  let sim: IngressSimulator;
  let served: Served;

  beforeAll(async () => {
    const app = (name: string, url: string) => ({
      metadata: { name },
      status: { sync: { status: 'Synced', revision: 'f'.repeat(40) }, health: { status: 'Healthy' }, summary: { externalURLs: [url], images: [image] } },
    });
    sim = createIngressSimulator({
      read: async () => ({ items: [app('dev-alice-shop', 'http://shop-alice.apps.localhost/'), app('dev-bob-blog', 'https://blog-bob.apps.example.com/')] }),
      appsDomain: 'apps.example.com',
      refreshMs: 60_000,
    });
    await sim.start();
    served = await serveOnLoopback(sim.app.fetch);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await sim?.close();
    await served?.close();
  });

  it('shows the page naming the app and its image at the app host, and at the alias of another domain', async () => {
    const port = new URL(served.url).port;
    const page = await browser.newPage();
    try {
      const answer = await page.goto(`http://shop-alice.apps.localhost:${port}/`);
      expect(answer?.status()).toBe(200);
      expect(await page.locator('#app').textContent()).toBe('dev-alice-shop');
      expect(await page.locator('#images').textContent()).toContain(image);
      await page.goto(`http://blog-bob.localhost:${port}/`);
      expect(await page.locator('#app').textContent()).toBe('dev-bob-blog');
      const unknown = await page.goto(`http://nobody.apps.localhost:${port}/`);
      expect(unknown?.status()).toBe(404);
    } finally {
      await page.close();
    }
  }, 60_000);
});
