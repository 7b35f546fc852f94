// A client for the Harbor v2.0 API: artifacts (with scan overview and its summary), scans,
// deletion, and project robot accounts (create, find, refresh the secret, delete). Basic auth with
// a user or robot account and NO cookie jar (a session cookie turns on Harbor's CSRF check and
// POSTs start failing with 403). Repository names inside the project are double-encoded here
// (`ws1/app` -> `ws1%252Fapp`). Answers are validated with zod; failures are ClientErrors
// (clients/errors.ts) that say whether retrying can help, with Harbor's error code and the
// X-Request-Id of the answer (to find it in Harbor's logs). Which scans pass is the verify_image
// step's rule (activities/severity-gate.ts). Credentials are never put in messages or logs.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { ClientError, type ClientErrorKind, type ClientErrorOptions } from './errors.js';
import { DIGEST_PATTERN, describeNetworkError, isValidRepository, isValidTag, isValidDigest } from './oci.js';

const harborError = (kind: ClientErrorKind, message: string, options?: ClientErrorOptions) => new ClientError('harbor', kind, message, options);

export const VULNERABILITY_REPORT_MIME = 'application/vnd.security.vulnerability.report; version=1.1';
export const HARBOR_NATIVE_REPORT_MIME = 'application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0';

/** Lowest to highest, Harbor's order. */
export const SEVERITIES = ['None', 'Unknown', 'Negligible', 'Low', 'Medium', 'High', 'Critical'] as const;
export type Severity = (typeof SEVERITIES)[number];
export type FindingSeverity = Exclude<Severity, 'None'>;
export const FINDING_SEVERITIES: readonly FindingSeverity[] = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'];

export function severityRank(severity: Severity): number {
  return SEVERITIES.indexOf(severity);
}

// ---------------------------------------------------------------------------------------------
// Answers

const reportSummarySchema = z
  .object({
    report_id: z.string().optional(),
    scan_status: z.string(),
    severity: z.string().optional(),
    duration: z.number().optional(),
    start_time: z.string().optional(),
    end_time: z.string().optional(),
    complete_percent: z.number().optional(),
    scanner: z.object({ name: z.string().optional(), vendor: z.string().optional(), version: z.string().optional() }).nullish(),
    summary: z
      .object({
        total: z.number().optional(),
        fixable: z.number().optional(),
        summary: z.record(z.string(), z.number()).nullish(),
      })
      .nullish(),
  })
  .loose();
export type NativeReportSummary = z.infer<typeof reportSummarySchema>;

const tagSchema = z
  .object({
    id: z.number().optional(),
    name: z.string(),
    push_time: z.string().nullish(),
    pull_time: z.string().nullish(),
    immutable: z.boolean().optional(),
    signed: z.boolean().optional(),
  })
  .loose();
export type HarborTag = z.infer<typeof tagSchema>;

export const artifactSchema = z
  .object({
    id: z.number(),
    type: z.string().optional(),
    media_type: z.string().optional(),
    manifest_media_type: z.string().optional(),
    project_id: z.number().optional(),
    repository_id: z.number().optional(),
    digest: z.string().regex(DIGEST_PATTERN),
    size: z.number().optional(),
    push_time: z.string().optional(),
    pull_time: z.string().optional(),
    tags: z
      .array(tagSchema)
      .nullish()
      .transform((tags) => tags ?? []),
    references: z.array(z.object({ child_digest: z.string().optional() }).loose()).nullish(),
    extra_attrs: z.record(z.string(), z.unknown()).nullish(),
    scan_overview: z.record(z.string(), reportSummarySchema).nullish(),
  })
  .loose();
export type HarborArtifact = z.infer<typeof artifactSchema>;

const errorsSchema = z.object({ errors: z.array(z.object({ code: z.string().optional(), message: z.string().optional() }).loose()) }).loose();

const projectSchema = z.object({ project_id: z.number().int().positive(), name: z.string() }).loose();

const robotAccessSchema = z.object({ resource: z.string(), action: z.string(), effect: z.string().optional() }).loose();
const robotPermissionSchema = z.object({ kind: z.string(), namespace: z.string(), access: z.array(robotAccessSchema) }).loose();

/** POST /robots answers this once: the only time Harbor shows the secret. */
const robotCreatedSchema = z
  .object({
    id: z.number().int().positive(),
    name: z.string().min(1),
    secret: z.string().min(1),
    creation_time: z.string().optional(),
    expires_at: z.number().optional(),
  })
  .loose();
