// OpenAPI-driven fuzzing of the running API (a real socket): the document at /openapi.json is read
// over HTTP and thousands of requests are generated from it, fitting and breaking every schema,
// with hostile strings, wrong types, broken JSON, wrong media types, oversized bodies, other
// tenants' and missing tokens. Every answer must come within 10 s, never be a 5xx, use a status
// the document lists for the route, and (2xx) match the documented body. Every rejected request
// must leave the database and the GitOps repository exactly as they were. Afterwards a worker
// runs what was accepted, and the GitOps repository holds commits of accepted deploys only.
//
// FUZZ_RUNS (default 3000) and FUZZ_SEED (default fixed, printed) reproduce a run.
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startStack, type TestStack } from './support/stack.js';
import { createTenant, type Tenant } from './support/tenants.js';
import { seedHistory } from './support/seed.js';
import { createAppRepo } from './support/git.js';
import { serveOnLoopback, type Served } from '../simulators/common/serve.js';
import { SchemaArbitraries, hostileString, type JsonSchema } from './support/schema-arbitrary.js';
import { apiOperations } from '../api/openapi/operations.js';
import { createApiToken } from '../lib/token-admin.js';
import { signatureFor } from '../api/webhooks/signature.js';

const RUNS = Number(process.env.FUZZ_RUNS ?? 3000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
const REQUEST_TIMEOUT_MS = 10_000;

interface OpenApiOperation {
  operationId: string;
  parameters?: { name: string; in: 'path' | 'query' | 'header'; required?: boolean; schema: JsonSchema }[];
  requestBody?: { content: Record<string, { schema: JsonSchema }> };
  responses: Record<string, unknown>;
}
interface Doc {
  paths: Record<string, Record<string, OpenApiOperation>>;
  components: { schemas: Record<string, JsonSchema> };
}

interface FuzzRequest {
  method: string;
  template: string;
  operationId: string;
  url: string;
  headers: Record<string, string>;
  body?: string;
  /** The principal used, for the report. */
  as: string;
}

let stack: TestStack;
let served: Served;
let amber: Tenant;
let birch: Tenant;
let doc: Doc;
const known = { projects: [] as string[], expendable: [] as string[], deployments: [] as string[], tokens: [] as string[], secrets: [] as string[] };

beforeAll(async () => {
  // No worker while fuzzing: accepted deploys stay queued, so a request's effect is its own.
  stack = await startStack({ noWorker: true });
  served = await serveOnLoopback(stack.app.fetch);
  amber = await createTenant(stack, 'amber');
  birch = await createTenant(stack, 'birch');
  for (let i = 0; i < 3; i += 1) {
    const repo = createAppRepo(path.join(stack.dir, `src-${i}`));
    const created = await amber.call('admin', 'POST', '/v1/projects', { name: `app-${i}`, userId: 'ann', repoUrl: repo.url, appPort: 8080 });
    expect(created.status).toBe(201);
    const history = await seedHistory(stack.db, { id: created.body.id, workspaceId: 'amber' });
    known.projects.push(created.body.id);
    known.secrets.push(created.body.webhookSecret);
    known.deployments.push(history.previous, history.live, history.failed);
  }
  const theirs = await birch.call('admin', 'POST', '/v1/projects', {
    name: 'theirs',
    userId: 'bob',
    repoUrl: 'https://git.example.com/b/app.git',
    appPort: 80,
  });
  known.projects.push(theirs.body.id);
  // Projects the fuzzer may delete or give new secrets (the others must live to be deployed and
  // keep the secrets it signs webhooks with).
  for (let i = 0; i < 6; i += 1)
    known.expendable.push(
      (await amber.call('admin', 'POST', '/v1/projects', { name: `spare-${i}`, userId: 'ann', repoUrl: 'https://git.example.com/a/spare.git', appPort: 8080 }))
        .body.id,
    );
  // Tokens the fuzzer may revoke (never the ones it calls with).
  for (let i = 0; i < 3; i += 1) known.tokens.push((await createApiToken(stack.db, { workspaceId: 'amber', name: `spare ${i}`, role: 'viewer' })).id);
  doc = (await (await fetch(`${served.url}/openapi.json`)).json()) as Doc;
}, 120_000);
afterAll(async () => {
  await served?.close();
  await stack?.close();
});

/** Everything a request could change, hashed. Excluded: token last-use times (any authenticated
 *  call sets them) and the records of rejected webhook deliveries (kept on purpose, without body). */
async function fingerprint(): Promise<string> {
  const [row] = await stack.db.$queryRawUnsafe<{ hash: string | null }[]>(`
    SELECT md5(string_agg(x, '|' ORDER BY x)) AS hash FROM (
      SELECT 'w' || w::text AS x FROM "Workspace" w
      UNION ALL SELECT 't' || (t.id, t."workspaceId", t.name, t.role, t."tokenHash", t."expiresAt", t."revokedAt")::text FROM "ApiToken" t
      UNION ALL SELECT 'p' || p::text FROM "Project" p
      UNION ALL SELECT 'd' || d::text FROM "Deployment" d
      UNION ALL SELECT 's' || s::text FROM "DeploymentStep" s
      UNION ALL SELECT 'c' || (c."deploymentId", c."offset", c.length)::text FROM "BuildLogChunk" c
      UNION ALL SELECT 'h' || h::text FROM "WebhookDelivery" h WHERE h.outcome <> 'rejected'
      UNION ALL SELECT 'l' || l::text FROM "LogTicket" l
    ) rows`);
  const gitops = execFileSync('git', ['--git-dir', stack.gitopsRepo, 'for-each-ref', '--format=%(refname) %(objectname)'], { encoding: 'utf8' });
  return `${row?.hash ?? ''} ${gitops}`;
}

const pick = <T>(values: readonly T[]) => fc.constantFrom(...values);

function requestsFor(method: string, template: string, op: OpenApiOperation, schemas: SchemaArbitraries): fc.Arbitrary<FuzzRequest> {
  const params = op.parameters ?? [];
  const idFor = (name: string) =>
    pick(
      name === 'projectId'
        ? ['deleteProject', 'rotateWebhookSecret'].includes(op.operationId)
          ? known.expendable
          : known.projects
        : name === 'deploymentId'
          ? known.deployments
          : known.tokens,
    );
  const pathValue = (name: string, schema: JsonSchema) =>
    fc.oneof(
      { weight: 6, arbitrary: idFor(name) },
      { weight: 2, arbitrary: schemas.valid(schema).map(String) },
      { weight: 2, arbitrary: fc.oneof(hostileString, fc.string({ maxLength: 20 }), fc.string({ unit: 'binary', maxLength: 12 })) },
    );
  const pathArb = fc.record(Object.fromEntries(params.filter((p) => p.in === 'path').map((p) => [p.name, pathValue(p.name, p.schema)])));
  const queryParams = params.filter((p) => p.in === 'query');
  const queryArb = fc.oneof(
    fc.record(Object.fromEntries(queryParams.map((p) => [p.name, schemas.valid(p.schema).map(String)])), { requiredKeys: [] }),
    fc.record(Object.fromEntries(queryParams.map((p) => [p.name, schemas.invalid(p.schema).map((v) => (typeof v === 'string' ? v : JSON.stringify(v)))])), {
      requiredKeys: [],
    }),
    fc.dictionary(
      fc.oneof(fc.constantFrom('limit', 'cursor', 'offset', 'ticket', 'project', '__proto__'), fc.string({ maxLength: 8 })),
      fc.oneof(hostileString, fc.string({ maxLength: 10 })),
      { maxKeys: 3 },
    ),
  );
  const json = op.requestBody?.content['application/json']?.schema;
  const raw = !json && op.requestBody !== undefined;
  const bodyArb: fc.Arbitrary<{ body?: string; type?: string }> = raw
    ? fc.oneof(
        fc.constant({}),
        fc.string({ maxLength: 200 }).map((s) => ({ body: s, type: 'application/json' })),
        fc.jsonValue({ maxDepth: 3 }).map((v) => ({ body: JSON.stringify(v), type: 'application/json' })),
        fc
          .record({
            ref: fc.oneof(fc.constant('refs/heads/main'), hostileString),
            after: fc.oneof(fc.stringMatching(/^[0-9a-f]{40}$/), hostileString),
            repository: fc.record({ full_name: fc.string({ maxLength: 20 }) }),
          })
          .map((v) => ({ body: JSON.stringify(v), type: 'application/json' })),
        fc.string({ maxLength: 100 }).map((s) => ({ body: `payload=${encodeURIComponent(s)}`, type: 'application/x-www-form-urlencoded' })),
      )
    : json
      ? fc.oneof(
          { weight: 5, arbitrary: schemas.valid(json).map((v) => ({ body: JSON.stringify(v), type: 'application/json' })) },
          { weight: 4, arbitrary: schemas.invalid(json).map((v) => ({ body: JSON.stringify(v), type: 'application/json' })) },
          {
            weight: 2,
            arbitrary: fc.oneof(
              fc
                .constantFrom(
                  '{',
                  '{"a":',
                  '[1,2',
                  'nul',
                  '\u0000',
                  '{"name": "x"}}',
                  '{"__proto__": {"admin": true}}',
                  `{"pad": "${'x'.repeat(70_000)}"}`,
                  '['.repeat(5000) + ']'.repeat(5000),
                )
                .map((body) => ({ body, type: 'application/json' })),
              schemas.valid(json).map((v) => ({ body: JSON.stringify(v), type: 'text/plain' })),
              schemas.valid(json).map((v) => ({
                body: new URLSearchParams(Object.entries((v ?? {}) as Record<string, string>)).toString(),
                type: 'application/x-www-form-urlencoded',
              })),
              fc.constant({}),
            ),
          },
        )
      : fc.oneof(
          { weight: 4, arbitrary: fc.constant({}) },
          { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => ({ body: JSON.stringify(v), type: 'application/json' })) },
        );
  const authArb = fc.oneof(
    { weight: 14, arbitrary: fc.constant(['amber admin', `Bearer ${amber.tokens.admin}`] as const) },
    { weight: 2, arbitrary: fc.constant(['amber viewer', `Bearer ${amber.tokens.viewer}`] as const) },
    { weight: 2, arbitrary: fc.constant(['birch admin', `Bearer ${birch.tokens.admin}`] as const) },
    { weight: 1, arbitrary: fc.constant(['nobody', ''] as const) },
    {
      weight: 1,
      arbitrary: fc.oneof(hostileString, fc.string({ maxLength: 30 })).map((s) => ['garbage', `Bearer ${s}`.replace(/[^\x20-\x7e]/g, '')] as const),
    }, // what a header can carry
  );
  const webhookHeaders = fc.record({
    'x-github-event': fc.oneof(
      fc.constantFrom('push', 'ping', 'issues'),
      fc.string({ maxLength: 10 }).map((s) => s.replace(/[^\x20-\x7e]/g, '')),
    ),
    'x-github-delivery': fc.oneof(fc.uuid(), fc.constant(randomUUID())),
    sign: fc.oneof(
      { weight: 4, arbitrary: fc.constant('right') },
      { weight: 1, arbitrary: fc.constant('another project') },
      { weight: 1, arbitrary: fc.constant('none') },
      { weight: 1, arbitrary: fc.string({ maxLength: 20 }).map((s) => `sha256=${s.replace(/[^\x20-\x7e]/g, '')}`) },
    ),
    // Which seeded project the hook is for (the amber ones, whose secrets the fuzzer holds).
    target: fc.nat(known.secrets.length - 1),
  });
  return fc.record({ path: pathArb, query: queryArb, body: bodyArb, auth: authArb, hook: webhookHeaders }).map(({ path: values, query, body, auth, hook }) => {
    const pathname = template.replace(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values[name] ?? ''));
    const search = new URLSearchParams(Object.entries(query).filter(([, v]) => typeof v === 'string') as [string, string][]).toString();
    if (op.operationId === 'githubWebhook' && !('project' in query)) {
      // Most deliveries address a real project, as registered hooks do.
      const secret = known.secrets[hook.sign === 'another project' ? (hook.target + 1) % known.secrets.length : hook.target]!;
      return webhookRequest(method, template, op, `${pathname}?project=${known.projects[hook.target]}`, body, hook, secret);
    }
    const headers: Record<string, string> = {};
    if (auth[1]) headers.authorization = auth[1];
    const sendsBody = method !== 'get'; // fetch cannot send a GET body
    if (body.type && sendsBody) headers['content-type'] = body.type;
    return {
      method: method.toUpperCase(),
      template,
      operationId: op.operationId,
      url: `${served.url}${pathname}${search ? `?${search}` : ''}`,
      headers,
      body: sendsBody ? body.body : undefined,
      as: auth[0],
    };
  });
}

