// The simulated Jenkins' state: folders and jobs, queue items and builds. Plain data; the
// queue (queue.ts) and the build runner (runner.ts) change it, json.ts renders it.
import type { Scenario } from '../common/scenario.js';
import { MASK, type BuildLog } from './log.js';

export type BuildResult = 'SUCCESS' | 'UNSTABLE' | 'FAILURE' | 'NOT_BUILT' | 'ABORTED';

/** StringParameterDefinition or PasswordParameterDefinition (a Secret, never exported). */
export type ParameterType = 'string' | 'password';

export interface ParameterDefinition {
  name: string;
  type: ParameterType;
  defaultValue: string;
  description: string;
}

export interface ParameterValue {
  name: string;
  type: ParameterType;
  value: string;
}

export interface Cause {
  userId: string;
  userName: string;
}

export interface Job {
  kind: 'job';
  /** Path segments, e.g. ['platform', 'app-build']. */
  path: string[];
  name: string;
  fullName: string;
  /** Parameter definitions; undefined = not parameterized. */
  parameters?: ParameterDefinition[];
  disabled: boolean;
  nextBuildNumber: number;
  /** Oldest first. */
  builds: Build[];
}

export interface Folder {
  kind: 'folder';
  path: string[];
  name: string;
  fullName: string;
  children: Map<string, Item>;
}

export type Item = Job | Folder;

export type QueueStage = 'waiting' | 'buildable' | 'left';

export interface QueueItem {
  id: number;
  job: Job;
  params: ParameterValue[];
  causes: Cause[];
  scenario: Scenario;
  inQueueSince: number;
  /** End of the quiet period (WaitingItem.timestamp). */
  waitingUntil: number;
  buildableSince?: number;
  leftAt?: number;
  stage: QueueStage;
  cancelled: boolean;
  build?: Build;
  timer?: NodeJS.Timeout;
}

export interface Artifact {
  relativePath: string;
  fileName: string;
  content: Buffer;
}

export interface GitBuildData {
  sha: string;
  branch: string;
  remoteUrl: string;
}

export interface Build {
  job: Job;
  number: number;
  queueId: number;
  params: ParameterValue[];
  causes: Cause[];
  scenario: Scenario;
  /** Start time (ms since epoch). */
  timestamp: number;
  /** 0 while running. */
  duration: number;
  estimatedDuration: number;
  /** Time spent in the queue, for TimeInQueueAction. */
  queuedMs: number;
  /** May be set before the build ends (a failing pipeline sets it, then unwinds). */
  result: BuildResult | null;
  building: boolean;
  description: string | null;
  log: BuildLog;
  artifacts: Artifact[];
  git?: GitBuildData;
  abort: AbortController;
  abortedBy?: string;
  /** Settles when the build has finished (never rejects). */
  done?: Promise<void>;
}

/** Every value, password ones included: for the pipeline itself, never for an answer. */
export function parameterMap(params: ParameterValue[]): Record<string, string> {
  return Object.fromEntries(params.map((p) => [p.name, p.value]));
}

/** The values as they may be shown: a non-empty password is MASK, so callers still see whether it was set. */
export function shownParameterMap(params: ParameterValue[]): Record<string, string> {
  return Object.fromEntries(params.map((p) => [p.name, p.type === 'password' && p.value !== '' ? MASK : p.value]));
}

/** The non-empty password values, which the console log must never contain. */
export function secretValues(params: ParameterValue[]): string[] {
  return params.filter((p) => p.type === 'password' && p.value !== '').map((p) => p.value);
}
