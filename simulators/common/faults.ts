// Fault injection for a simulator: a rate of 5xx answers, added latency and connections
// dropped mid-response, all drawn from a seeded PRNG so a failing run can be replayed.
import { z } from 'zod';
import type { MiddlewareHandler } from 'hono';
import { seededRandom } from './random.js';
import type { Counters } from './counters.js';

export const faultsSchema = z.strictObject({
  /** Share of requests (0..1) answered with a 5xx before reaching the simulator. */
  errorRate: z.number().min(0).max(1).default(0),
  /** Share of requests (0..1) whose connection is cut after the headers and half the body. */
  dropRate: z.number().min(0).max(1).default(0),
  /** Fixed latency added to every request, in ms. */
  latencyMs: z.number().int().min(0).max(60_000).default(0),
  /** Extra random latency, uniform in [0, jitterMs). */
  jitterMs: z.number().int().min(0).max(60_000).default(0),
  /** Seed of the PRNG; the same seed gives the same sequence of faults. */
  seed: z.number().int().default(1),
  /** Path prefixes exempt from faults (the control API always is). */
  exempt: z.array(z.string()).default([]),
});

export type Faults = z.infer<typeof faultsSchema>;
export type FaultsInput = z.input<typeof faultsSchema>;
export type FaultDecision = { error: boolean; drop: boolean; delayMs: number };

export class FaultInjector {
  private config: Faults = faultsSchema.parse({});
  private random = seededRandom(1);

  configure(input: FaultsInput): Faults {
    this.config = faultsSchema.parse(input);
    this.random = seededRandom(this.config.seed);
    return this.config;
  }

  get current(): Faults {
    return this.config;
  }

  /**
   * Decides what happens to one request. The PRNG is drawn exactly three times per request,
   * so the sequence of faults depends only on the seed and the order of requests.
   */
  decide(): FaultDecision {
    const [a, b, c] = [this.random(), this.random(), this.random()];
    const { errorRate, dropRate, latencyMs, jitterMs } = this.config;
    const error = a < errorRate;
    return { error, drop: !error && b < dropRate, delayMs: latencyMs + Math.floor(c * jitterMs) };
  }

  /** Hono middleware; requests under `controlPrefix` (the scenario API) are never faulted. */
  middleware(counters: Counters, controlPrefix = '/_sim'): MiddlewareHandler {
    const exempt = (path: string) => this.config.exempt.some((p) => path.startsWith(p));
    const decide = () => this.decide();
    return async function injectFaults(c, next) {
      const path = c.req.path;
      if (path.startsWith(controlPrefix) || exempt(path)) return next();
      const { error, drop, delayMs } = decide();
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      if (error) {
        counters.fault('error');
        return c.text('simulated upstream failure', 503);
      }
      await next();
      if (drop) {
        counters.fault('drop');
        c.res = await truncated(c.res);
      }
    };
  }
}

/**
 * A response that sends its headers (with the full Content-Length) and half its body, then
 * fails the stream: @hono/node-server destroys the socket, as a crashing proxy would.
 */
async function truncated(response: Response): Promise<Response> {
  const body = new Uint8Array(await response.arrayBuffer());
  const half = body.subarray(0, Math.floor(body.length / 2));
  const headers = new Headers(response.headers);
  headers.set('content-length', String(Math.max(body.length, 1)));
  // Without this, node-server may finish the response and keep the socket alive: the client
  // would wait for the missing bytes until a keep-alive timeout instead of seeing a cut.
  headers.set('connection', 'close');
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      if (half.length > 0) controller.enqueue(half);
    },
    pull(controller) {
      controller.error(new Error('simulated dropped connection'));
    },
  });
  return new Response(stream, { status: response.status, headers });
}
