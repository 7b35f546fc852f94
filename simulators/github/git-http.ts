// Git over smart HTTP for disk-backed repositories, at `/<owner>/<repo>.git/...` as on
// github.com, answered by the real `git http-backend` run as a CGI. Reads only: receive-pack is
// refused. Private repositories want HTTP Basic auth whose password (or user name) is a token
// with access, and refuse like GitHub: 401 without or with a wrong token, 404 "Repository not
// found." for a good token that may not see the repository.
import { spawn } from 'node:child_process';
import { relative } from 'node:path';
import { Hono, type Context } from 'hono';
import type { Counters } from '../common/counters.js';
import type { GitHubEnv } from './auth.js';
import { canSee, type Credentials, type Principal } from './credentials.js';
import type { GitStore } from './git-store.js';
import type { GitHubState } from './state.js';

export interface GitHttpDeps {
  state: GitHubState;
  store: GitStore;
  credentials: Credentials;
  counters: Counters;
}

const SERVICES = ['git-upload-pack', 'git-receive-pack'] as const;
type Service = (typeof SERVICES)[number];

// git prints a text/plain body of a failed request as `remote: <line>`.
const text = (status: number, body: string, headers: Record<string, string> = {}) =>
  new Response(body === '' ? null : `${body}\n`, { status, headers: { 'content-type': 'text/plain; charset=UTF-8', ...headers } });
const challenge = (body = '') => text(401, body, { 'www-authenticate': 'Basic realm="GitHub"' });
const NOT_FOUND = () => text(404, 'Repository not found.');

type Auth = { kind: 'none' } | { kind: 'invalid' } | { kind: 'ok'; principal: Principal };

/** `Basic base64(user:token)`: the token is the password, or the user name when the password is empty or `x-oauth-basic`. */
function authenticate(header: string | undefined, credentials: Credentials): Auth {
  if (!header) return { kind: 'none' };
  const match = /^basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header);
  if (!match) return { kind: 'invalid' };
  const decoded = Buffer.from(match[1] ?? '', 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  const user = colon < 0 ? decoded : decoded.slice(0, colon);
  const password = colon < 0 ? '' : decoded.slice(colon + 1);
  const token = password === '' || password === 'x-oauth-basic' ? user : password;
  const principal = token ? credentials.resolve(token) : undefined;
  return principal ? { kind: 'ok', principal } : { kind: 'invalid' };
}

