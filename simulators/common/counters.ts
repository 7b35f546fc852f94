// Request counters per route (method + route pattern) and per injected fault, so tests can
// assert how many calls the engine made to each simulator.
import type { MiddlewareHandler } from 'hono';
import { routePath } from 'hono/route';

export class Counters {
  private readonly routes = new Map<string, number>();
  private readonly faults = { error: 0, drop: 0 };
  private total = 0;

  /** Counts every request by `METHOD route-pattern`, e.g. `GET /job/:path{.+}/api/json`. */
  middleware(controlPrefix = '/_sim'): MiddlewareHandler {
    const count = (key: string) => this.count(key);
    return async function countRequests(c, next) {
      if (c.req.path.startsWith(controlPrefix)) return next();
      await next();
      count(`${c.req.method} ${routePath(c, -1) || c.req.path}`);
    };
  }

  count(key: string): void {
    this.total += 1;
    this.routes.set(key, (this.routes.get(key) ?? 0) + 1);
  }

  fault(kind: 'error' | 'drop'): void {
    this.faults[kind] += 1;
  }

  snapshot(): { total: number; routes: Record<string, number>; faults: { error: number; drop: number } } {
    return { total: this.total, routes: Object.fromEntries(this.routes), faults: { ...this.faults } };
  }

  reset(): void {
    this.routes.clear();
    this.total = 0;
    this.faults.error = 0;
    this.faults.drop = 0;
  }
}