export type HarborRobotCreated = z.infer<typeof robotCreatedSchema>;

const robotSchema = z
  .object({
    id: z.number().int().positive(),
    name: z.string().min(1),
    level: z.string().optional(),
    disable: z.boolean().optional(),
    expires_at: z.number().optional(),
    duration: z.number().nullish(),
    permissions: z.array(robotPermissionSchema).nullish(),
    creation_time: z.string().optional(),
  })
  .loose();
export type HarborRobot = z.infer<typeof robotSchema>;

const robotSecretSchema = z.object({ secret: z.string().min(1) }).loose();

const systemInfoSchema = z.object({ harbor_version: z.string().optional() }).loose();
export type HarborSystemInfo = z.infer<typeof systemInfoSchema>;

// ---------------------------------------------------------------------------------------------
// Scan summary

export type ScanState = 'not-scanned' | 'pending' | 'running' | 'success' | 'error' | 'stopped';

export interface ScanSummary {
  status: ScanState;
  /** Overall severity once the scan succeeded (None = nothing found); null before. */
  severity: Severity | null;
  /** Findings per severity; all zero unless the scan succeeded. */
  counts: Record<FindingSeverity, number>;
  total: number;
  /** Harbor's own status string, e.g. "Running" (undefined when not scanned). */
  rawStatus?: string;
  completePercent?: number;
  reportId?: string;
}

const zeroCounts = (): Record<FindingSeverity, number> => ({ Critical: 0, High: 0, Medium: 0, Low: 0, Negligible: 0, Unknown: 0 });

/**
 * Reads an artifact's scan overview. A missing or empty `scan_overview` means NOT scanned,
 * never clean. The report is the vulnerability report (v1.1 key first, then Harbor's native
 * report, then any entry with a status). An unrecognised status counts as `error`.
 */
export function scanSummary(artifact: Pick<HarborArtifact, 'scan_overview'>): ScanSummary {
  const overview = artifact.scan_overview ?? {};
  const normalized = new Map(Object.entries(overview).map(([key, value]) => [key.replace(/\s+/g, '').toLowerCase(), value]));
  const report =
    normalized.get(VULNERABILITY_REPORT_MIME.replace(/\s+/g, '').toLowerCase()) ??
    normalized.get(HARBOR_NATIVE_REPORT_MIME.replace(/\s+/g, '').toLowerCase()) ??
    Object.values(overview).find((value) => typeof value?.scan_status === 'string');
  if (!report) return { status: 'not-scanned', severity: null, counts: zeroCounts(), total: 0 };
  const status = mapStatus(report.scan_status);
  const base = { status, rawStatus: report.scan_status, completePercent: report.complete_percent, reportId: report.report_id };
  if (status !== 'success') return { ...base, severity: null, counts: zeroCounts(), total: 0 };
  const counts = zeroCounts();
  for (const [key, value] of Object.entries(report.summary?.summary ?? {})) {
    const severity = FINDING_SEVERITIES.find((s) => s.toLowerCase() === key.toLowerCase());
    if (severity && Number.isFinite(value) && value > 0) counts[severity] += value;
  }
  const counted = FINDING_SEVERITIES.reduce((sum, s) => sum + counts[s], 0);
  const total = Math.max(counted, report.summary?.total ?? 0);
  // Trust whichever is worse: the reported severity or the highest nonzero count.
  const fromCounts: Severity = FINDING_SEVERITIES.find((s) => counts[s] > 0) ?? 'None';
  const reported = SEVERITIES.find((s) => s.toLowerCase() === (report.severity ?? '').toLowerCase());
  const severity = reported && severityRank(reported) > severityRank(fromCounts) ? reported : fromCounts;
  return { ...base, severity, counts, total };
}

function mapStatus(status: string): ScanState {
  switch (status.toLowerCase()) {
    case 'pending':
    case 'scheduled':
    case 'queued':
      return 'pending';
    case 'running':
      return 'running';
    case 'success':
      return 'success';
    case 'stopped':
      return 'stopped';
    default:
      return 'error';
  }
}

// ---------------------------------------------------------------------------------------------
// Client

