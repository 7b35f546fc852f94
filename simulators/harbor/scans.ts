// Vulnerability scans as Harbor reports them. A scan takes its findings, duration and error
// flag from the scenario of the app when it starts; its status is then a function of time:
// Pending for the first third of the duration, Running until the end, then Success (or Error).
// Nothing runs in the background, so a scan survives a restart of the dev stack unchanged.
import { randomUUID } from 'node:crypto';
import type { Scenario } from '../common/scenario.js';
import type { HarborState, ScanRecord } from './state.js';

export const VULNERABILITY_REPORT_MIME = 'application/vnd.security.vulnerability.report; version=1.1';
export const SCANNER = { name: 'Trivy', vendor: 'Aqua Security', version: 'v0.50.1' } as const;

/** Highest first, as Harbor orders them. */
export const severities = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown', 'None'] as const;
export type Severity = (typeof severities)[number];
export type ScanStatus = 'Pending' | 'Running' | 'Scheduled' | 'Success' | 'Error' | 'Stopped';

export interface NativeReportSummary {
  report_id: string;
  scan_status: ScanStatus;
  severity?: Severity;
  duration: number;
  summary?: { total: number; fixable: number; summary: Partial<Record<Severity, number>> };
  start_time: string;
  end_time: string;
  complete_percent: number;
  scanner: typeof SCANNER;
}

export function scanStatus(record: ScanRecord, now = Date.now()): ScanStatus {
  if (record.stoppedAt !== undefined) return 'Stopped';
  const elapsed = now - record.startedAt;
  if (elapsed >= record.durationMs) return record.error ? 'Error' : 'Success';
  return elapsed < Math.floor(record.durationMs / 3) ? 'Pending' : 'Running';
}

export function isScanInFlight(record: ScanRecord | undefined, now = Date.now()): boolean {
  if (!record) return false;
  const status = scanStatus(record, now);
  return status === 'Pending' || status === 'Running' || status === 'Scheduled';
}

/** The highest severity with a nonzero count; None when nothing was found. */
export function overallSeverity(findings: ScanRecord['findings']): Severity {
  return severities.find((s) => s !== 'None' && (findings[s] ?? 0) > 0) ?? 'None';
}

export function reportSummary(record: ScanRecord, now = Date.now()): NativeReportSummary {
  const status = scanStatus(record, now);
  const start = new Date(record.startedAt).toISOString();
  const base = { report_id: record.reportId, scan_status: status, start_time: start, scanner: SCANNER };
  if (status === 'Pending' || status === 'Running' || status === 'Scheduled') {
    const pending = Math.floor(record.durationMs / 3);
    const running = Math.max(1, record.durationMs - pending);
    const percent = status === 'Running' ? Math.min(99, Math.floor(((now - record.startedAt - pending) / running) * 100)) : 0;
    return { ...base, duration: 0, end_time: '0001-01-01T00:00:00.000Z', complete_percent: Math.max(0, percent) };
  }
  if (status === 'Stopped') {
    const end = record.stoppedAt ?? now;
    return { ...base, duration: Math.round((end - record.startedAt) / 1000), end_time: new Date(end).toISOString(), complete_percent: 0 };
  }
  const end = record.startedAt + record.durationMs;
  const finished = { ...base, duration: Math.round(record.durationMs / 1000), end_time: new Date(end).toISOString(), complete_percent: 100 };
  if (status === 'Error') return finished;
  const counts: Partial<Record<Severity, number>> = {};
  let total = 0;
  for (const severity of severities) {
    const count = severity === 'None' ? 0 : (record.findings[severity] ?? 0);
    if (count > 0) counts[severity] = count;
    total += count;
  }
  return { ...finished, severity: overallSeverity(record.findings), summary: { total, fixable: 0, summary: counts } };
}

/** The `scan_overview` value of an artifact; undefined for an artifact never scanned. */
export function scanOverview(record: ScanRecord | undefined, now = Date.now()): Record<string, NativeReportSummary> | undefined {
  return record ? { [VULNERABILITY_REPORT_MIME]: reportSummary(record, now) } : undefined;
}

/** Starts a scan with the scenario's settings; the caller checks in-flight scans first. */
export function startScan(state: HarborState, repository: string, digest: string, scenario: Scenario, now = Date.now()): ScanRecord {
  const findings: ScanRecord['findings'] = {};
  for (const [severity, count] of Object.entries(scenario.scan.findings)) if (count) findings[severity as keyof typeof findings] = count;
  const record: ScanRecord = {
    reportId: randomUUID(),
    repository,
    digest,
    startedAt: now,
    durationMs: scenario.scan.durationMs,
    findings,
    error: scenario.scan.error,
  };
  state.putScan(record);
  return record;
}

export function stopScan(state: HarborState, record: ScanRecord, now = Date.now()): void {
  state.putScan({ ...record, stoppedAt: now });
}

/** The scenario key of a repository: the name after the Harbor project, `/` replaced by `-`. */
export function appKeyOf(repository: string): string {
  const slash = repository.indexOf('/');
  return (slash >= 0 ? repository.slice(slash + 1) : repository).replaceAll('/', '-');
}
