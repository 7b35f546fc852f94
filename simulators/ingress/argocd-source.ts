// Reads `GET /api/v1/applications` from an Argo CD, the simulator or a real one, with a bearer
// token or a session from a username and password (logged in again once after a 401).
// Credentials stay in this closure and never reach an error message.

export interface ArgoCdSource {
  url: string;
  token?: string;
  username?: string;
  password?: string;
}

export type ApplicationReader = () => Promise<unknown>;

export function createApplicationReader(source: ArgoCdSource, { timeoutMs = 10_000 }: { timeoutMs?: number } = {}): ApplicationReader {
  const base = source.url.replace(/\/+$/, '');
  if (!source.token && (source.username === undefined || source.password === undefined))
    throw new Error('The ingress simulator needs an Argo CD token, or a username and password');
  let session: string | undefined = source.token;

  async function login(): Promise<string> {
    const res = await fetch(`${base}/api/v1/session`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: source.username, password: source.password }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body = (await res.json().catch(() => undefined)) as { token?: unknown } | undefined;
    if (!res.ok || typeof body?.token !== 'string') throw new Error(`Argo CD at ${base} refused the ingress simulator's login (HTTP ${res.status})`);
    return body.token;
  }

  return async function readApplications(): Promise<unknown> {
    for (let attempt = 0; ; attempt += 1) {
      session ??= await login();
      const res = await fetch(`${base}/api/v1/applications`, { headers: { authorization: `Bearer ${session}` }, signal: AbortSignal.timeout(timeoutMs) });
      if (res.status === 401 && attempt === 0 && !source.token) {
        session = undefined;
        continue;
      }
      if (!res.ok) throw new Error(`Argo CD at ${base} answered HTTP ${res.status} to GET /api/v1/applications`);
      return res.json();
    }
  };
}
