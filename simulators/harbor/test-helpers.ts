// Test helpers for the Harbor simulator and the registry clients: serve an app on a free
// port, and a minimal OCI pusher over plain fetch (token flow included) that works against the
// simulator and a real docker-registry alike. Test-only code; nothing in the engine imports it.
import { createHash, randomBytes } from 'node:crypto';
import type { Hono } from 'hono';
import { expect } from 'vitest';
import { ScenarioStore } from '../common/scenario.js';
import { serveOnLoopback, type Served } from '../common/serve.js';
import { createHarborSimulator, type HarborSimulator, type HarborSimulatorOptions } from './index.js';

export type { Served } from '../common/serve.js';

export function serveApp(app: Hono): Promise<Served> {
  return serveOnLoopback(app.fetch);
}

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json';
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';
export const DOCKER_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json';
export const ACCEPT_ALL = [OCI_INDEX, OCI_MANIFEST, DOCKER_LIST, DOCKER_MANIFEST].join(', ');

export function digestOf(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

/** Parses `Bearer realm="..",service="..",scope=".."` into its parameters. */
export function parseChallenge(header: string | null): { scheme: string; params: Record<string, string> } | null {
  if (!header) return null;
  const space = header.indexOf(' ');
  const scheme = (space < 0 ? header : header.slice(0, space)).toLowerCase();
  const params: Record<string, string> = {};
  for (const m of header.slice(space + 1).matchAll(/(\w+)="([^"]*)"/g)) params[m[1] as string] = m[2] as string;
  return { scheme, params };
}

export interface PushAuth {
  username: string;
  password: string;
}

/** A tiny registry session: answers a Bearer challenge with a token from the realm, once per scope. */
export class RegistrySession {
  private readonly tokens = new Map<string, string>();

  constructor(
    readonly baseUrl: string,
    private readonly auth?: PushAuth,
  ) {}

  async fetch(path: string, init: RequestInit & { scope?: string } = {}): Promise<Response> {
    const url = new URL(path, this.baseUrl);
    const send = (authorization?: string) => {
      const headers = new Headers(init.headers);
      if (authorization) headers.set('authorization', authorization);
      return fetch(url, { ...init, headers });
    };
    const cached = init.scope ? this.tokens.get(init.scope) : undefined;
    const first = await send(cached ? `Bearer ${cached}` : undefined);
    if (first.status !== 401) return first;
    await first.body?.cancel();
    const challenge = parseChallenge(first.headers.get('www-authenticate'));
    if (!challenge) return send();
    if (challenge.scheme === 'basic') return send(this.auth ? basic(this.auth.username, this.auth.password) : undefined);
    const tokenUrl = new URL(challenge.params.realm ?? '');
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service);
    if (challenge.params.scope) tokenUrl.searchParams.set('scope', challenge.params.scope);
    const tokenResponse = await fetch(tokenUrl, { headers: this.auth ? { authorization: basic(this.auth.username, this.auth.password) } : {} });
    if (!tokenResponse.ok) return tokenResponse;
    const { token } = (await tokenResponse.json()) as { token: string };
    if (init.scope) this.tokens.set(init.scope, token);
    return send(`Bearer ${token}`);
  }
}

export interface PushOptions {
  /** oci (default) or docker media types */
  format?: 'oci' | 'docker';
  /** image (default), index (an index over one linux/amd64 image), chart, unknown */
  kind?: 'image' | 'index' | 'chart' | 'unknown';
  /** upload blobs in PATCH chunks of this many bytes instead of one monolithic PUT */
  chunkSize?: number;
  /** layer size in bytes (default 64) */
  layerBytes?: number;
}

export interface PushedImage {
  digest: string;
  mediaType: string;
  manifest: Uint8Array;
  /** for an index: the digest of its image */
  childDigest?: string;
}

async function expectStatus(response: Response, status: number, what: string): Promise<Response> {
  if (response.status !== status) throw new Error(`${what}: expected ${status}, got ${response.status} ${await response.text()}`);
  return response;
}

export async function pushBlob(session: RegistrySession, repository: string, bytes: Uint8Array, chunkSize?: number): Promise<string> {
  const digest = digestOf(bytes);
  const scope = `repository:${repository}:pull,push`;
  const head = await session.fetch(`/v2/${repository}/blobs/${digest}`, { method: 'HEAD', scope });
  if (head.status === 200) return digest;
  const start = await expectStatus(await session.fetch(`/v2/${repository}/blobs/uploads/`, { method: 'POST', scope }), 202, 'start upload');
  let location = start.headers.get('location') ?? '';
  await start.body?.cancel();
  if (chunkSize) {
    for (let offset = 0; offset < bytes.length; offset += chunkSize) {
      const chunk = bytes.subarray(offset, Math.min(bytes.length, offset + chunkSize));
      const patched = await expectStatus(
        await session.fetch(location, {
          method: 'PATCH',
          scope,
          headers: { 'content-type': 'application/octet-stream', 'content-range': `${offset}-${offset + chunk.length - 1}` },
          body: new Uint8Array(chunk),
        }),
        202,
        'patch chunk',
      );
      location = patched.headers.get('location') ?? location;
      await patched.body?.cancel();
    }
    const url = new URL(location, session.baseUrl);
    url.searchParams.set('digest', digest);
    const done = await expectStatus(await session.fetch(url.toString(), { method: 'PUT', scope }), 201, 'finish upload');
    await done.body?.cancel();
    return digest;
  }
  const url = new URL(location, session.baseUrl);
  url.searchParams.set('digest', digest);
  const done = await expectStatus(
    await session.fetch(url.toString(), { method: 'PUT', scope, headers: { 'content-type': 'application/octet-stream' }, body: new Uint8Array(bytes) }),
    201,
    'monolithic upload',
  );
  await done.body?.cancel();
  return digest;
}

