// Options of the Jenkins simulator and their defaults.
import type { ScenarioStore } from '../common/scenario.js';
import type { ParameterDefinition, ParameterType } from './model.js';

export interface JenkinsUser {
  name: string;
  apiToken: string;
  /** A password login (needs a CSRF crumb + session cookie for POSTs). */
  password?: string;
  /** Display name (Cause$UserIdCause.userName); defaults to `name`. */
  fullName?: string;
  /** Only Overall/Read + Job/Read: every POST answers 403. */
  readOnly?: boolean;
}

export interface JenkinsSimulatorOptions {
  /** Shared world (build outcome and timing per app / repository). */
  scenarios: ScenarioStore;
  users: JenkinsUser[];
  /** The parameterized pipeline job, e.g. 'platform/app-build' -> /job/platform/job/app-build. */
  jobPath: string;
  /**
   * Declared parameter names (default: DEFAULT_PARAMETERS; the names of PASSWORD_PARAMETERS are
   * password parameters), or definitions with defaults and a type.
   */
  parameters?: Array<string | { name: string; default?: string; description?: string; type?: ParameterType }>;
  /** Extra jobs without parameters (buildWithParameters answers 400 there), e.g. ['platform/cleanup']. */
  plainJobs?: string[];
  /** Where successful builds push their image. */
  registry: { url: string; username?: string; password?: string };
  /** Scratch folder for the checkouts (removed after each build). */
  workDir: string;
  /** X-Jenkins header. */
  version?: string;
  /** Quiet period when `delay` is not given (Jenkins' default: 5 s). */
  quietPeriodMs?: number;
  /** How long a left queue item stays visible (Jenkins: 5 minutes). */
  leftItemTtlMs?: number;
  /** Allow anonymous GETs (Overall/Read for anonymous). */
  anonymousRead?: boolean;
  /** Jenkins root URL used in `url` fields and Location headers; default: the request's origin. */
  rootUrl?: string;
  /** Number of executors shown by the root object (builds are never limited by it). */
  numExecutors?: number;
}

export const DEFAULT_PARAMETERS = [
  'DEPLOY_ID',
  'REPO_URL',
  'COMMIT_SHA',
  'BRANCH',
  'PROJECT_NAME',
  'USER_ID',
  'WORKSPACE_ID',
  'FRAMEWORK',
  'IMAGE_REPOSITORY',
  'IMAGE_TAG',
  'APP_PORT',
  'REPO_USERNAME',
  'REPO_TOKEN',
] as const;

/** The declared names that are password parameters (PasswordParameterDefinition), not strings. */
export const PASSWORD_PARAMETERS: readonly string[] = ['REPO_TOKEN'];

export const DEFAULT_VERSION = '2.462.3';

export interface ResolvedOptions extends Required<Omit<JenkinsSimulatorOptions, 'rootUrl' | 'parameters' | 'plainJobs'>> {
  rootUrl?: string;
  parameters: ParameterDefinition[];
  plainJobs: string[];
}

export function resolveOptions(o: JenkinsSimulatorOptions): ResolvedOptions {
  const parameters = (o.parameters ?? [...DEFAULT_PARAMETERS]).map((p): ParameterDefinition =>
    typeof p === 'string'
      ? { name: p, type: PASSWORD_PARAMETERS.includes(p) ? 'password' : 'string', defaultValue: '', description: '' }
      : { name: p.name, type: p.type ?? 'string', defaultValue: p.default ?? '', description: p.description ?? '' },
  );
  return {
    scenarios: o.scenarios,
    users: o.users,
    jobPath: o.jobPath,
    parameters,
    plainJobs: o.plainJobs ?? [],
    registry: o.registry,
    workDir: o.workDir,
    version: o.version ?? DEFAULT_VERSION,
    quietPeriodMs: o.quietPeriodMs ?? 5_000,
    leftItemTtlMs: o.leftItemTtlMs ?? 5 * 60_000,
    anonymousRead: o.anonymousRead ?? false,
    rootUrl: o.rootUrl?.replace(/\/+$/, ''),
    numExecutors: o.numExecutors ?? 2,
  };
}
