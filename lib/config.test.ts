import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ConfigError, envSchema, loadConfig } from './config.js';

const base = { DATABASE_URL: 'postgresql://u@127.0.0.1:5432/db' };

function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.API_PORT).toBe(3000);
    expect(config.AWAIT_LIVE_TIMEOUT).toBe(600_000);
    expect(config.AUTO_ROLLBACK).toBe(true);
    expect(config.SCAN_FAIL_SEVERITY).toBe('Critical');
  });

  it('parses durations, flags and ports', () => {
    const config = loadConfig({ ...base, AWAIT_LIVE_TIMEOUT: '90s', BUILD_TIMEOUT: '1h', DEGRADED_GRACE: '250ms', AUTO_ROLLBACK: 'false', API_PORT: '8080' });
    expect(config.AWAIT_LIVE_TIMEOUT).toBe(90_000);
    expect(config.BUILD_TIMEOUT).toBe(3_600_000);
    expect(config.DEGRADED_GRACE).toBe(250);
    expect(config.AUTO_ROLLBACK).toBe(false);
    expect(config.API_PORT).toBe(8080);
  });

  it('names each wrong variable and what it expects', () => {
    const problems = problemsOf({
      ...base,
      API_PORT: '70000',
      AUTO_ROLLBACK: 'maybe',
      AWAIT_LIVE_TIMEOUT: 'ten minutes',
      JENKINS_URL: 'jenkins',
      SCAN_FAIL_SEVERITY: 'Severe',
    });
    expect(problems).toHaveLength(5);
    expect(problems.find((p) => p.startsWith('API_PORT'))).toMatch(/port number from 1 to 65535.*"70000"/);
    expect(problems.find((p) => p.startsWith('AUTO_ROLLBACK'))).toMatch(/true or false/);
    expect(problems.find((p) => p.startsWith('AWAIT_LIVE_TIMEOUT'))).toMatch(/duration such as/);
    expect(problems.find((p) => p.startsWith('JENKINS_URL'))).toMatch(/absolute URL/);
    expect(problems.find((p) => p.startsWith('SCAN_FAIL_SEVERITY'))).toMatch(/Critical/);
  });

  it('requires DATABASE_URL and never echoes secret values', () => {
    expect(problemsOf({})).toContain('DATABASE_URL is required');
    const problems = problemsOf({ ...base, DEV_API_TOKEN: 'short-secret' });
    expect(problems[0]).toMatch(/^DEV_API_TOKEN must be at least 16 characters$/);
    expect(problems.join()).not.toContain('short-secret');
  });

  it('treats empty values as unset', () => {
    expect(loadConfig({ ...base, API_PORT: '', GITHUB_TOKEN: '' }).API_PORT).toBe(3000);
  });

  it('.env.example lists exactly the settings of the schema, with their defaults', () => {
    const text = readFileSync(new URL('../.env.example', import.meta.url), 'utf8');
    const entries = Object.fromEntries(
      text
        .split('\n')
        .filter((line) => /^[A-Z0-9_]+=/.test(line))
        .map((line) => [line.slice(0, line.indexOf('=')), line.slice(line.indexOf('=') + 1)]),
    );
    expect(Object.keys(entries).sort()).toEqual(Object.keys(envSchema.shape).sort());
    // Every non-empty value in the example parses, and equals the default it documents.
    const documented = Object.fromEntries(Object.entries(entries).filter(([, v]) => v !== ''));
    const fromExample = loadConfig({ ...documented, ...base });
    const defaults = loadConfig(base);
    for (const key of Object.keys(documented)) {
      if (key === 'DATABASE_URL') continue;
      expect.soft(fromExample[key as keyof typeof fromExample], key).toEqual(defaults[key as keyof typeof defaults]);
    }
  });
});
