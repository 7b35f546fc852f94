// The web page in a real browser (Debian's chromium driven by playwright-core) against the whole
// engine: sign in, deploy, watch the log stream in, see the live URL; a failed build shows its
// error; a dropped or too-slow log connection resumes with a new ticket, without gap or duplicate.
import { copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, inject, it } from 'vitest';
import { startStack, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo } from './support/git.js';

const CHROMIUM = '/usr/bin/chromium';
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) console.warn(`test/browser.test.ts skipped: ${CHROMIUM} is missing (apt-get install chromium)`);
const LEAD_COPY_DIR = fileURLToPath(new URL('../.data/tmp/', import.meta.url));
const STEPS = ['resolve_source', 'build', 'verify_image', 'commit_release', 'await_live'];

describe.skipIf(!hasChromium)(`the web page in chromium (${CHROMIUM})`, () => {
  let stack: TestStack;
  let server: ServerType;
  let base: string;
  let browser: Browser;
  const contexts: BrowserContext[] = [];

  beforeAll(async () => {
    stack = await startStack();
    await new Promise<void>((resolve) => {
      server = serve({ fetch: stack.app.fetch, hostname: '127.0.0.1', port: 0 }, (info: AddressInfo) => {
        base = `http://127.0.0.1:${info.port}`;
        resolve();
      });
    });
    stack.app.injectWebSocket(server);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  }, 120_000);
  afterEach(async () => {
    await Promise.allSettled(contexts.splice(0).map((c) => c.close()));
  });
  afterAll(async () => {
    await browser?.close();
    server?.close();
    await stack?.close();
  });

  const auth = () => ({ authorization: `Bearer ${stack.token}` });

  async function project(name: string, scenario: Record<string, unknown>) {
    const repo = createAppRepo(path.join(stack.dir, `src-${name}`));
    const created = await stack.api<{ id: string; appName: string }>('POST', '/v1/projects', {
      name,
      userId: 'ivan',
      repoUrl: repo.url,
      branch: 'main',
      appPort: 8080,
    });
    expect(created.status).toBe(201);
    stack.world.scenarios.set(created.body.appName, scenario);
    return created.body;
  }

  /** A fresh page, with every page error, console error and CSP violation collected. */
  async function newPage(): Promise<{ page: Page; problems: string[] }> {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
    contexts.push(context);
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(`pageerror: ${error.message}`));
    page.on('console', (message) => {
      if (message.type() === 'error') problems.push(`console: ${message.text()}`);
    });
    return { page, problems };
  }

  async function signInAndOpen(page: Page, projectName: string) {
    await page.goto(`${base}/`);
    await page.getByTestId('token-input').fill(stack.token);
    await page.getByTestId('sign-in').click();
    await page.getByTestId('project-row').filter({ hasText: projectName }).getByRole('button').click();
    await page.getByTestId('deploy-button').waitFor({ state: 'visible' });
  }

  const waitForStatus = (page: Page, status: string, timeout = 60_000) =>
    page.waitForFunction((s) => document.querySelector('[data-testid="deployment-status"]')?.textContent === s, status, { timeout });
  /** The log is complete once the `end` message was handled. */
  const waitForLogEnd = (page: Page) =>
    page.waitForFunction(() => document.getElementById('log-state')?.textContent?.startsWith('Log complete'), null, { timeout: 30_000 });
  const logText = async (page: Page) => (await page.getByTestId('log').textContent()) ?? '';
  const storedLog = async (deploymentId: string) => (await stack.app.request(`/v1/deployments/${deploymentId}/logs`, { headers: auth() })).text();
  const latestDeployment = async (projectId: string) =>
    (await stack.api<{ items: DeploymentBody[] }>('GET', `/v1/projects/${projectId}/deployments`)).body.items[0]!;

  it('serves the page with a strict CSP and its assets with their content types', async () => {
    const html = await stack.app.request('/');
    expect(html.status).toBe(200);
    expect(html.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(html.headers.get('cache-control')).toBe('no-cache');
    expect(html.headers.get('content-security-policy')).toBe(
      "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
    );
    expect(await html.text()).toContain('data-testid="token-input"');
    const js = await stack.app.request('/assets/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(js.headers.get('cache-control')).toBe('no-cache');
    const css = await stack.app.request('/assets/styles.css');
    expect(css.headers.get('content-type')).toBe('text/css; charset=utf-8');
    expect((await stack.app.request('/assets/nope.js')).status).toBe(404);
  });

  it('signs in, deploys, streams the log while running, shows the live URL; the screenshot shows it', async () => {
    const p = await project('webok', { build: { durationMs: 3000, logLines: 60 } });
    const { page, problems } = await newPage();
    await signInAndOpen(page, 'webok');
    // The token is in session storage, never in the URL.
    expect(page.url()).not.toContain(stack.token);
    expect(await page.evaluate(() => sessionStorage.getItem('deploy-engine.token'))).toBe(stack.token);

    await page.getByTestId('deploy-button').click();
    // Log lines arrive while the deployment is running: the log grows between two looks.
    await page.waitForFunction(
      () =>
        document.querySelector('[data-testid="deployment-status"]')?.textContent === 'running' &&
        (document.querySelector('[data-testid="log"]')?.textContent ?? '').length > 0,
      null,
      { timeout: 30_000 },
    );
    const firstLength = (await logText(page)).length;
    await page.waitForFunction(
      (n) =>
        document.querySelector('[data-testid="deployment-status"]')?.textContent === 'running' &&
        (document.querySelector('[data-testid="log"]')?.textContent ?? '').length > n,
      firstLength,
      { timeout: 15_000 },
    );

    await waitForStatus(page, 'succeeded');
    await page.getByTestId('live-url').waitFor({ state: 'visible', timeout: 15_000 });
    await waitForLogEnd(page);
    const d = await latestDeployment(p.id);
    expect(d.status).toBe('succeeded');
    expect(d.liveUrl).toBeTruthy();
    expect(await page.getByTestId('live-url').getAttribute('href')).toBe(new URL(d.liveUrl!).href);
    expect(await page.getByTestId('live-url').textContent()).toBe(d.liveUrl);
    const shown = await logText(page);
    expect(shown).toContain('bundled chunk-');
    expect(shown).toBe(await storedLog(d.id)); // every byte once, in order
    for (const step of STEPS) expect(await page.getByTestId(`step-${step}`).getAttribute('data-status')).toBe('succeeded');
    expect(await page.getByTestId('deployment-row').first().getAttribute('data-status')).toBe('succeeded');
    expect(await page.getByTestId('deployment-row').first().getAttribute('data-deployment-id')).toBe(d.id);
    expect(await page.getByTestId('error').isVisible()).toBe(false);
    expect(await page.locator('#detail-meta').textContent()).toContain(d.commitSha!.slice(0, 10));
    // The project list shows the new live URL.
    await page.getByTestId('project-row').filter({ hasText: 'webok' }).getByRole('link', { name: d.liveUrl! }).waitFor({ timeout: 10_000 });

    const shot = path.join(inject('scratchDir'), 'deploy.png');
    await page.screenshot({ path: shot });
    const png = readFileSync(shot);
    expect(png.length).toBeGreaterThan(10_000);
    expect(png.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))).toBe(true);
    expect(png.subarray(12, 16).toString('latin1')).toBe('IHDR');
    expect(png.readUInt32BE(16)).toBeGreaterThanOrEqual(800);
    expect(png.readUInt32BE(20)).toBeGreaterThanOrEqual(600);
    mkdirSync(LEAD_COPY_DIR, { recursive: true });
    copyFileSync(shot, path.join(LEAD_COPY_DIR, 'deploy.png'));
    console.log(
      `screenshot: ${shot} (copied to ${path.join(LEAD_COPY_DIR, 'deploy.png')}), ${png.length} bytes, ${png.readUInt32BE(16)}x${png.readUInt32BE(20)}`,
    );

    // A second deploy, then a rollback to the first release: three steps, no build.
    await page.getByTestId('deploy-button').click();
    await page.waitForFunction((first) => document.querySelector('[data-testid="deployment-row"]')?.getAttribute('data-deployment-id') !== first, d.id);
    await waitForStatus(page, 'succeeded');
    await waitForLogEnd(page);
    await page.getByTestId('rollback-button').click();
    await page.waitForFunction(() => document.querySelector('#detail-kind')?.textContent?.startsWith('Rollback'), null, { timeout: 10_000 });
    await waitForStatus(page, 'succeeded');
    const rollback = await latestDeployment(p.id);
    expect(rollback).toMatchObject({ kind: 'rollback', status: 'succeeded', targetDeploymentId: d.id, commitSha: d.commitSha });
    expect(await page.getByTestId('step-build').count()).toBe(0);
    for (const step of ['verify_image', 'commit_release', 'await_live'])
      expect(await page.getByTestId(`step-${step}`).getAttribute('data-status')).toBe('succeeded');
    expect(await page.getByTestId('deployment-row').count()).toBe(3);

    // A reload keeps the tab signed in and comes back to the same project and deployment.
    await page.getByTestId('deployment-row').nth(2).getByRole('button').click();
    await waitForLogEnd(page);
    await page.reload();
    await waitForStatus(page, 'succeeded');
    await waitForLogEnd(page);
    expect(await page.getByTestId('deployment-row').nth(2).getAttribute('aria-current')).toBeNull();
    expect(await page.getByTestId('deployment-row').nth(2).getByRole('button').getAttribute('aria-current')).toBe('true');
    expect(await logText(page)).toBe(shown);
    expect(page.url()).not.toContain(stack.token);

    // Signing out forgets the token.
    await page.getByRole('button', { name: 'Sign out' }).click();
    expect(await page.evaluate(() => sessionStorage.getItem('deploy-engine.token'))).toBeNull();
    await page.getByTestId('token-input').waitFor({ state: 'visible' });
    expect(problems).toEqual([]);
  }, 120_000);

  it('the form creates a project (400s name the fields); a failed build shows the error step, type and message; a refused rollback shows the reason', async () => {
    const { page, problems } = await newPage();
    // The project is made with the page's form; the API's 400 names the fields.
    const repo = createAppRepo(path.join(stack.dir, 'src-webfail'));
    await page.goto(`${base}/`);
    await page.getByTestId('token-input').fill(stack.token);
    await page.getByTestId('sign-in').click();
    await page.getByText('New project').click();
    await page.getByLabel('Name').fill('Web Fail!');
    await page.getByLabel('User id').fill('ivan');
    await page.getByLabel('Repository URL').fill(repo.url);
    await page.getByLabel('App port').fill('70000');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.waitForFunction(() => (document.getElementById('project-form-error')?.textContent ?? '').startsWith('Invalid request body'), null, {
      timeout: 10_000,
    });
    const summary = (await page.locator('#project-form-error').textContent())!;
    expect(summary).toContain('name');
    expect(summary).toContain('appPort');
    expect(await page.getByLabel('Name').getAttribute('aria-invalid')).toBe('true');
    expect(await page.getByLabel('App port').getAttribute('aria-invalid')).toBe('true');
    expect(await page.locator('#f-appPort-error').textContent()).toContain('65535');
    expect(await page.getByLabel('User id').getAttribute('aria-invalid')).toBeNull();
    await page.getByLabel('Name').fill('webfail');
    await page.getByLabel('App port').fill('8080');
    await page.getByRole('button', { name: 'Create project' }).click();
    await page.getByTestId('project-row').filter({ hasText: 'webfail' }).waitFor({ timeout: 10_000 });
    await page.waitForFunction(() => document.getElementById('project-created')?.textContent?.includes('Webhook secret'), null, { timeout: 10_000 });
    const p = (await stack.api<{ items: Array<{ id: string; name: string; appName: string; appPort: number }> }>('GET', '/v1/projects')).body.items.find(
      (x) => x.name === 'webfail',
    )!;
    expect(p.appPort).toBe(8080);
    stack.world.scenarios.set(p.appName, { build: { result: 'FAILURE', durationMs: 500, logLines: 10 } });
    // Creating selects the new project.
    await page.getByTestId('deploy-button').waitFor({ state: 'visible' });
    expect(await page.getByTestId('project-row').filter({ hasText: 'webfail' }).getByRole('button').getAttribute('aria-current')).toBe('true');

    await page.getByTestId('rollback-button').click();
    await page.waitForFunction(() => (document.getElementById('action-error')?.textContent ?? '').includes('no live release'), null, { timeout: 10_000 });

    await page.getByTestId('deploy-button').click();
    await waitForStatus(page, 'failed');
    await page.getByTestId('error').waitFor({ state: 'visible', timeout: 15_000 });
    const d = await latestDeployment(p.id);
    expect(d.status).toBe('failed');
    expect(d.error).toMatchObject({ step: 'build' });
    expect(d.error!.message).toMatch(/Jenkins build #\d+ ended FAILURE/);
    const error = page.getByTestId('error');
    expect(await error.locator('.error-step').textContent()).toBe(d.error!.step);
    expect(await error.locator('.error-type').textContent()).toBe(d.error!.type);
    expect(await error.locator('.error-message').textContent()).toBe(d.error!.message);
    expect(await page.getByTestId('step-build').getAttribute('data-status')).toBe('failed');
    expect(await page.getByTestId('step-resolve_source').getAttribute('data-status')).toBe('succeeded');
    expect(await page.getByTestId('live-url').isVisible()).toBe(false);
    await waitForLogEnd(page);
    expect(await logText(page)).toBe(await storedLog(d.id));

    const shot = path.join(inject('scratchDir'), 'deploy-failed.png');
    await page.screenshot({ path: shot });
    mkdirSync(LEAD_COPY_DIR, { recursive: true });
    copyFileSync(shot, path.join(LEAD_COPY_DIR, 'deploy-failed.png'));
    // Chromium logs every 4xx answer; the 400 of the bad form and the 409 of the refused rollback were expected.
    expect(problems.filter((problem) => !/status of (400 \(Bad Request\)|409 \(Conflict\))/.test(problem))).toEqual([]);
  }, 120_000);

  it('after a 4008 (too slow) and a dropped connection the log resumes with a new ticket: no gap, no duplicate', async () => {
    const p = await project('webresume', { build: { durationMs: 3000, logLines: 60 } });
    const { page } = await newPage();
    // Between the page and the server: cut the first connection with 4008 after 3 log messages,
    // drop the second (1006) after 3 more, and replay an old message on the third.
    const connections: Array<{ url: string; logs: number; end: number }> = [];
    let lastLog: string | undefined;
    await page.routeWebSocket(/\/v1\/deployments\/[^/]+\/logs/, (ws) => {
      const index = connections.length;
      const conn = { url: ws.url(), logs: 0, end: -1 };
      connections.push(conn);
      const upstream = ws.connectToServer();
      let closed = false;
      upstream.onMessage((raw) => {
        if (closed) return;
        const text = raw.toString();
        const message = JSON.parse(text);
        if (message.type === 'log') {
          if (index === 2 && conn.logs === 0 && lastLog) ws.send(lastLog); // a duplicate
          conn.logs += 1;
          conn.end = message.offset + Buffer.byteLength(message.text, 'utf8');
          lastLog = text;
        }
        ws.send(text);
        if (message.type === 'log' && conn.logs === 3 && index < 2) {
          closed = true;
          void ws.close(index === 0 ? { code: 4008, reason: JSON.stringify({ code: 'too_slow', resumeOffset: conn.end }) } : { code: 1006 });
        }
      });
    });
    await signInAndOpen(page, 'webresume');
    await page.getByTestId('deploy-button').click();
    await waitForStatus(page, 'succeeded');
    await waitForLogEnd(page);
    const d = await latestDeployment(p.id);

    expect(connections.length).toBeGreaterThanOrEqual(3);
    const params = connections.map((c) => new URL(c.url).searchParams);
    expect(new Set(params.map((q) => q.get('ticket'))).size).toBe(connections.length); // a new ticket each time
    expect(params[0]!.get('offset')).toBe('0');
    expect(Number(params[1]!.get('offset'))).toBe(connections[0]!.end);
    expect(Number(params[2]!.get('offset'))).toBe(connections[1]!.end);
    expect(connections[0]!.end).toBeGreaterThan(0);
    const shown = await logText(page);
    expect(shown).toContain('bundled chunk-');
    expect(shown).toBe(await storedLog(d.id));
  }, 120_000);
});
