// The GitHub simulator: GitHub's REST API on the paths the engine uses (repositories,
// branches, commits, repository webhooks, deployments and their statuses, GitHub App
// installations and their tokens), with GitHub's auth, error bodies and headers, webhook
// deliveries, git over smart HTTP for disk-backed repositories, and the shared /_sim control API.
//
//   const gh = createGitHubSimulator({ tokens: ['ghp_x'], repos: [{ owner: 'acme', repo: 'shop' }], webhookDelivery: httpWebhookDelivery() });
//   serve({ fetch: gh.app.fetch, port: 0 });   // then new Octokit({ baseUrl: <url> })
import { Hono } from 'hono';
import { createControlApi } from '../common/control.js';
import { Counters } from '../common/counters.js';
import { FaultInjector } from '../common/faults.js';
import { ScenarioStore } from '../common/scenario.js';
import { createAppControl } from './app-control.js';
import { createAppRoutes } from './app-routes.js';
import { AppRegistry } from './apps.js';
import { githubApiMiddleware, type GitHubEnv } from './auth.js';
import { callLogMiddleware } from './call-log.js';
import type { RouteDeps } from './context.js';
import { Credentials } from './credentials.js';
import { HookDeliverer } from './delivery.js';
import { createDeploymentRoutes } from './deployment-routes.js';
import { DOCS, githubError } from './errors.js';
import { createGitHttpRoutes } from './git-http.js';
import { GitStore } from './git-store.js';
import { createHookRoutes } from './hook-routes.js';
import { RateLimiter } from './rate-limit.js';
import { createRepoRoutes } from './repo-routes.js';
import { createGitHubControl } from './sim-control.js';
import { GitHubState } from './state.js';
import type { DeliveryRecord, GitHubSimulatorOptions, RecordedCall } from './types.js';

export type * from './types.js';
export { deploymentStates } from './types.js';
export { httpWebhookDelivery } from './delivery.js';
export { MAX_STATUS_DESCRIPTION } from './deployment-routes.js';
export { deliverWebhook, encodeWebhookBody, signGitHubPayload, pingPayload, pushPayload, ZERO_SHA } from './signature.js';
export type { GitHubEnv } from './auth.js';

export interface GitHubSimulator {
  app: Hono<GitHubEnv>;
  faults: FaultInjector;
  counters: Counters;
  /** Every API call, in order (live array; cleared by POST /_sim/reset). */
  calls: RecordedCall[];
  /** Every webhook delivery attempt, in order (live array). */
  deliveries: DeliveryRecord[];
  /** Resolves when background deliveries (pings) have finished. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

export function createGitHubSimulator(options: GitHubSimulatorOptions): GitHubSimulator {
  const webHost = options.webHost ?? 'github.com';
  const faults = new FaultInjector();
  const counters = new Counters();
  const state = new GitHubState(options.repos);
  const limiter = new RateLimiter(options.rateLimit ?? 5000);
  const deliverer = new HookDeliverer({ state, deliver: options.webhookDelivery, timeoutMs: options.deliveryTimeoutMs ?? 10_000, onError: options.onError });
  const apps = new AppRegistry();
  const credentials = new Credentials(options.tokens, apps);
  const store = new GitStore(options.gitRoot);
  const deps: RouteDeps = { state, deliverer, webHost, apps };

  const app = new Hono<GitHubEnv>();
  app.use('*', counters.middleware());
  app.use('*', faults.middleware(counters));
  app.use('*', callLogMiddleware(state.calls));
  app.use('*', githubApiMiddleware(credentials, limiter));

  const reset = () => {
    state.reset();
    limiter.reset();
    apps.reset();
    credentials.reset();
    store.clear().catch((error: unknown) => options.onError?.(error));
  };
  app.route('/_sim', createControlApi({ scenarios: options.scenarios ?? new ScenarioStore(), faults, counters, onReset: reset }));
  app.route('/_sim/github', createGitHubControl({ state, deliverer, limiter, tokens: options.tokens, webHost, store }));
  app.route('/_sim/github', createAppControl({ state, apps, credentials }));
  app.route('/', createGitHttpRoutes({ state, store, credentials, counters }));
  app.route('/', createAppRoutes(deps));
  app.route('/', createRepoRoutes(deps));
  app.route('/', createHookRoutes(deps));
  app.route('/', createDeploymentRoutes(deps));

  app.notFound((c) => (c.req.path.startsWith('/_sim') ? c.json({ error: 'not found' }, 404) : githubError(c, 404, 'Not Found', DOCS.root)));
  app.onError((error, c) => {
    options.onError?.(error);
    return githubError(c, 500, 'Server Error', DOCS.root);
  });

  return {
    app,
    faults,
    counters,
    calls: state.calls,
    deliveries: state.deliveries,
    settled: () => deliverer.settled(),
    close: async () => {
      await deliverer.settled();
      await store.clear();
    },
  };
}
