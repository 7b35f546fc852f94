// The scan gate: which scan summaries (as the Harbor client reads them) let a release through.
import { describe, expect, it } from 'vitest';
import { VULNERABILITY_REPORT_MIME, scanSummary } from '../clients/harbor.js';
import { meetsSeverityGate } from './severity-gate.js';

const report = (fields: Record<string, unknown>) => ({ scan_overview: { [VULNERABILITY_REPORT_MIME]: { scan_status: 'Success', ...fields } } });

describe('meetsSeverityGate', () => {
  const success = (severity: string, counts: Record<string, number>) =>
    scanSummary(report({ severity, summary: { total: Object.values(counts).reduce((a, b) => a + b, 0), summary: counts } }));

  it('fails on any finding at or above the threshold', () => {
    expect(meetsSeverityGate(success('High', { High: 1 }), 'Critical')).toBe(true);
    expect(meetsSeverityGate(success('Critical', { Critical: 1 }), 'Critical')).toBe(false);
    expect(meetsSeverityGate(success('High', { High: 1 }), 'High')).toBe(false);
    expect(meetsSeverityGate(success('Medium', { Medium: 2, Low: 1 }), 'High')).toBe(true);
    expect(meetsSeverityGate(success('Low', { Low: 1 }), 'Low')).toBe(false);
    expect(meetsSeverityGate(success('Unknown', { Unknown: 1 }), 'Negligible')).toBe(true);
    expect(meetsSeverityGate(success('None', {}), 'None')).toBe(true);
    expect(meetsSeverityGate(success('Negligible', { Negligible: 1 }), 'None')).toBe(false);
  });

  it('never passes a scan that did not succeed', () => {
    for (const status of ['Pending', 'Running', 'Error', 'Stopped'])
      expect(meetsSeverityGate(scanSummary(report({ scan_status: status })), 'Critical')).toBe(false);
  });
});