export async function putManifest(session: RepositoryTarget, reference: string, mediaType: string, bytes: Uint8Array): Promise<string> {
  const response = await expectStatus(
    await session.session.fetch(`/v2/${session.repository}/manifests/${reference}`, {
      method: 'PUT',
      scope: `repository:${session.repository}:pull,push`,
      headers: { 'content-type': mediaType },
      body: new Uint8Array(bytes),
    }),
    201,
    `put manifest ${reference}`,
  );
  await response.body?.cancel();
  return response.headers.get('docker-content-digest') ?? digestOf(bytes);
}

interface RepositoryTarget {
  session: RegistrySession;
  repository: string;
}

/** Pushes a small, unique image (or index / chart / unknown artifact) as `repository:tag`. */
export async function pushImage(session: RegistrySession, repository: string, tag: string, options: PushOptions = {}): Promise<PushedImage> {
  const format = options.format ?? 'oci';
  const kind = options.kind ?? 'image';
  const manifestType = format === 'oci' ? OCI_MANIFEST : DOCKER_MANIFEST;
  const configType =
    kind === 'chart'
      ? 'application/vnd.cncf.helm.config.v1+json'
      : kind === 'unknown'
        ? 'application/vnd.example.thing.config.v1+json'
        : format === 'oci'
          ? 'application/vnd.oci.image.config.v1+json'
          : 'application/vnd.docker.container.image.v1+json';
  const layerType = format === 'oci' ? 'application/vnd.oci.image.layer.v1.tar+gzip' : 'application/vnd.docker.image.rootfs.diff.tar.gzip';
  const layer = new Uint8Array(randomBytes(options.layerBytes ?? 64));
  const config = new Uint8Array(
    Buffer.from(
      JSON.stringify({
        architecture: 'amd64',
        os: 'linux',
        created: new Date().toISOString(),
        config: { Env: ['TAG=' + tag] },
        rootfs: { type: 'layers', diff_ids: [digestOf(layer)] },
      }),
    ),
  );
  const configDigest = await pushBlob(session, repository, config, options.chunkSize);
  const layerDigest = await pushBlob(session, repository, layer, options.chunkSize);
  const manifest = new Uint8Array(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: manifestType,
        config: { mediaType: configType, digest: configDigest, size: config.length },
        layers: [{ mediaType: layerType, digest: layerDigest, size: layer.length }],
      }),
    ),
  );
  const target = { session, repository };
  if (kind !== 'index') {
    const digest = await putManifest(target, tag, manifestType, manifest);
    return { digest, mediaType: manifestType, manifest };
  }
  const childDigest = await putManifest(target, digestOf(manifest), manifestType, manifest);
  const indexType = format === 'oci' ? OCI_INDEX : DOCKER_LIST;
  const index = new Uint8Array(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: indexType,
        manifests: [{ mediaType: manifestType, digest: childDigest, size: manifest.length, platform: { architecture: 'amd64', os: 'linux' } }],
      }),
    ),
  );
  const digest = await putManifest(target, tag, indexType, index);
  return { digest, mediaType: indexType, manifest: index, childDigest };
}

/** Polls `check` until it returns a value other than undefined (or the timeout passes). */
export async function eventually<T>(check: () => Promise<T | undefined>, timeoutMs = 5_000, intervalMs = 25): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

export const ROBOT = { username: 'robot$apps+deployer', password: 'deployer-secret' };
export const ADMIN = { username: 'admin', password: 'Harbor12345' };
export const OTHER_ROBOT = { username: 'robot$other+ci', password: 'other-secret' };

export interface RunningHarbor {
  sim: HarborSimulator;
  scenarios: ScenarioStore;
  url: string;
  close(): Promise<void>;
}

/** A Harbor simulator on a free loopback port with project `apps` (and `other`) and the test users. */
export async function startHarbor(overrides: Partial<HarborSimulatorOptions> = {}): Promise<RunningHarbor> {
  const scenarios = overrides.scenarios ?? new ScenarioStore();
  const sim = createHarborSimulator({
    scenarios,
    users: [
      { name: ROBOT.username, password: ROBOT.password },
      { name: ADMIN.username, password: ADMIN.password },
      { name: OTHER_ROBOT.username, password: OTHER_ROBOT.password },
    ],
    projects: ['apps', 'other'],
    ...overrides,
  });
  const served = await serveApp(sim.app);
  return {
    sim,
    scenarios,
    url: served.url,
    close: async () => {
      await served.close();
      await sim.close();
    },
  };
}

// Asymmetric matchers typed as `unknown` (vitest types them `any`, which the lint rules refuse).
export const anyString: unknown = expect.any(String);
export const anyNumber: unknown = expect.any(Number);
export const matching = (pattern: RegExp): unknown => expect.stringMatching(pattern);
export const containing = (object: Record<string, unknown>): unknown => expect.objectContaining(object);
