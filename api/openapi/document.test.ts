// The OpenAPI document is valid OpenAPI 3.1 (checked against the specification's own JSON
// Schema) and complete: every operation has a unique id, declares its path parameters, and
// every body and answer schema resolves.
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import { openApiDocument } from './index.js';

describe.each([false, true])('the OpenAPI document (local repositories allowed: %s)', (allowLocal) => {
  const doc = openApiDocument({ ALLOW_LOCAL_REPOS: allowLocal, PUBLIC_API_URL: 'https://deploy.example.com' });

  it('validates against the OpenAPI 3.1 schema', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('has unique operation ids, declares every path parameter and resolves every reference', () => {
    const ids = new Set<string>();
    for (const [path, methods] of Object.entries(doc.paths)) {
      for (const op of Object.values(methods) as { operationId: string; parameters?: { name: string; in: string }[] }[]) {
        expect(ids.has(op.operationId), op.operationId).toBe(false);
        ids.add(op.operationId);
        const declared = (op.parameters ?? [])
          .filter((p) => p.in === 'path')
          .map((p) => p.name)
          .sort();
        const inPath = [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1]!).sort();
        expect(declared, `${op.operationId} path parameters`).toEqual(inPath);
      }
    }
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/schemas\/([^"]+)"/g)].map((m) => m[1]!);
    expect(refs.length).toBeGreaterThan(20);
    for (const name of refs) expect(doc.components.schemas, name).toHaveProperty(name);
  });

  it('describes the project body with its real limits and whether local repositories are allowed', () => {
    const body = (doc.paths['/v1/projects'] as any).post.requestBody.content['application/json'].schema;
    expect(body.required).toEqual(['name', 'userId', 'repoUrl', 'appPort']);
    expect(body.additionalProperties).toBe(false);
    expect(body.properties.name).toMatchObject({ maxLength: 21, pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$' });
    expect(body.properties.appPort).toMatchObject({ type: 'integer', minimum: 1, maximum: 65535 });
    expect(doc.servers).toEqual([{ url: 'https://deploy.example.com' }]);
  });

  it('gives every bearer route 401, every role-guarded route 403 and every deploy-starting route 429', () => {
    for (const methods of Object.values(doc.paths)) {
      for (const op of Object.values(methods) as any[]) {
        const statuses = Object.keys(op.responses);
        if (op.security.some((s: object) => 'bearer' in s)) expect(statuses, op.operationId).toContain('401');
        if (op['x-required-role'] && op['x-required-role'] !== 'viewer') expect(statuses, op.operationId).toContain('403');
        if (['deploy', 'rollback', 'retryDeployment'].includes(op.operationId)) expect(statuses, op.operationId).toContain('429');
      }
    }
  });
});
