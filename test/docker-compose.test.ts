// Docker cannot run here: check the compose file's structure instead.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

type Service = { image?: string; build?: unknown; ports?: string[]; depends_on?: Record<string, unknown> | string[]; environment?: Record<string, string> };
const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as { services: Record<string, Service> };
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const deps = (s: Service) => (Array.isArray(s.depends_on) ? s.depends_on : Object.keys(s.depends_on ?? {}));

describe('docker-compose.yml', () => {
  it('defines every service the README names, with ports', () => {
    const named = ['postgres', 'temporal', 'temporal-ui', 'api', 'worker'];
    for (const name of named) {
      expect(readme, `README mentions ${name}`).toContain(name);
      expect(compose.services[name], name).toBeDefined();
    }
    expect(compose.services.postgres!.ports).toContain('5432:5432');
    expect(compose.services.temporal!.ports).toContain('7233:7233');
    expect(compose.services['temporal-ui']!.ports).toContain('8233:8080');
    expect(compose.services.api!.ports).toContain('3000:3000');
  });

  it('wires the dependencies: Temporal on PostgreSQL, the engine on both', () => {
    expect(deps(compose.services.temporal!)).toContain('postgres');
    expect(compose.services.temporal!.environment?.DB).toMatch(/^postgres/);
    expect(deps(compose.services['temporal-ui']!)).toContain('temporal');
    expect(deps(compose.services.api!)).toEqual(expect.arrayContaining(['postgres']));
    expect(deps(compose.services.worker!).length).toBeGreaterThan(0);
    for (const name of ['api', 'worker']) {
      expect(compose.services[name]!.build, `${name} builds the engine image`).toBe('.');
      expect(compose.services[name]!.environment?.TEMPORAL_ADDRESS).toBe('temporal:7233');
      expect(compose.services[name]!.environment?.DATABASE_URL).toMatch(/@postgres:5432\//);
    }
  });

  it('builds the engine with a multi-stage Dockerfile', () => {
    const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8');
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/COPY --from=/);
  });
});
