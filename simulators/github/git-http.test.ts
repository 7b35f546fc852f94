// Git over smart HTTP against the GitHub simulator, with the real git client: public and
// private disk-backed repositories, PATs and GitHub App installation tokens passed the way the
// engine passes them (an `http.extraHeader`, never in the URL), and what git prints when refused.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signAppJwt, startGitHubFixture, TOKEN, type CreatedGitRepo, type GitHubFixture, type RegisteredApp } from './test-helpers.js';

interface GitRun {
  code: number;
  stdout: string;
  stderr: string;
}

let scratch: string;

/** Runs git with no prompt, no askpass and no user or system configuration. */
function git(args: string[], cwd = scratch): Promise<GitRun> {
  const env: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: scratch, GIT_TERMINAL_PROMPT: '0', GIT_CONFIG_NOSYSTEM: '1', LC_ALL: 'C' };
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env, timeout: 30_000 }, (error, stdout, stderr) => {
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr });
    });
  });
}

const basic = (token: string, user = 'x-access-token') => `Authorization: Basic ${Buffer.from(`${user}:${token}`).toString('base64')}`;
const withHeader = (token: string, user?: string) => ['-c', `http.extraHeader=${basic(token, user)}`];
const headOf = (lsRemote: string, branch: string) =>
  /^([0-9a-f]{40})\s+refs\/heads\/(.+)$/m.exec(lsRemote.split('\n').find((l) => l.endsWith(`refs/heads/${branch}`)) ?? '')?.[1];

