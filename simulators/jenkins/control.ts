// Jenkins-specific control routes, mounted at /_sim/jenkins next to the shared scenario API:
//   POST /_sim/jenkins/jobs/disable?job=a/b   (job defaults to the main job; cancels its queue)
//   POST /_sim/jenkins/jobs/enable?job=a/b
//   GET  /_sim/jenkins/builds[?job=a/b]       every build with its parameters and outcome
//                                             (a set password parameter shows as ****)
//   GET  /_sim/jenkins/queue                  every known queue item (left ones included)
//   POST /_sim/jenkins/queue/expire           forget left items now (as if 5 minutes passed)
import { Hono } from 'hono';
import type { JobTree } from './jobs.js';
import { shownParameterMap, type Build, type Job } from './model.js';
import type { BuildQueue } from './queue.js';

export interface JenkinsControlDeps {
  jobs: JobTree;
  queue: BuildQueue;
  mainJob: Job;
}

export function createJenkinsControl({ jobs, queue, mainJob }: JenkinsControlDeps): Hono {
  const app = new Hono();
  const pickJob = (name: string | undefined) => (name ? jobs.findJob(name) : mainJob);

  for (const action of ['disable', 'enable'] as const) {
    app.post(`/jobs/${action}`, (c) => {
      const job = pickJob(c.req.query('job'));
      if (!job) return c.json({ error: 'no such job' }, 404);
      job.disabled = action === 'disable';
      if (job.disabled) queue.cancelJob(job);
      return c.json({ job: job.fullName, disabled: job.disabled });
    });
  }

  app.get('/builds', (c) => {
    const name = c.req.query('job');
    const list = name ? [pickJob(name)].filter((j): j is Job => j !== undefined) : jobs.jobs();
    return c.json(list.flatMap((j) => j.builds.map(describe)));
  });

  app.get('/queue', (c) =>
    c.json(
      queue.all().map((i) => ({
        id: i.id,
        job: i.job.fullName,
        stage: i.stage,
        cancelled: i.cancelled,
        buildNumber: i.build?.number ?? null,
        parameters: shownParameterMap(i.params),
      })),
    ),
  );

  app.post('/queue/expire', (c) => c.json({ expired: queue.expireLeft() }));
  return app;
}

function describe(b: Build) {
  return {
    job: b.job.fullName,
    number: b.number,
    queueId: b.queueId,
    building: b.building,
    result: b.result,
    timestamp: b.timestamp,
    duration: b.duration,
    parameters: shownParameterMap(b.params),
    artifacts: b.artifacts.map((a) => a.relativePath),
    logBytes: b.log.size,
  };
}
