// The scan gate of the verify_image step (activities/registry.ts): which vulnerability scans let
// a release through. Pure; the summary it reads is the Harbor client's (clients/harbor.ts
// scanSummary), and SCAN_FAIL_SEVERITY sets the threshold.
import { FINDING_SEVERITIES, severityRank, type ScanSummary, type Severity } from '../clients/harbor.js';

/**
 * Does a scan pass the gate? `threshold` like 'Critical': any finding at or above it fails
 * ('None' fails on any finding). Only a successful scan can pass: not scanned, pending,
 * running, error and stopped all answer false (check `summary.status` to tell them apart).
 */
export function meetsSeverityGate(summary: ScanSummary, threshold: Severity): boolean {
  if (summary.status !== 'success') return false;
  const bar = Math.max(severityRank(threshold), severityRank('Unknown'));
  if (summary.severity && summary.severity !== 'None' && severityRank(summary.severity) >= bar) return false;
  return FINDING_SEVERITIES.every((s) => summary.counts[s] === 0 || severityRank(s) < bar);
}
