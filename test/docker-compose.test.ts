// Docker cannot run here. The compose file is checked three ways instead: loaded by compose-go
// (the library Docker Compose itself loads files with: schema, interpolation, env_file), read
// for the points a real platform needs, and its Temporal set-up script run against the test
// run's real Temporal server.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { inject, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../lib/config.js';
import { buildComposeCheck } from '../scripts/lib/compose-check.js';
import { SEARCH_ATTRIBUTES } from '../scripts/lib/temporal-server.js';
import { temporalCliPath } from '../scripts/lib/tools.js';

type Service = {
  image?: string;
  build?: unknown;
  ports?: string[];
  depends_on?: Record<string, { condition?: string }>;
  environment?: Record<string, string>;
  env_file?: Array<{ path: string; required?: boolean }>;
  volumes?: string[];
  entrypoint?: string[];
  command?: string[] | string;
};
const root = new URL('../', import.meta.url);
const read = (file: string) => readFileSync(new URL(file, root), 'utf8');
const compose = parse(read('docker-compose.yml'), { merge: true }) as { services: Record<string, Service> };
const { services } = compose;
const service = (name: string): Service => services[name] ?? expect.unreachable(`no service ${name}`);
const engine = ['api', 'worker'] as const;

/** Runs compose-check on a copy of the file in a folder with the given .env (none when undefined). */
function loadWithCompose(
  dotEnv: string | undefined,
  env: Record<string, string> = {},
): { ok: boolean; output: string; project?: { services: Record<string, Service & { environment: Record<string, string> }> } } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'compose-'));
  cpSync(new URL('docker-compose.yml', root), path.join(dir, 'docker-compose.yml'));
  if (dotEnv !== undefined) writeFileSync(path.join(dir, '.env'), dotEnv);
  const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([key]) => key !== 'PUBLIC_API_URL' && key !== 'GITOPS_SSH_DIR'));
  const result = spawnSync(buildComposeCheck(), ['docker-compose.yml'], { cwd: dir, encoding: 'utf8', env: { ...cleanEnv, ...env } });
  return result.status === 0 ? { ok: true, output: result.stdout, project: JSON.parse(result.stdout) } : { ok: false, output: result.stderr };
}

