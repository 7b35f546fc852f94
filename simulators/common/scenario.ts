// What the simulated world does for a given app or repository: build outcome and log, scan
// findings, and how the app behaves once Argo CD syncs it. Set through the control API.
import { z } from 'zod';

export const severityNames = ['Critical', 'High', 'Medium', 'Low', 'Negligible', 'Unknown'] as const;

// Strict objects: a typo such as "reslt" is a 400, not a silently ignored knob.
export const scenarioSchema = z.strictObject({
  build: z
    .object({
      /** SUCCESS pushes the image; FAILURE/UNSTABLE/NOT_BUILT end the build with that result and push nothing. */
      result: z.enum(['SUCCESS', 'FAILURE', 'UNSTABLE', 'NOT_BUILT']).default('SUCCESS'),
      /** Time the build takes after it starts executing, in ms. */
      durationMs: z.number().int().min(0).max(3_600_000).default(300),
      /** Number of log lines the build writes, spread evenly over the duration. */
      logLines: z.number().int().min(0).max(1_000_000).default(20),
      /** Optional cap on the log rate (lines per second); 0 means "as the duration allows". */
      linesPerSecond: z.number().min(0).default(0),
      /** Time a queue item waits (Waiting -> Buildable -> Left), in ms. */
      queueMs: z.number().int().min(0).max(600_000).default(50),
      /** Prefix each build line with its write time in epoch ms (`[1733012345678] ...`), like the Timestamper plugin. */
      timestamps: z.boolean().default(false),
      /** Push the image manifest even if the build succeeds? false = "build succeeded but pushed nothing". */
      pushImage: z.boolean().default(true),
    })
    .strict()
    .prefault({}),
  scan: z
    .object({
      /** Counts of findings per severity; all zero = clean. */
      findings: z.partialRecord(z.enum(severityNames), z.number().int().min(0)).default({}),
      /** Time from scan start to Success, in ms. */
      durationMs: z.number().int().min(0).max(600_000).default(100),
      /** Scan ends with Error instead of Success. */
      error: z.boolean().default(false),
      /** Scan automatically on push (Harbor "scan on push"). */
      onPush: z.boolean().default(true),
    })
    .strict()
    .prefault({}),
  health: z
    .object({
      /** healthy | degraded | progressing (forever) | degraded-after (Healthy, then Degraded after `afterMs`). */
      outcome: z.enum(['healthy', 'degraded', 'progressing', 'degraded-after']).default('healthy'),
      /** Time spent Progressing before reaching the outcome, in ms. */
      progressingMs: z.number().int().min(0).max(3_600_000).default(200),
      /** For degraded-after: ms spent Healthy before turning Degraded. */
      afterMs: z.number().int().min(0).max(3_600_000).default(1_000),
      /** Sync operation fails (phase Failed) instead of succeeding. */
      syncFails: z.boolean().default(false),
    })
    .strict()
    .prefault({}),
});

export type Scenario = z.infer<typeof scenarioSchema>;
export type ScenarioInput = z.input<typeof scenarioSchema>;

export const defaultScenario: Scenario = scenarioSchema.parse({});

/**
 * Scenarios keyed by app name (`<workspaceId>-<userId>-<projectName>`) or by repository URL.
 * A lookup tries every key it is given, in order, then the default scenario.
 */
export class ScenarioStore {
  private readonly byKey = new Map<string, Scenario>();
  private fallback: Scenario = defaultScenario;

  set(key: string, input: ScenarioInput): Scenario {
    const scenario = scenarioSchema.parse(input);
    this.byKey.set(normalizeKey(key), scenario);
    return scenario;
  }

  setDefault(input: ScenarioInput): Scenario {
    this.fallback = scenarioSchema.parse(input);
    return this.fallback;
  }

  delete(key: string): boolean {
    return this.byKey.delete(normalizeKey(key));
  }

  reset(): void {
    this.byKey.clear();
    this.fallback = defaultScenario;
  }

  get(...keys: Array<string | undefined>): Scenario {
    for (const key of keys) {
      if (!key) continue;
      const found = this.byKey.get(normalizeKey(key));
      if (found) return found;
    }
    return this.fallback;
  }

  list(): Record<string, Scenario> {
    return Object.fromEntries(this.byKey);
  }
}

/** Repository URLs match with or without a trailing `.git` or `/`. */
export function normalizeKey(key: string): string {
  return key
    .trim()
    .replace(/\/+$/, '')
    .replace(/\.git$/, '');
}
