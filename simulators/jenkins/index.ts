// The Jenkins simulator: the remote access API of a Jenkins controller with one parameterized
// pipeline job (plus optional plain jobs), whose builds really check out the repository and
// push a real image. The facts it honours are listed in docs/simulators.md (Jenkins section).
//
//   const jenkins = createJenkinsSimulator({ scenarios, users, jobPath: 'platform/app-build', registry, workDir });
//   serve({ fetch: jenkins.app.fetch, port: 0 });
import { randomBytes } from 'node:crypto';
import { Hono } from 'hono';
import { createControlApi } from '../common/control.js';
import { Counters } from '../common/counters.js';
import { FaultInjector } from '../common/faults.js';
import { errorPage, JenkinsAuth, type JenkinsEnv } from './auth.js';
import { createJenkinsControl } from './control.js';
import { collapseJobPath, JobTree } from './jobs.js';
import { BuildQueue } from './queue.js';
import { createJenkinsRoutes } from './routes.js';
import { BuildRunner } from './runner.js';
import { resolveOptions, type JenkinsSimulatorOptions } from './options.js';

export type { JenkinsSimulatorOptions, JenkinsUser } from './options.js';
export { DEFAULT_PARAMETERS } from './options.js';

export interface JenkinsSimulator {
  app: Hono<JenkinsEnv>;
  faults: FaultInjector;
  counters: Counters;
  close(): Promise<void>;
}

export function createJenkinsSimulator(options: JenkinsSimulatorOptions): JenkinsSimulator {
  const o = resolveOptions(options);
  const counters = new Counters();
  const faults = new FaultInjector();
  const auth = new JenkinsAuth(o.users, o.anonymousRead);
  const jobs = new JobTree();
  const mainJob = jobs.add(o.jobPath, o.parameters);
  for (const plain of o.plainJobs) jobs.add(plain, undefined);
  const runner = new BuildRunner({ registry: o.registry, workDir: o.workDir });
  const queue = new BuildQueue({ leftItemTtlMs: o.leftItemTtlMs, onLeave: (item) => runner.start(item) });
  const session = randomBytes(4).toString('hex');

  // Routing sees `/job/a/job/b/...` as `/job/a%2Fb/...`; a trailing slash is optional, as in Stapler.
  const app = new Hono<JenkinsEnv>({
    getPath: (req) => collapseJobPath(new URL(req.url).pathname.replace(/(.)\/+$/, '$1')),
  });
  app.use('*', counters.middleware());
  app.use('*', faults.middleware(counters));
  app.use('*', async function jenkinsHeaders(c, next) {
    if (!c.req.path.startsWith('/_sim')) {
      c.header('X-Jenkins', o.version);
      c.header('X-Jenkins-Session', session);
      c.header('X-Hudson', '1.395');
    }
    await next();
  });
  app.use('*', auth.middleware());

  const reset = () => {
    queue.clear();
    runner.abortAll();
    for (const job of jobs.jobs()) {
      job.builds = [];
      job.disabled = false;
    }
  };
  app.route('/_sim', createControlApi({ scenarios: o.scenarios, faults, counters, onReset: reset }));
  app.route('/_sim/jenkins', createJenkinsControl({ jobs, queue, mainJob }));
  app.route(
    '/',
    createJenkinsRoutes({
      jobs,
      queue,
      runner,
      auth,
      scenarios: o.scenarios,
      quietPeriodMs: o.quietPeriodMs,
      numExecutors: o.numExecutors,
      rootUrl: o.rootUrl,
    }),
  );
  app.notFound((c) => c.html(errorPage(404, 'Not Found'), 404));

  return {
    app,
    faults,
    counters,
    async close() {
      queue.clear();
      await runner.close();
    },
  };
}