export interface HarborClientOptions {
  /** e.g. https://harbor.example.com (no /api suffix) */
  baseUrl: string;
  username: string;
  password: string;
  /** the Harbor project images live in, e.g. 'apps' */
  project: string;
  /** per HTTP request, default 15 s */
  timeoutMs?: number;
  /** for tests */
  fetch?: typeof fetch;
}

export interface GetArtifactOptions {
  withScanOverview?: boolean;
}

export interface ListArtifactsOptions {
  /** Harbor's query, e.g. `tags=v1` or `tags=~rc` */
  q?: string;
  page?: number;
  /** at most 100 */
  pageSize?: number;
  withScanOverview?: boolean;
}

export interface CreateProjectRobotOptions {
  /** Harbor's robot name rule: lower case, `[a-z0-9]+([._-][a-z0-9]+)*`; shown as `robot$<project>+<name>`. */
  name: string;
  description?: string;
  /** Repository actions on the client's project, e.g. ['pull']. */
  repositoryActions: Array<'pull' | 'push'>;
  /** Days; -1 (default) never expires: rotation is by refreshing the secret. */
  durationDays?: number;
}

interface Answer {
  status: number;
  text: string;
  requestId?: string;
}

export class HarborClient {
  private readonly baseUrl: string;
  private readonly authorization: string;
  private readonly project: string;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof fetch;

  constructor(options: HarborClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.authorization = `Basic ${Buffer.from(`${options.username}:${options.password}`).toString('base64')}`;
    this.project = options.project;
    this.timeoutMs = options.timeoutMs ?? 15_000;
    this.fetchFn = options.fetch ?? fetch;
  }

  /** `GET /api/v2.0/ping` answers `Pong` (no auth involved). */
  async ping(): Promise<void> {
    const answer = await this.call('GET', '/api/v2.0/ping', { auth: false });
    if (answer.status !== 200 || answer.text.trim() !== 'Pong') throw this.failure('GET /api/v2.0/ping', answer);
  }

  /** `GET /api/v2.0/systeminfo` with credentials (anonymous callers get no `harbor_version`). */
  async systemInfo(): Promise<HarborSystemInfo> {
    const what = 'GET /api/v2.0/systeminfo';
    const answer = await this.call('GET', '/api/v2.0/systeminfo');
    if (answer.status !== 200) throw this.failure(what, answer);
    return parseJson(systemInfoSchema, answer, what);
  }

  /**
   * The artifact `reference` (tag or digest) of `repository` (the name inside the project,
   * e.g. `ws1/alice-shop`), or null when Harbor answers 404.
   */
  async getArtifact(repository: string, reference: string, options: GetArtifactOptions = {}): Promise<HarborArtifact | null> {
    const path = `${this.artifactPath(repository, reference)}?with_scan_overview=${options.withScanOverview ? 'true' : 'false'}&with_tag=true`;
    const what = `GET ${path}`;
    const answer = await this.call('GET', path);
    if (answer.status === 404) return null;
    if (answer.status !== 200) throw this.failure(what, answer);
    return parseJson(artifactSchema, answer, what);
  }

  async listArtifacts(repository: string, options: ListArtifactsOptions = {}): Promise<{ artifacts: HarborArtifact[]; total: number }> {
    const params = new URLSearchParams();
    if (options.q) params.set('q', options.q);
    params.set('page', String(options.page ?? 1));
    params.set('page_size', String(options.pageSize ?? 10));
    params.set('with_scan_overview', options.withScanOverview ? 'true' : 'false');
    const path = `${this.repositoryPath(repository)}/artifacts?${params.toString()}`;
    const what = `GET ${path}`;
    const answer = await this.call('GET', path);
    if (answer.status === 404) return { artifacts: [], total: 0 };
    if (answer.status !== 200) throw this.failure(what, answer);
    const artifacts = parseJson(z.array(artifactSchema), answer, what);
    return { artifacts, total: Number.isFinite(answer.total) ? (answer.total as number) : artifacts.length };
  }