export function createGitHttpRoutes({ state, store, credentials, counters }: GitHttpDeps): Hono<GitHubEnv> {
  const app = new Hono<GitHubEnv>();

  const serve = async (c: Context<GitHubEnv>, service: string | undefined, pathInfoTail: string): Promise<Response> => {
    const owner = c.req.param('owner') ?? '';
    const name = (c.req.param('repo') ?? '').replace(/\.git$/, '');
    counters.count(`git ${owner}/${name}`.toLowerCase());
    const found = state.repo(owner, name);
    const repo = found?.gitDir && store.projectRoot ? found : undefined;

    // As on GitHub, a repository that does not exist looks private to anyone without a good token.
    const auth = authenticate(c.req.header('authorization'), credentials);
    if (auth.kind === 'invalid') return challenge('Invalid username or token. Password authentication is not supported for Git operations.');
    if (!repo || repo.private) {
      if (auth.kind === 'none') return challenge();
      if (!repo || !canSee(auth.principal, repo.owner, repo.name)) return NOT_FOUND();
    }
    const root = store.projectRoot ?? '';
    if (!SERVICES.includes(service as Service)) return text(403, 'Dumb HTTP is not supported: use a git client that speaks smart HTTP.');
    if (service === 'git-receive-pack') return text(403, `Permission to ${repo.fullName}.git denied: the simulator serves reads only.`);

    const body = c.req.method === 'POST' ? Buffer.from(await c.req.arrayBuffer()) : undefined;
    const url = new URL(c.req.url);
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? '/usr/bin:/bin',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_CONFIG_GLOBAL: '/dev/null',
      GIT_PROJECT_ROOT: root,
      GIT_HTTP_EXPORT_ALL: '1',
      PATH_INFO: `/${relative(root, repo.gitDir ?? '')}${pathInfoTail}`,
      QUERY_STRING: url.search.replace(/^\?/, ''),
      REQUEST_METHOD: c.req.method,
      REMOTE_ADDR: '127.0.0.1',
      CONTENT_TYPE: c.req.header('content-type') ?? '',
      // The engine fetches a commit by id: the simulator lets any object be wanted, as GitHub does.
      GIT_CONFIG_COUNT: '2',
      GIT_CONFIG_KEY_0: 'uploadpack.allowAnySHA1InWant',
      GIT_CONFIG_VALUE_0: 'true',
      GIT_CONFIG_KEY_1: 'uploadpack.allowReachableSHA1InWant',
      GIT_CONFIG_VALUE_1: 'true',
    };
    if (body) env.CONTENT_LENGTH = String(body.length);
    const encoding = c.req.header('content-encoding');
    if (encoding) env.HTTP_CONTENT_ENCODING = encoding;
    const protocol = c.req.header('git-protocol');
    if (protocol) env.HTTP_GIT_PROTOCOL = protocol;
    return runCgi(env, body);
  };

  app.get('/:owner/:repo{[^/]+\\.git}/info/refs', (c) => serve(c, c.req.query('service'), '/info/refs'));
  app.post('/:owner/:repo{[^/]+\\.git}/:service{git-[a-z-]+}', (c) => serve(c, c.req.param('service'), `/${c.req.param('service')}`));
  // Anything else under a repository (the dumb protocol's objects/, HEAD): as on GitHub, not served.
  app.all('/:owner/:repo{[^/]+\\.git}/*', (c) => serve(c, undefined, ''));
  return app;
}

/** Runs `git http-backend` and turns its CGI answer (headers, blank line, body) into a streamed Response. */
function runCgi(env: Record<string, string>, body: Buffer | undefined): Promise<Response> {
  return new Promise((resolve, reject) => {
    const child = spawn('git', ['http-backend'], { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stderr = '';
    let head: Buffer = Buffer.alloc(0);
    let controller: ReadableStreamDefaultController<Uint8Array> | undefined;
    let started = false;
    const stream = new ReadableStream<Uint8Array>({
      start: (c) => {
        controller = c;
      },
      cancel: () => {
        child.kill();
      },
    });

    child.stderr.on('data', (chunk: Buffer) => {
      if (stderr.length < 4000) stderr += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      if (started) {
        controller?.enqueue(new Uint8Array(chunk));
        return;
      }
      head = Buffer.concat([head, chunk]);
      const crlf = head.indexOf('\r\n\r\n');
      const lf = head.indexOf('\n\n');
      const end = crlf >= 0 && (lf < 0 || crlf < lf) ? { at: crlf, size: 4 } : lf >= 0 ? { at: lf, size: 2 } : undefined;
      if (!end) return;
      started = true;
      const headers = new Headers();
      let status = 200;
      for (const line of head.subarray(0, end.at).toString('latin1').split(/\r?\n/)) {
        const colon = line.indexOf(':');
        if (colon < 0) continue;
        const name = line.slice(0, colon).trim();
        const value = line.slice(colon + 1).trim();
        if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10) || 500;
        else headers.append(name, value);
      }
      const rest = head.subarray(end.at + end.size);
      if (rest.length > 0) controller?.enqueue(new Uint8Array(rest));
      resolve(new Response(status === 204 || status === 304 ? null : stream, { status, headers }));
    });
    child.stdout.on('end', () => {
      if (started) controller?.close();
      else resolve(text(500, `git http-backend gave no answer: ${stderr.trim()}`));
    });
    child.on('error', reject);
    // http-backend may answer (an error) without reading the whole request.
    child.stdin.on('error', () => undefined);
    child.stdin.end(body ?? Buffer.alloc(0));
  });
}