describe('GitHub simulator: git over smart HTTP', () => {
  let fx: GitHubFixture;
  let site: CreatedGitRepo;
  let app: CreatedGitRepo;
  let other: CreatedGitRepo;
  let ghApp: RegisteredApp;
  let installationId: number;

  const mint = async (repositories?: string[]) => {
    const res = await fetch(`${fx.url}/app/installations/${installationId}/access_tokens`, {
      method: 'POST',
      headers: { authorization: `Bearer ${signAppJwt(ghApp.id, ghApp.privateKeyPem)}`, 'content-type': 'application/json' },
      body: JSON.stringify({ repositories, permissions: { contents: 'read' } }),
    });
    expect(res.status).toBe(201);
    return (await res.json()) as { token: string; expires_at: string; repositories: { full_name: string }[] };
  };

  beforeAll(async () => {
    scratch = await mkdtemp(join(tmpdir(), 'github-sim-git-test-'));
    fx = await startGitHubFixture();
    site = await fx.createGitRepo({ owner: 'acme', repo: 'site', files: { 'index.html': '<h1>hi</h1>\n' } });
    app = await fx.createGitRepo({
      owner: 'acme',
      repo: 'app',
      private: true,
      files: { 'package.json': '{"name":"app"}\n', 'src/index.js': 'console.log(1)\n' },
    });
    other = await fx.createGitRepo({ owner: 'acme', repo: 'other', private: true, branch: 'trunk', files: { 'README.md': 'other\n' } });
    ghApp = await fx.registerApp('Deploy Engine');
    installationId = (await fx.installApp(ghApp.id, ['acme/app', 'acme/other'])).id;
  });
  afterAll(async () => {
    await fx?.close();
    if (scratch) await rm(scratch, { recursive: true, force: true });
  });

  describe('a public repository', () => {
    it('clones, lists and fetches a commit by id (protocol v2, shallow) anonymously', async () => {
      const ls = await git(['ls-remote', site.cloneUrl]);
      expect(ls.code).toBe(0);
      expect(headOf(ls.stdout, 'main')).toBe(site.commitSha);

      const dir = join(scratch, 'site-clone');
      expect((await git(['clone', '--quiet', site.cloneUrl, dir])).code).toBe(0);
      expect(await readFile(join(dir, 'index.html'), 'utf8')).toBe('<h1>hi</h1>\n');

      const fetchDir = join(scratch, 'site-fetch');
      expect((await git(['init', '--quiet', fetchDir])).code).toBe(0);
      const fetched = await git(['-c', 'protocol.version=2', 'fetch', '--quiet', '--depth=1', site.cloneUrl, site.commitSha], fetchDir);
      expect(fetched.stderr).toBe('');
      expect((await git(['rev-parse', 'FETCH_HEAD'], fetchDir)).stdout.trim()).toBe(site.commitSha);
    });

    it('reports in the REST API the clone URL, branches and commits git serves, and follows a new commit', async () => {
      const repo = await (await fx.api('/repos/acme/site')).json();
      expect(repo).toMatchObject({ clone_url: site.cloneUrl, private: false, default_branch: 'main' });
      expect(site.cloneUrl).toBe(`${fx.url}/acme/site.git`);

      const pushed = await fx.addCommit({ owner: 'acme', repo: 'site', files: { 'index.html': '<h1>v2</h1>\n' }, message: 'v2' });
      expect(pushed).toMatchObject({ ref: 'refs/heads/main', before: site.commitSha, created: false });
      expect(headOf((await git(['ls-remote', site.cloneUrl])).stdout, 'main')).toBe(pushed.commitSha);
      const branch = await (await fx.api('/repos/acme/site/branches/main')).json();
      expect(branch.commit).toMatchObject({ sha: pushed.commitSha, commit: { message: 'v2' }, parents: [{ sha: site.commitSha }] });
      expect((await fx.api(`/repos/acme/site/commits/${site.commitSha.slice(0, 8)}`)).status).toBe(200);

      // The older commit is still fetchable by id, as the engine pins one.
      const dir = join(scratch, 'site-old');
      await git(['init', '--quiet', dir]);
      expect((await git(['-c', 'protocol.version=2', 'fetch', '--quiet', '--depth=1', site.cloneUrl, site.commitSha], dir)).code).toBe(0);

      const feature = await fx.addCommit({ owner: 'acme', repo: 'site', branch: 'feature/x', files: { 'index.html': null, 'new.txt': 'n\n' } });
      expect(feature.created).toBe(true);
      expect((await (await fx.api('/repos/acme/site/branches/feature/x')).json()).commit.sha).toBe(feature.commitSha);
    });

    it('refuses pushes with 403', async () => {
      const dir = join(scratch, 'site-push');
      await git(['clone', '--quiet', site.cloneUrl, dir]);
      const push = await git(['-c', 'user.name=t', '-c', 'user.email=t@example.com', 'push', site.cloneUrl, 'HEAD:refs/heads/pushed'], dir);
      expect(push.code).not.toBe(0);
      expect(push.stderr).toMatch(/403/);
    });
  });

  describe('a private repository', () => {
    it('without credentials: 401 with a Basic challenge; git cannot prompt and says so', async () => {
      const res = await fetch(`${app.cloneUrl}/info/refs?service=git-upload-pack`);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
      const ls = await git(['ls-remote', app.cloneUrl]);
      expect(ls.code).not.toBe(0);
      expect(ls.stderr).toContain(`fatal: could not read Username for '${fx.url}': terminal prompts disabled`);
    });

    it('with a token that is not valid: 401; git in an extraHeader cannot tell it from none, a credential helper says Authentication failed', async () => {
      const res = await fetch(`${app.cloneUrl}/info/refs?service=git-upload-pack`, {
        headers: { authorization: basic('ghp_wrong').slice('Authorization: '.length) },
      });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="GitHub"');
      // A 401 makes git look for a credential, whatever extraHeader it sent.
      const header = await git([...withHeader('ghp_wrong'), 'ls-remote', app.cloneUrl]);
      expect(header.code).not.toBe(0);
      expect(header.stderr).toContain(`fatal: could not read Username for '${fx.url}': terminal prompts disabled`);
      const helper = await git(['-c', 'credential.helper=!f() { echo username=x-access-token; echo password=ghp_wrong; }; f', 'ls-remote', app.cloneUrl]);
      expect(helper.code).not.toBe(0);
      expect(helper.stderr).toContain('remote: Invalid username or token. Password authentication is not supported for Git operations.');
      expect(helper.stderr).toContain(`fatal: Authentication failed for '${app.cloneUrl}/'`);
    });

    it('a repository that does not exist: 401 anonymously (as if private), 404 Repository not found with a good token', async () => {
      const missing = `${fx.url}/acme/missing.git`;
      expect((await git(['ls-remote', missing])).stderr).toContain('terminal prompts disabled');
      const ls = await git([...withHeader(TOKEN), 'ls-remote', missing]);
      expect(ls.stderr).toContain('remote: Repository not found.');
      expect(ls.stderr).toContain(`fatal: repository '${missing}/' not found`);
    });

    it('with a configured PAT in http.extraHeader (any user name): clones and fetches a commit by id', async () => {
      const ls = await git([...withHeader(TOKEN, 'someone'), 'ls-remote', app.cloneUrl]);
      expect(ls.code).toBe(0);
      expect(headOf(ls.stdout, 'main')).toBe(app.commitSha);
      const dir = join(scratch, 'app-fetch');
      await git(['init', '--quiet', dir]);
      const fetched = await git([...withHeader(TOKEN), '-c', 'protocol.version=2', 'fetch', '--quiet', '--depth=1', app.cloneUrl, app.commitSha], dir);
      expect(fetched.code).toBe(0);
      expect((await git(['show', 'FETCH_HEAD:package.json'], dir)).stdout).toBe('{"name":"app"}\n');
    });

    it('an installation token reads only the repositories it was minted for; elsewhere 404 Repository not found', async () => {
      const minted = await mint(['app']);
      expect(minted.token).toMatch(/^ghs_/);
      expect(minted.repositories.map((r) => r.full_name)).toEqual(['acme/app']);
      expect((await git([...withHeader(minted.token), 'ls-remote', app.cloneUrl])).code).toBe(0);

      const res = await fetch(`${other.cloneUrl}/info/refs?service=git-upload-pack`, {
        headers: { authorization: basic(minted.token).slice('Authorization: '.length) },
      });
      expect(res.status).toBe(404);
      expect(await res.text()).toBe('Repository not found.\n');
      const refused = await git([...withHeader(minted.token), 'ls-remote', other.cloneUrl]);
      expect(refused.code).not.toBe(0);
      expect(refused.stderr).toContain('remote: Repository not found.');
      expect(refused.stderr).toContain(`fatal: repository '${other.cloneUrl}/' not found`);

      // The same scope on the REST API.
      const rest = (path: string) => fetch(`${fx.url}${path}`, { headers: { authorization: `token ${minted.token}` } });
      expect((await rest('/repos/acme/app')).status).toBe(200);
      expect((await rest('/repos/acme/other')).status).toBe(404);
      expect((await rest('/repos/acme/shop')).status).toBe(404);
    });

    it('an expired or revoked installation token fails like a wrong one', async () => {
      const expired = await mint(['app']);
      const revoked = await mint(['app']);
      await fx.expireToken(expired.token);
      await fx.revokeToken(revoked.token);
      for (const token of [expired.token, revoked.token]) {
        const ls = await git([...withHeader(token), 'ls-remote', app.cloneUrl]);
        expect(ls.code).not.toBe(0);
        expect(ls.stderr).toContain('terminal prompts disabled');
        expect(
          (await fetch(`${app.cloneUrl}/info/refs?service=git-upload-pack`, { headers: { authorization: basic(token).slice('Authorization: '.length) } }))
            .status,
        ).toBe(401);
        expect((await fetch(`${fx.url}/repos/acme/app`, { headers: { authorization: `token ${token}` } })).status).toBe(401);
      }
    });

    it('a token minted with a 1 s lifetime stops working after it', async () => {
      await fx.setTokenLifetime(1);
      try {
        const short = await mint(['app']);
        expect((await git([...withHeader(short.token), 'ls-remote', app.cloneUrl])).code).toBe(0);
        await new Promise((resolve) => setTimeout(resolve, 1100));
        expect((await git([...withHeader(short.token), 'ls-remote', app.cloneUrl])).stderr).toContain('terminal prompts disabled');
      } finally {
        await fx.setTokenLifetime(3600);
      }
    });
  });

  it('counts git requests per repository', async () => {
    const before = await fx.gitRequests('acme', 'site');
    await git(['ls-remote', site.cloneUrl]);
    // Protocol v2: GET info/refs, then POST git-upload-pack (ls-refs).
    expect(await fx.gitRequests('acme', 'site')).toBe(before + 2);
    expect(await fx.gitRequests('acme', 'untouched')).toBe(0);
  });
});