describe('docker-compose.yml', () => {
  it('loads as Docker Compose loads it, once .env names the public API URL', () => {
    const loaded = loadWithCompose('PUBLIC_API_URL=https://deploy.example.com\nGITOPS_REPO_URL=git@git.example.com:platform/gitops.git\n');
    expect(loaded.ok, loaded.output).toBe(true);
    for (const name of engine) expect(loaded.project!.services[name]!.environment.PUBLIC_API_URL).toBe('https://deploy.example.com');
  });

  it('stops with a clear error when .env is missing', () => {
    const loaded = loadWithCompose(undefined, { PUBLIC_API_URL: 'https://deploy.example.com' });
    expect(loaded.ok).toBe(false);
    expect(loaded.output).toMatch(/env file .*\.env not found/);
  });

  it('stops with a clear error when PUBLIC_API_URL is not set, so webhooks never point at 0.0.0.0', () => {
    const loaded = loadWithCompose('GITOPS_BRANCH=main\n');
    expect(loaded.ok).toBe(false);
    expect(loaded.output).toContain('required variable PUBLIC_API_URL is missing a value: set PUBLIC_API_URL in .env');
  });

  it('defines every service the README names, with ports, and no deprecated Temporal image', () => {
    const readme = read('README.md');
    for (const name of ['postgres', 'temporal', 'temporal-ui', 'api', 'worker']) {
      expect(readme, `README mentions ${name}`).toContain(name);
      service(name);
    }
    expect(service('postgres').ports).toContain('5432:5432');
    expect(service('temporal').ports).toContain('7233:7233');
    expect(service('temporal-ui').ports).toContain('8233:8080');
    expect(service('api').ports).toContain('3000:3000');
    for (const [name, s] of Object.entries(services)) expect(s.image ?? '', name).not.toMatch(/auto-setup/);
    expect(service('temporal').image).toMatch(/^temporalio\/server:/);
  });

  it('wires the dependencies: the schema before Temporal, the namespace and search attributes before the engine', () => {
    expect(service('temporal-schema').depends_on?.postgres?.condition).toBe('service_healthy');
    expect(service('temporal').depends_on?.['temporal-schema']?.condition).toBe('service_completed_successfully');
    expect(service('temporal').environment?.DB).toMatch(/^postgres/);
    expect(service('temporal-namespace').depends_on?.temporal?.condition).toBe('service_healthy');
    for (const name of engine) {
      const s = service(name);
      expect(s.build, `${name} builds the engine image`).toBe('.');
      expect(s.depends_on?.['temporal-namespace']?.condition, name).toBe('service_completed_successfully');
      expect(s.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(s.environment?.DATABASE_URL).toMatch(/@postgres:5432\//);
      expect(s.env_file).toEqual([{ path: '.env', required: true }]);
    }
  });

  it('mounts an ssh key and known_hosts for git@ GitOps repositories, and the engine accepts that configuration', () => {
    for (const name of engine) {
      const s = service(name);
      const mount = s.volumes?.find((v) => v.includes(':/run/gitops-ssh'));
      expect(mount, `${name} mounts the ssh folder`).toMatch(/:\/run\/gitops-ssh:ro$/);
      expect(s.environment?.GITOPS_SSH_KEY_FILE).toMatch(/^\/run\/gitops-ssh\//);
      expect(s.environment?.GITOPS_SSH_KNOWN_HOSTS_FILE).toMatch(/^\/run\/gitops-ssh\//);
      const config = loadConfig({ ...s.environment, PUBLIC_API_URL: 'https://deploy.example.com', GITOPS_REPO_URL: 'git@git.example.com:platform/gitops.git' });
      expect(config.GITOPS_SSH_KEY_FILE).toBe(s.environment?.GITOPS_SSH_KEY_FILE);
    }
    const dockerfile = read('Dockerfile');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/COPY --from=/);
    expect(dockerfile).toMatch(/apt-get install[^\n]*\bopenssh-client\b/);
    expect(dockerfile).toMatch(/useradd --uid 10001 /);
    // `COPY . .` must never bake the key or .env into the image.
    const ignored = read('.dockerignore')
      .split('\n')
      .map((line) => line.trim());
    expect(ignored).toEqual(expect.arrayContaining(['.env', 'gitops-ssh']));
  });

  it('registers exactly the search attributes the workflows use, with no failure swallowed', () => {
    const script = read('infra/compose/temporal-namespace.sh');
    const listed = /^attributes="([^"]+)"/m.exec(script)?.[1]?.split(' ');
    expect(listed?.sort()).toEqual(Object.keys(SEARCH_ATTRIBUTES).sort());
    expect(Object.values(SEARCH_ATTRIBUTES).every((type) => type === 'Keyword')).toBe(true);
    for (const file of ['infra/compose/temporal-namespace.sh', 'infra/compose/temporal-schema.sh']) {
      expect(read(file), file).toMatch(/^set -eu$/m);
      expect(read(file), file).not.toMatch(/\|\|\s*true/);
    }
    expect(service('temporal-namespace').entrypoint?.join(' ')).toContain('temporal-namespace.sh');
  });
});

describe('infra/compose/temporal-namespace.sh against a real Temporal server', () => {
  const cli = path.dirname(temporalCliPath());
  const script = new URL('infra/compose/temporal-namespace.sh', root).pathname;
  const runScript = (env: Record<string, string>) =>
    spawnSync('sh', [script], { encoding: 'utf8', env: { ...process.env, PATH: `${cli}:${process.env.PATH}`, ...env } });

  it('creates the namespace and registers every attribute, and a second run keeps them', () => {
    const namespace = `compose-${Date.now()}`;
    const env = { TEMPORAL_ADDRESS: inject('temporalAddress'), TEMPORAL_NAMESPACE: namespace };
    const first = runScript(env);
    expect(first.status, first.stderr).toBe(0);
    expect(first.stdout).toContain(`namespace ${namespace}: created`);
    const listed = execFileSync(
      path.join(cli, 'temporal'),
      ['operator', 'search-attribute', 'list', '--namespace', namespace, '--address', env.TEMPORAL_ADDRESS],
      { encoding: 'utf8' },
    );
    for (const name of Object.keys(SEARCH_ATTRIBUTES)) expect(listed).toMatch(new RegExp(`^\\s*${name}\\s+Keyword`, 'm'));
    const second = runScript(env);
    expect(second.status, second.stderr).toBe(0);
    expect(second.stdout).toContain('search attribute DeployKind: already registered');
  }, 120_000);

  it("fails loudly, with the server's own words, when Temporal cannot be reached", () => {
    const result = runScript({ TEMPORAL_ADDRESS: '127.0.0.1:1', TEMPORAL_WAIT_TRIES: '1' });
    expect(result.status).toBe(1);
    expect(result.stderr).toMatch(/temporal-namespace: cluster health failed after 1 tries at 127\.0\.0\.1:1: .*connection refused/);
  }, 60_000);
});
