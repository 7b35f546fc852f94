// What the kubelet finds when it pulls an image: `HEAD /v2/<path>/manifests/<digest|tag>` on the
// registry, with the OCI token flow (401 + `WWW-Authenticate: Bearer realm=..,service=..`, a
// token from the realm with Basic credentials, retry) or plain Basic auth.

export interface RegistryOptions {
  url: string;
  username?: string;
  password?: string;
}

export type ImagePresence = 'present' | 'missing' | 'unreachable';
export type ImageChecker = (image: string) => Promise<ImagePresence>;

export interface ImageRef {
  host?: string;
  path: string;
  /** A digest (`sha256:...`) or a tag. */
  reference: string;
}

const MANIFEST_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/** Splits `host[:port]/path[:tag][@digest]` the way Docker references are read. */
export function parseImageRef(image: string): ImageRef {
  let rest = image.trim();
  let reference = 'latest';
  const at = rest.indexOf('@');
  if (at >= 0) {
    reference = rest.slice(at + 1);
    rest = rest.slice(0, at);
  } else {
    const colon = rest.lastIndexOf(':');
    if (colon > rest.lastIndexOf('/')) {
      reference = rest.slice(colon + 1);
      rest = rest.slice(0, colon);
    }
  }
  const [first = '', ...others] = rest.split('/');
  const hasHost = others.length > 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasHost ? { host: first, path: others.join('/'), reference } : { path: rest, reference };
}

/**
 * Without a registry every image counts as present. A registry that cannot be reached or
 * answers 5xx is `unreachable` (the kubelet would back off and retry).
 */
const UNREACHABLE = Symbol('registry unreachable');

export function createImageChecker(registry?: RegistryOptions, fetchImpl: typeof fetch = fetch): ImageChecker {
  if (!registry) return async () => 'present';
  const base = registry.url.replace(/\/+$/, '');
  const basic = registry.username !== undefined ? `Basic ${Buffer.from(`${registry.username}:${registry.password ?? ''}`).toString('base64')}` : undefined;

  return async function checkImage(image) {
    const { path, reference } = parseImageRef(image);
    const url = `${base}/v2/${path}/manifests/${reference}`;
    try {
      let response = await head(url);
      if (response.status === 401) {
        const authorization = await authorize(response.headers.get('www-authenticate') ?? '', path);
        // The token service failing (5xx, dropped) is the registry being unreachable, not the image missing.
        if (authorization === UNREACHABLE) return 'unreachable';
        if (authorization) response = await head(url, authorization);
      }
      if (response.ok) return 'present';
      if (response.status === 404 || response.status === 401 || response.status === 403) return 'missing';
      return 'unreachable';
    } catch {
      return 'unreachable';
    }
  };

  async function head(url: string, authorization?: string): Promise<Response> {
    const response = await fetchImpl(url, {
      method: 'HEAD',
      headers: { accept: MANIFEST_TYPES, ...(authorization ? { authorization } : {}) },
      signal: AbortSignal.timeout(10_000),
    });
    await response.body?.cancel();
    return response;
  }

  async function authorize(challenge: string, path: string): Promise<string | typeof UNREACHABLE | undefined> {
    if (/^basic/i.test(challenge)) return basic;
    if (!/^bearer/i.test(challenge)) return undefined;
    const params: Record<string, string | undefined> = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
    if (!params.realm) return undefined;
    const tokenUrl = new URL(params.realm);
    if (params.service) tokenUrl.searchParams.set('service', params.service);
    tokenUrl.searchParams.set('scope', params.scope ?? `repository:${path}:pull`);
    const response = await fetchImpl(tokenUrl, { headers: basic ? { authorization: basic } : {}, signal: AbortSignal.timeout(10_000) });
    if (!response.ok) {
      await response.body?.cancel();
      return response.status >= 500 ? UNREACHABLE : undefined;
    }
    const body = (await response.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    return token ? `Bearer ${token}` : undefined;
  }
}
