// "Synced but 404" is caught: with LIVE_URL_PROBE=on, await_live also asks the live URL, here
// through the ingress simulator, and a release is live only once its URL answers from it. The
// probe connects to a front server of this test (LIVE_URL_PROBE_VIA), which passes requests on
// to the ingress simulator, or answers like an ingress with no rule for the host.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, waitForDeployment, type TestStack, type DeploymentBody } from './support/stack.js';
import { createAppRepo } from './support/git.js';
import { IMAGE_HEADER, probeLiveUrl } from '../activities/url-probe.js';

interface ProjectBody {
  id: string;
  appName: string;
  host: string;
  liveUrl: string | null;
}

/** What the front answers: pass on to the ingress simulator, or a 404 like ingress-nginx for an unknown host. */
let mode: 'ingress' | 'no-rule' = 'ingress';
const frontHosts: string[] = [];
let ingressAddress = '';
const front = http.createServer((req, res) => {
  frontHosts.push(req.headers.host ?? '');
  if (mode === 'no-rule') {
    res
      .writeHead(404, { 'content-type': 'text/html' })
      .end('<html><head><title>404 Not Found</title></head><body><center><h1>404 Not Found</h1></center><hr><center>nginx</center></body></html>\n');
    return;
  }
  const { hostname, port } = new URL(ingressAddress);
  const upstream = http.request({ host: hostname, port, path: req.url, method: req.method, headers: req.headers, agent: false }, (answer) => {
    res.writeHead(answer.statusCode ?? 502, answer.headers);
    answer.pipe(res);
  });
  upstream.on('error', () => res.writeHead(502).end('front: the ingress simulator does not answer'));
  req.pipe(upstream);
});

let stack: TestStack;
beforeAll(async () => {
  await new Promise<void>((resolve) => front.listen(0, '127.0.0.1', resolve));
  const via = `127.0.0.1:${(front.address() as AddressInfo).port}`;
  stack = await startStack({ ingress: true, env: { APPS_URL_SCHEME: 'http', LIVE_URL_PROBE_VIA: via, LIVE_URL_PROBE_TIMEOUT: '4s' } });
  ingressAddress = stack.world.urls.ingress;
}, 120_000);
afterAll(async () => {
  await stack?.close();
  front.closeAllConnections();
  await new Promise((resolve) => front.close(resolve));
});

/** GET through an address with the live URL's Host header (as curl --connect-to does). */
function getVia(address: string, liveUrl: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  const { hostname, port } = new URL(address);
  return new Promise((resolve, reject) => {
    http
      .get({ host: hostname, port, path: '/', headers: { host: new URL(liveUrl).host }, agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

async function deploy(name: string, userId: string): Promise<{ project: ProjectBody; deployment: DeploymentBody }> {
  const repo = createAppRepo(path.join(stack.dir, `src-${name}-${userId}`));
  const created = await stack.api<ProjectBody>('POST', '/v1/projects', { name, userId, repoUrl: repo.url, branch: 'main', appPort: 8080 });
  expect(created.status).toBe(201);
  const requested = await stack.api<DeploymentBody>('POST', `/v1/projects/${created.body.id}/deployments`, {});
  expect(requested.status).toBe(202);
  return { project: created.body, deployment: await waitForDeployment(stack, requested.body.id, { timeoutMs: 90_000 }) };
}

describe('the live-URL probe through the ingress simulator', () => {
  it('records the release live once its URL answers from it, and the URL serves the page naming its image', async () => {
    mode = 'ingress';
    frontHosts.length = 0;
    const { project, deployment } = await deploy('shop', 'alice');
    expect(deployment.error).toBeNull();
    expect(deployment.status).toBe('succeeded');
    expect(deployment.liveUrl).toBe('http://shop-alice.apps.localhost');
    // await_live asked the live URL, naming its host.
    expect(frontHosts).toContain('shop-alice.apps.localhost');

    const image = `${new URL(stack.config.HARBOR_URL).host}/${deployment.imageRepository}@${deployment.imageDigest}`;
    const page = await getVia(stack.world.urls.ingress, deployment.liveUrl!);
    expect(page.status).toBe(200);
    expect(page.headers[IMAGE_HEADER]).toBe(image);
    expect(page.body).toContain(project.appName);
    expect(page.body).toContain(image);
    expect(page.body).toContain(deployment.gitopsCommitSha);
    await expect(
      probeLiveUrl({ url: deployment.liveUrl!, expectImage: image, via: new URL(stack.world.urls.ingress).host, timeoutMs: 5_000 }),
    ).resolves.toMatchObject({ ok: true, status: 200, image });
  }, 120_000);

  it('fails the deploy with url_unreachable, naming the causes, when the ingress has no rule for the host', async () => {
    mode = 'no-rule';
    const { deployment } = await deploy('blog', 'bob');
    expect(deployment.status).toBe('failed');
    expect(deployment.error).toMatchObject({ step: 'await_live', type: 'url_unreachable' });
    const message = deployment.error!.message;
    expect(message).toContain('http://blog-bob.apps.localhost/ did not answer from this release within 4 s');
    expect(message).toContain('Last answer: HTTP 404, no x-deploy-engine-image header');
    expect(message).toContain('<center>nginx</center>');
    expect(message).toMatch(/cause \(2\) is likely/);
    for (const cause of [/\(1\) DNS does not point at the ingress yet/, /\(2\) an ingress host that does not match/, /\(3\) a wrong service or namespace/])
      expect(message).toMatch(cause);
    // Argo CD had it Synced and Healthy all along: the ingress simulator itself serves it.
    expect((await getVia(stack.world.urls.ingress, 'http://blog-bob.apps.localhost')).status).toBe(200);
  }, 120_000);

  it('a deleted project is undeployed for real: its host answers 404 through the ingress', async () => {
    mode = 'ingress';
    const { project, deployment } = await deploy('gone', 'carol');
    expect(deployment.status).toBe('succeeded');
    expect((await getVia(stack.world.urls.ingress, deployment.liveUrl!)).status).toBe(200);

    expect((await stack.api('DELETE', `/v1/projects/${project.id}`)).status).toBe(202);
    const deadline = Date.now() + 60_000;
    let undeploy: { status: string; namesReleased: boolean } | undefined;
    while (Date.now() < deadline) {
      undeploy = (await stack.api<{ status: string; namesReleased: boolean }>('GET', `/v1/projects/${project.id}/undeploy`)).body;
      if (undeploy.status !== 'running') break;
      await new Promise((r) => setTimeout(r, 250));
    }
    expect(undeploy).toMatchObject({ status: 'succeeded', namesReleased: true });
    // The ingress reads Argo CD on an interval: the route goes once Argo CD no longer has the app.
    let answer = await getVia(stack.world.urls.ingress, deployment.liveUrl!);
    for (let i = 0; i < 20 && answer.status !== 404; i++) {
      await new Promise((r) => setTimeout(r, 250));
      answer = await getVia(stack.world.urls.ingress, deployment.liveUrl!);
    }
    expect(answer.status).toBe(404);
  }, 120_000);
});