  /**
   * Starts a scan: 'started' (202) or 'already-running' (409). Throws `unsupported` when the
   * scanner cannot scan the artifact (422, or 400 "does not support scanning": not an image), and
   * `not_found` for a missing artifact.
   */
  async triggerScan(repository: string, reference: string): Promise<'started' | 'already-running'> {
    const path = `${this.artifactPath(repository, reference)}/scan`;
    const what = `POST ${path}`;
    const answer = await this.call('POST', path);
    if (answer.status === 202) return 'started';
    if (answer.status === 409) return 'already-running';
    const error = harborErrorOf(answer);
    if (answer.status === 422 || (answer.status === 400 && /does not support scanning/i.test(error.message ?? ''))) {
      throw harborError('unsupported', `${what}: not scannable: ${error.message ?? answer.status}`, {
        status: answer.status,
        code: error.code,
        requestId: answer.requestId,
      });
    }
    if (answer.status === 404) throw harborError('not_found', `${what}: no such artifact`, { status: 404, code: error.code, requestId: answer.requestId });
    throw this.failure(what, answer);
  }

  /** Deletes an artifact (and all its tags): true when deleted, false when it did not exist. */
  async deleteArtifact(repository: string, reference: string): Promise<boolean> {
    const path = this.artifactPath(repository, reference);
    const answer = await this.call('DELETE', path);
    if (answer.status === 200 || answer.status === 202 || answer.status === 204) return true;
    if (answer.status === 404) return false;
    throw this.failure(`DELETE ${path}`, answer);
  }

  /**
   * Creates a project-level robot account in the client's project. Harbor shows the secret only
   * in this answer. Throws `conflict` (409) when a robot of that name exists there, `auth` when
   * this account may not create robots (a project robot never may: it takes
   * a project admin user or a system robot with robot permissions).
   */
  async createProjectRobot(options: CreateProjectRobotOptions): Promise<HarborRobotCreated> {
    const what = 'POST /api/v2.0/robots';
    const body = {
      name: options.name,
      description: options.description ?? '',
      level: 'project',
      duration: options.durationDays ?? -1,
      disable: false,
      permissions: [{ kind: 'project', namespace: this.project, access: options.repositoryActions.map((action) => ({ resource: 'repository', action })) }],
    };
    const answer = await this.call('POST', '/api/v2.0/robots', { body });
    if (answer.status === 201) return parseJson(robotCreatedSchema, answer, what);
    if (answer.status === 409) {
      const error = harborErrorOf(answer);
      throw harborError('conflict', `${what}: robot ${options.name} exists already in project ${this.project}${error.message ? `: ${error.message}` : ''}`, {
        status: 409,
        code: error.code,
        requestId: answer.requestId,
      });
    }
    throw this.failure(what, answer);
  }

  /**
   * The project robot named `name` (as given to createProjectRobot, without `robot$<project>+`),
   * or null. Harbor lists project robots only with `Level=project,ProjectID=<id>`.
   */
  async findProjectRobot(name: string): Promise<HarborRobot | null> {
    const projectId = await this.projectId();
    const params = new URLSearchParams({ q: `Level=project,ProjectID=${projectId},name=${this.project}+${name}`, page: '1', page_size: '10' });
    const path = `/api/v2.0/robots?${params.toString()}`;
    const what = `GET ${path}`;
    const answer = await this.call('GET', path);
    if (answer.status !== 200) throw this.failure(what, answer);
    const robots = parseJson(z.array(robotSchema).nullable(), answer, what) ?? [];
    return robots.find((robot) => robot.name.endsWith(`${this.project}+${name}`)) ?? null;
  }

  /** A new random secret for robot `id` (`PATCH /robots/{id}` with an empty secret); the old one stops working. */
  async refreshRobotSecret(id: number): Promise<string> {
    const path = `/api/v2.0/robots/${id}`;
    const what = `PATCH ${path}`;
    const answer = await this.call('PATCH', path, { body: {} });
    if (answer.status === 404)
      throw harborError('not_found', `${what}: no such robot`, { status: 404, code: harborErrorOf(answer).code, requestId: answer.requestId });
    if (answer.status !== 200) throw this.failure(what, answer);
    return parseJson(robotSecretSchema, answer, what).secret;
  }

  /** Deletes robot `id`: true when deleted, false when it did not exist. */
  async deleteRobot(id: number): Promise<boolean> {
    const path = `/api/v2.0/robots/${id}`;
    const answer = await this.call('DELETE', path);
    if (answer.status === 200) return true;
    if (answer.status === 404) return false;
    throw this.failure(`DELETE ${path}`, answer);
  }

