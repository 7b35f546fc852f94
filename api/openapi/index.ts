// The engine's OpenAPI document for a configuration (local repository URLs are part of the
// project schema only when the stack allows them).
import { readFileSync } from 'node:fs';
import type { Env } from '../../lib/config.js';
import { buildOpenApi, type OpenApiDocument } from './document.js';
import { apiOperations } from './operations.js';

export type { OpenApiDocument } from './document.js';

const { version } = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };

export function openApiDocument(config: Pick<Env, 'ALLOW_LOCAL_REPOS' | 'PUBLIC_API_URL'>): OpenApiDocument {
  return buildOpenApi(apiOperations({ allowLocalRepos: config.ALLOW_LOCAL_REPOS }), { version, serverUrl: config.PUBLIC_API_URL });
}
