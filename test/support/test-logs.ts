// Where the logs of a test's engine go: through console.error, which vitest files under the test
// that is running. With `silent: 'passed-only'` (vitest.config.ts) a passing test prints none of
// them — the simulated faults, the expected failures, the retries — and a failing test prints
// its own under its failure. No vitest import: the benchmarks use this too (their logs go to
// stderr as before).
import { DefaultLogger, type LogEntry, type LogLevel } from '@temporalio/worker';

/** A line of the engine's logger (lib/logger.ts), without its newline. */
export function writeTestLog(line: string): void {
  console.error(line.replace(/\n$/, ''));
}

/**
 * The Temporal Runtime's logger for tests: WARN and up (activity failures and retries, worker
 * trouble), through console.error as above. Install it once per process with Runtime.install.
 */
export function testRuntimeLogger(level: LogLevel = 'WARN'): DefaultLogger {
  return new DefaultLogger(level, (entry: LogEntry) => {
    // The task token is an opaque blob: it tells a reader nothing.
    const { taskToken: _token, ...rest } = entry.meta ?? {};
    const meta = Object.keys(rest).length > 0 ? rest : undefined;
    if (meta) console.error(`[temporal ${entry.level}] ${entry.message}`, meta);
    else console.error(`[temporal ${entry.level}] ${entry.message}`);
  });
}