  /** The numeric id of the client's project (robot queries take it). */
  async projectId(): Promise<number> {
    const path = `/api/v2.0/projects/${encodeURIComponent(this.project)}`;
    const what = `GET ${path}`;
    const answer = await this.call('GET', path);
    if (answer.status === 404)
      throw harborError('not_found', `${what}: project ${this.project} does not exist`, {
        status: 404,
        code: harborErrorOf(answer).code,
        requestId: answer.requestId,
      });
    if (answer.status !== 200) throw this.failure(what, answer);
    return parseJson(projectSchema, answer, what).project_id;
  }

  scanSummary(artifact: Pick<HarborArtifact, 'scan_overview'>): ScanSummary {
    return scanSummary(artifact);
  }

  /** `/api/v2.0/projects/<project>/repositories/<name double-encoded>` */
  private repositoryPath(repository: string): string {
    if (!isValidRepository(repository))
      throw harborError('invalid', `invalid repository name: ${JSON.stringify(repository)} (give the name inside project ${this.project})`);
    return `/api/v2.0/projects/${encodeURIComponent(this.project)}/repositories/${encodeURIComponent(encodeURIComponent(repository))}`;
  }

  private artifactPath(repository: string, reference: string): string {
    if (!isValidTag(reference) && !isValidDigest(reference)) {
      throw harborError('invalid', `invalid tag or digest: ${JSON.stringify(reference)} (tags match [A-Za-z0-9_][A-Za-z0-9._-]{0,127})`);
    }
    return `${this.repositoryPath(repository)}/artifacts/${encodeURIComponent(reference)}`;
  }

  /** One request; network failures, timeouts, 5xx/429 and bodies cut short are `unavailable`. */
  private async call(method: string, path: string, { auth = true, body }: { auth?: boolean; body?: unknown } = {}): Promise<Answer & { total?: number }> {
    const what = `${method} ${path}`;
    const headers: Record<string, string> = { accept: 'application/json', 'x-request-id': randomUUID() };
    if (auth) headers.authorization = this.authorization;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let response: Response;
    try {
      response = await this.fetchFn(`${this.baseUrl}${path}`, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
      });
    } catch (error) {
      throw harborError('unavailable', `${what}: ${describeNetworkError(error)}`, { cause: error });
    }
    const requestId = response.headers.get('x-request-id') ?? undefined;
    let text: string;
    try {
      text = await response.text();
    } catch (error) {
      throw harborError('unavailable', `${what}: connection dropped while reading the answer (${describeNetworkError(error)})`, {
        status: response.status,
        cause: error,
        requestId,
      });
    }
    if (response.status >= 500 || response.status === 429) {
      throw harborError('unavailable', `${what}: Harbor answered ${response.status}${summarize(text)}`, { status: response.status, requestId });
    }
    const total = response.headers.get('x-total-count');
    return { status: response.status, text, requestId, total: total === null ? undefined : Number(total) };
  }

  private failure(what: string, answer: Answer): ClientError {
    const error = harborErrorOf(answer);
    const detail = error.message ? `: ${error.message}` : '';
    if (answer.status === 401 || answer.status === 403) {
      // 401 bad credentials, 403 no permission on the project: both are the account's, not the request's.
      return harborError('auth', `${what}: ${answer.status === 401 ? 'unauthorized (check the Harbor user or robot account)' : 'forbidden'}${detail}`, {
        status: answer.status,
        code: error.code,
        requestId: answer.requestId,
      });
    }
    return harborError('protocol', `${what}: unexpected status ${answer.status}${detail}`, {
      status: answer.status,
      code: error.code,
      requestId: answer.requestId,
    });
  }
}

function harborErrorOf(answer: Answer): { code?: string; message?: string } {
  try {
    const parsed = errorsSchema.safeParse(JSON.parse(answer.text));
    return parsed.success ? (parsed.data.errors[0] ?? {}) : {};
  } catch {
    return {};
  }
}

function parseJson<T extends z.ZodType>(schema: T, answer: Answer, what: string): z.infer<T> {
  let json: unknown;
  try {
    json = JSON.parse(answer.text);
  } catch {
    throw harborError('protocol', `${what}: answer is not JSON${summarize(answer.text)}`, { status: answer.status, requestId: answer.requestId });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    throw harborError('protocol', `${what}: unexpected answer: ${z.prettifyError(parsed.error).slice(0, 300)}`, {
      status: answer.status,
      requestId: answer.requestId,
    });
  }
  return parsed.data;
}

function summarize(text: string): string {
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat ? ` (${flat.slice(0, 160)})` : '';
}