function webhookRequest(
  method: string,
  template: string,
  op: OpenApiOperation,
  target: string,
  body: { body?: string; type?: string },
  hook: { 'x-github-event': string; 'x-github-delivery': string; sign: string },
  secret: string,
): FuzzRequest {
  const payload = body.body ?? '';
  const headers: Record<string, string> = {
    'x-github-event': hook['x-github-event'],
    'x-github-delivery': hook['x-github-delivery'],
    'content-type': body.type ?? 'application/json',
  };
  if (hook.sign === 'right' || hook.sign === 'another project') headers['x-hub-signature-256'] = signatureFor(secret, Buffer.from(payload));
  else if (hook.sign !== 'none') headers['x-hub-signature-256'] = hook.sign;
  return {
    method: method.toUpperCase(),
    template,
    operationId: op.operationId,
    url: `${served.url}${target}`,
    headers,
    body: payload,
    as: `webhook (${hook.sign === 'right' ? 'signed' : hook.sign === 'another project' ? "signed with another project's secret" : 'unsigned'})`,
  };
}

/** The operation a URL really reaches (URL parsing folds `..` and `%2e%2e`). */
function reaches(template: string, url: string): boolean {
  const pattern = new RegExp(`^${template.replace(/\{\w+\}/g, '[^/]+')}$`);
  return pattern.test(new URL(url).pathname);
}

