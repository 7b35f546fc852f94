// The OpenAPI 3.1 document, built from the operation list and its zod schemas (z.toJSONSchema,
// JSON Schema 2020-12, which OpenAPI 3.1 uses as is). Request schemas are rendered as their
// input (defaults optional, coercions as their target type), answers as their output.
import { z } from 'zod';
import type { Operation } from './operations.js';
import { errorSchema } from './responses.js';

type JsonSchema = Record<string, unknown>;

/** The named schemas (those with `.meta({ id })`) end up under components.schemas. */
function converter() {
  const components: Record<string, JsonSchema> = {};
  const render = (schema: z.ZodType, io: 'input' | 'output'): JsonSchema => {
    const json = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io,
      unrepresentable: 'any',
      reused: 'inline',
      cycles: 'ref',
    }) as JsonSchema & { $defs?: Record<string, JsonSchema> };
    // Named sub-schemas (`.meta({ id })`) come out as $defs: they become the document's components.
    const moved = JSON.parse(JSON.stringify(json).replaceAll('"#/$defs/', '"#/components/schemas/')) as typeof json;
    for (const [name, def] of Object.entries(moved.$defs ?? {})) components[name] = def;
    delete moved.$defs;
    delete moved.$schema;
    return moved;
  };
  return { render, components };
}

const STATUS_TEXT: Record<number, string> = {
  400: 'The input broke a rule: `details` names each field and rule',
  401: 'Missing, invalid, expired or revoked credentials',
  403: "The token's role is too low for this route",
  404: "Not found in the token's workspace (another workspace's resources are not found either)",
  413: 'The body is larger than allowed',
  415: 'The body is not JSON',
  429: 'Too many deploy requests for this token, or too many deployments waiting to start (`queue_full`); see Retry-After',
  503: 'Temporal is unavailable: nothing was started',
};

const ROLE_TEXT = { viewer: 'a token of any role', deployer: 'a deployer or admin token', admin: 'an admin token' } as const;

function errorsOf(op: Operation): Record<number, string> {
  const errors: Record<number, string> = {};
  const inputs = op.params || op.query || op.body;
  if (inputs) errors[400] = STATUS_TEXT[400]!;
  if (op.auth !== 'none') errors[401] = STATUS_TEXT[401]!;
  if (op.role && op.role !== 'viewer') errors[403] = STATUS_TEXT[403]!;
  if (op.params) errors[404] = STATUS_TEXT[404]!;
  if (op.body || op.rawBody) errors[413] = STATUS_TEXT[413]!;
  if (op.body) errors[415] = STATUS_TEXT[415]!;
  if (op.startsDeploy) errors[429] = STATUS_TEXT[429]!;
  if (op.usesTemporal) errors[503] = STATUS_TEXT[503]!;
  return { ...errors, ...op.errors };
}

function bodyOf(schema: JsonSchema) {
  return { required: Array.isArray(schema.required) && schema.required.length > 0, content: { 'application/json': { schema } } };
}

export interface OpenApiOptions {
  version: string;
  serverUrl?: string;
}

export function buildOpenApi(operations: Operation[], { version, serverUrl }: OpenApiOptions) {
  const { render, components } = converter();
  // Registers the Error component and answers its reference.
  const errorRef = render(errorSchema, 'output');

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of operations) {
    const parameters: unknown[] = [];
    for (const [name, schema] of Object.entries(op.params ?? {})) parameters.push({ name, in: 'path', required: true, schema: render(schema, 'input') });
    if (op.query) {
      const query = render(op.query, 'input') as { properties?: Record<string, JsonSchema>; required?: string[] };
      for (const [name, schema] of Object.entries(query.properties ?? {})) {
        parameters.push({
          name,
          in: 'query',
          required: query.required?.includes(name) ?? false,
          schema,
          ...(schema.description ? { description: schema.description } : {}),
        });
      }
    }
    for (const [name, header] of Object.entries(op.headers ?? {})) {
      parameters.push({ name, in: 'header', required: header.required ?? false, description: header.description, schema: render(header.schema, 'input') });
    }

    const responses: Record<string, unknown> = {};
    for (const [status, res] of Object.entries(op.responses)) {
      responses[status] = {
        description: res.description,
        ...(res.headers
          ? { headers: Object.fromEntries(Object.entries(res.headers).map(([name, value]) => [name, { schema: { type: 'string', const: value } }])) }
          : {}),
        ...(res.schema ? { content: { [res.contentType ?? 'application/json']: { schema: render(res.schema, 'output') } } } : {}),
      };
    }
    for (const [status, description] of Object.entries(errorsOf(op))) {
      responses[status] = {
        description,
        ...(status === '429' ? { headers: { 'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } } } } : {}),
        content: { 'application/json': { schema: errorRef } },
      };
    }

    const security =
      op.auth === 'bearer'
        ? [{ bearer: [] }]
        : op.auth === 'bearer-or-ticket'
          ? [{ bearer: [] }, { logTicket: [] }]
          : op.auth === 'signature'
            ? [{ githubSignature: [] }]
            : op.auth === 'pull-token'
              ? [{ pullCredentialsToken: [] }]
              : [];
    const role = op.role ? ` Needs ${ROLE_TEXT[op.role]}.` : '';
    (paths[op.path] ??= {})[op.method] = {
      operationId: op.operationId,
      summary: op.summary,
      ...(op.description || role ? { description: `${op.description ?? ''}${role}`.trim() } : {}),
      tags: [op.tag],
      security,
      ...(op.role ? { 'x-required-role': op.role } : {}),
      ...(parameters.length ? { parameters } : {}),
      // A body whose fields are all optional may be left out (an empty body reads as {}).
      ...(op.body ? { requestBody: bodyOf(render(op.body, 'input')) } : {}),
      ...(op.rawBody ? { requestBody: { required: true, content: Object.fromEntries(op.rawBody.map((type) => [type, { schema: { type: 'string' } }])) } } : {}),
      responses,
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Deploy engine API',
      version,
      description:
        'Push-to-deploy on your own Jenkins, Harbor, GitOps repository and Argo CD. Every /v1 route except webhooks takes `Authorization: Bearer <token>`; a token belongs to one workspace and has a role (viewer, deployer, admin).',
    },
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    tags: ['projects', 'deployments', 'logs', 'tokens', 'workspace', 'webhooks', 'cluster', 'health'].map((name) => ({ name })),
    paths,
    components: {
      schemas: components,
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (scripts/tokens.ts or POST /v1/tokens)' },
        logTicket: {
          type: 'apiKey',
          in: 'query',
          name: 'ticket',
          description: 'A single-use ticket from POST .../log-tickets (browsers cannot set headers on WebSockets)',
        },
        githubSignature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Hub-Signature-256',
          description: "HMAC-SHA256 of the raw body with the project's webhook secret",
        },
        pullCredentialsToken: {
          type: 'http',
          scheme: 'bearer',
          description: "The engine's PULL_CREDENTIALS_TOKEN (External Secrets' ClusterSecretStore), not a workspace token",
        },
      },
    },
  };
}

export type OpenApiDocument = ReturnType<typeof buildOpenApi>;