describe('OpenAPI fuzz', () => {
  const accepted = new Set<string>();

  it(`${RUNS} generated requests: no 5xx, no hang, only documented answers, and nothing changed by a rejected one`, async () => {
    const schemas = new SchemaArbitraries(doc.components.schemas);
    const operations = Object.entries(doc.paths).flatMap(([template, methods]) => Object.entries(methods).map(([method, op]) => ({ template, method, op })));
    expect(operations.length).toBe(apiOperations({ allowLocalRepos: true }).length);
    const perOperation = Math.ceil(RUNS / operations.length);
    const perRoute = operations.map(({ template, method, op }, i) =>
      fc.sample(requestsFor(method, template, op, schemas), { numRuns: perOperation, seed: SEED + i }),
    );
    // Round robin over the routes, so that creations, deletions and reads interleave.
    const requests = Array.from({ length: perOperation }, (_, j) => perRoute.map((list) => list[j]!)).flat();
    const failures: string[] = [];
    const statuses = new Map<string, number>();
    const byOperation = new Map<string, Record<number, number>>();
    let rejected = 0;
    let before = await fingerprint();
    for (const request of requests) {
      const label = `${request.method} ${request.url.replace(served.url, '').slice(0, 120)} as ${request.as} (body ${request.body?.length ?? 0} bytes)`;
      let status: number;
      let text: string;
      try {
        const res = await fetch(request.url, {
          method: request.method,
          headers: request.headers,
          body: request.body,
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        });
        status = res.status;
        text = await res.text();
      } catch (error) {
        failures.push(`${label}: no answer (${error instanceof Error ? error.message : String(error)})`);
        continue;
      }
      statuses.set(`${status}`, (statuses.get(`${status}`) ?? 0) + 1);
      const mine = byOperation.get(request.operationId) ?? {};
      mine[status] = (mine[status] ?? 0) + 1;
      byOperation.set(request.operationId, mine);
      const op = doc.paths[request.template]![request.method.toLowerCase()]!;
      const onRoute = reaches(request.template, request.url);
      if (status >= 500) failures.push(`${label}: ${status} ${text.slice(0, 200)}`);
      else if (onRoute && !(String(status) in op.responses))
        failures.push(`${label}: ${status} is not a documented answer of ${request.operationId} (${text.slice(0, 160)})`);
      const after = await fingerprint();
      if (status >= 400) {
        rejected += 1;
        if (after !== before) failures.push(`${label}: rejected with ${status}, yet the database or GitOps repository changed`);
        if (!/^\s*\{"error":\{"code":"[a-z_]+","message":/.test(text)) failures.push(`${label}: ${status} without the error shape: ${text.slice(0, 120)}`);
      } else if (onRoute) {
        const definition = apiOperations({ allowLocalRepos: true }).find((o) => o.operationId === request.operationId)!;
        const schema = definition.responses[status]?.schema;
        if (schema && definition.responses[status]?.contentType !== 'text/plain') {
          const parsed = schema.safeParse(JSON.parse(text));
          if (!parsed.success) failures.push(`${label}: ${status} body does not match the document: ${parsed.error.message.slice(0, 200)}`);
          else if (/^(deploy|rollback|retryDeployment)$/.test(request.operationId)) accepted.add((parsed.data as { id: string }).id);
          else if (request.operationId === 'githubWebhook')
            for (const r of (parsed.data as { results: { deploymentId?: string }[] }).results) if (r.deploymentId) accepted.add(r.deploymentId);
        }
      }
      before = after;
    }
    console.log(`fuzz: seed ${SEED}, ${requests.length} requests, ${rejected} rejected, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`);
    console.log(`fuzz: by operation ${JSON.stringify(Object.fromEntries(byOperation))}`);
    expect(failures.slice(0, 20)).toEqual([]);
    expect(requests.length).toBeGreaterThanOrEqual(RUNS);
    // The API is still whole.
    expect((await fetch(`${served.url}/healthz`)).status).toBe(200);
  }, 600_000);

  it('the deploys it accepted run, and the GitOps repository holds only their commits, inside their own folders', async () => {
    expect(accepted.size).toBeGreaterThan(0);
    // Last in each seeded lane: a plain deploy of the branch, so some releases really go out.
    for (const projectId of known.projects.slice(0, 3)) {
      const last = await amber.call('deployer', 'POST', `/v1/projects/${projectId}/deployments`, {});
      expect(last.status).toBe(202);
      accepted.add(last.body.id);
    }
    const headBefore = execFileSync('git', ['--git-dir', stack.gitopsRepo, 'rev-parse', 'main'], { encoding: 'utf8' }).trim();
    await stack.startWorker();
    const deadline = Date.now() + 240_000;
    while ((await stack.db.deployment.count({ where: { status: { in: ['queued', 'running'] } } })) > 0) {
      if (Date.now() > deadline) throw new Error('accepted deploys did not finish within 240 s');
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    const log = execFileSync(
      'git',
      ['--git-dir', stack.gitopsRepo, 'log', '--format=%x1e%(trailers:key=Deployment-Id,valueonly)', '--name-only', `${headBefore}..main`],
      { encoding: 'utf8' },
    );
    const commits = log.split('\x1e').filter((c) => c.trim());
    const projects = new Map((await stack.db.project.findMany()).map((p) => [p.id, p]));
    for (const commit of commits) {
      const [id, ...files] = commit.trim().split('\n').filter(Boolean);
      const deployment = await stack.db.deployment.findUniqueOrThrow({ where: { id: id! } });
      // An automatic rollback answers the accepted deploy that failed.
      const answers = deployment.trigger === 'auto_rollback' ? deployment.causeDeploymentId : deployment.id;
      expect(accepted.has(answers ?? ''), `commit for ${id} answers an accepted request`).toBe(true);
      const project = projects.get(deployment.projectId)!;
      for (const file of files) expect(file.startsWith(`apps/${project.workspaceId}/${project.userId}/${project.name}/`), file).toBe(true);
    }
    expect(commits.length).toBeGreaterThanOrEqual(3);
    console.log(`fuzz: ${accepted.size} accepted deploys, ${commits.length} GitOps commits`);
  }, 300_000);
});
