// Runs one simulated pipeline build: a real checkout of REPO_URL at COMMIT_SHA, `logLines`
// log lines over `durationMs`, then (SUCCESS + pushImage) a real OCI push to the registry and
// a `deploy-result.json` artifact. Outcome and timing come from the scenario. A failing step
// sets `result` at once and the pipeline then unwinds briefly while `inProgress` is still
// true, as real pipelines do: finished means `inProgress === false && result !== null`.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { pushOciImage } from '../common/oci-push.js';
import { checkout } from './checkout.js';
import { BuildLog } from './log.js';
import { parameterMap, secretValues, type Build, type BuildResult, type QueueItem } from './model.js';

export interface RunnerOptions {
  registry: { url: string; username?: string; password?: string };
  workDir: string;
}

/** Time a pipeline spends unwinding (closing blocks, post steps) after its result is known. */
const UNWIND_MS = 40;

export class BuildRunner {
  private readonly running = new Set<Build>();

  constructor(private readonly options: RunnerOptions) {}

  /** Creates build #nextBuildNumber for a queue item that left the queue, and runs it. */
  start(item: QueueItem): Build {
    const job = item.job;
    const now = Date.now();
    const previous = job.builds.filter((b) => b.result === 'SUCCESS').slice(-3);
    const build: Build = {
      job,
      number: job.nextBuildNumber,
      queueId: item.id,
      params: item.params,
      causes: item.causes,
      scenario: item.scenario,
      timestamp: now,
      duration: 0,
      estimatedDuration: previous.length ? Math.round(previous.reduce((s, b) => s + b.duration, 0) / previous.length) : -1,
      queuedMs: now - item.inQueueSince,
      result: null,
      building: true,
      description: null,
      log: new BuildLog(secretValues(item.params)),
      artifacts: [],
      abort: new AbortController(),
    };
    job.nextBuildNumber += 1;
    job.builds.push(build);
    this.running.add(build);
    build.done = this.execute(build).finally(() => this.running.delete(build));
    return build;
  }

  /** POST .../stop: aborts a running build (no-op once finished). */
  stop(build: Build, userName: string): void {
    if (!build.building || build.abort.signal.aborted) return;
    build.abortedBy = userName;
    build.abort.abort();
  }

  /** Aborts every running build (they finish in the background). */
  abortAll(): void {
    for (const b of this.running) this.stop(b, 'SYSTEM');
  }

  /** Aborts every running build and waits for them to finish. */
  async close(): Promise<void> {
    const builds = [...this.running];
    this.abortAll();
    await Promise.all(builds.map((b) => b.done ?? Promise.resolve()));
  }

  private async execute(build: Build): Promise<void> {
    const { log } = build;
    const signal = build.abort.signal;
    const p = parameterMap(build.params);
    const workspace = `/var/jenkins_home/workspace/${build.job.path.join('/')}`;
    let dir: string | undefined;
    let error: string | undefined;
    const depth: string[] = []; // open pipeline blocks, innermost last

    const open = (kind: 'node' | 'stage', name?: string) => {
      if (kind === 'stage') {
        log.pipeline('stage');
        log.pipeline(`{ (${name ?? ''})`);
      } else {
        log.pipeline('{');
      }
      depth.push(kind);
    };
    const close = () => {
      const kind = depth.pop();
      log.pipeline('}');
      log.pipeline(`// ${kind ?? 'stage'}`);
    };
    const fail = (result: BuildResult, message?: string) => {
      build.result = result;
      error = message;
    };

    try {
      const cause = build.causes[0];
      log.line(`Started by user ${log.note('user')}${cause?.userName ?? 'anonymous'}`);
      log.pipeline('Start of Pipeline');
      log.pipeline('node');
      log.line(`Running on ${log.note('computer')}Jenkins in ${workspace}`);
      open('node');

      // Checkout
      open('stage', 'Checkout');
      log.pipeline('checkout');
      await mkdir(this.options.workDir, { recursive: true });
      dir = await mkdtemp(path.join(this.options.workDir, `${build.job.name}-${build.number}-`));
      const credential = { username: p.REPO_USERNAME ?? '', token: p.REPO_TOKEN ?? '' };
      const co = await checkout({ repoUrl: p.REPO_URL ?? '', commitSha: p.COMMIT_SHA ?? '', dir, log, signal, workspace, credential });
      if (!co.ok) {
        fail('FAILURE', co.error);
        close();
        return;
      }
      build.git = { sha: co.sha, branch: co.branch, remoteUrl: p.REPO_URL ?? '' };
      close();

      // Build: the scenario's log lines over its duration
      const scenario = build.scenario.build;
      open('stage', 'Build');
      log.pipeline('sh');
      log.line('+ npm ci && npm run build');
      await this.writeLines(
        build,
        p,
        scenario.logLines,
        Math.max(scenario.durationMs, scenario.linesPerSecond > 0 ? (scenario.logLines / scenario.linesPerSecond) * 1000 : 0),
        scenario.timestamps,
      );
      if (scenario.result !== 'SUCCESS') {
        if (scenario.result === 'FAILURE') {
          log.line('\u001b[31mnpm ERR! Build failed with 1 error\u001b[0m');
          fail('FAILURE', 'script returned exit code 1');
        } else if (scenario.result === 'UNSTABLE') {
          log.line('\u001b[33mWARNING: 2 tests are flaky\u001b[0m');
          log.pipeline('unstable');
          log.line('WARNING: tests unstable');
          fail('UNSTABLE');
        } else {
          fail('NOT_BUILT');
        }
        close();
        return;
      }
      close();

      // Push + archive
      if (scenario.pushImage) {
        open('stage', 'Push');
        const pushed = await this.push(build, p, co.packageJson);
        if (!pushed) {
          close();
          return;
        }
        log.pipeline('archiveArtifacts');
        log.line('Archiving artifacts');
        const result = { imageRepository: p.IMAGE_REPOSITORY, imageTag: p.IMAGE_TAG, imageDigest: pushed, commitSha: co.sha };
        build.artifacts.push({
          relativePath: 'deploy-result.json',
          fileName: 'deploy-result.json',
          content: Buffer.from(`${JSON.stringify(result, null, 2)}\n`),
        });
        build.description = `${p.IMAGE_REPOSITORY}:${p.IMAGE_TAG}@${pushed}`;
        close();
      } else {
        // A pipeline whose push went nowhere (wrong registry, a skipped step) but that still
        // reports an image: the engine must catch it in the registry, not trust the report.
        log.pipeline('archiveArtifacts');
        log.line('Archiving artifacts');
        const claimed = `sha256:${createHash('sha256').update(`${p.IMAGE_REPOSITORY}:${p.IMAGE_TAG}:not-pushed`).digest('hex')}`;
        const result = { imageRepository: p.IMAGE_REPOSITORY, imageTag: p.IMAGE_TAG, imageDigest: claimed, commitSha: co.sha };
        build.artifacts.push({
          relativePath: 'deploy-result.json',
          fileName: 'deploy-result.json',
          content: Buffer.from(`${JSON.stringify(result, null, 2)}\n`),
        });
      }
    } catch (e) {
      if (signal.aborted) {
        build.result = 'ABORTED';
        log.line(`Aborted by ${log.note('user')}${build.abortedBy ?? 'SYSTEM'}`);
      } else {
        build.result = 'FAILURE';
        error = e instanceof Error ? e.message : String(e);
      }
    } finally {
      if (dir) await rm(dir, { recursive: true, force: true }).catch(() => undefined);
      await this.finish(build, depth, close, error);
    }
  }

  private async finish(build: Build, depth: string[], close: () => void, error: string | undefined): Promise<void> {
    const { log } = build;
    while (depth.length > 0) close();
    log.pipeline('End of Pipeline');
    if (error) log.line(`ERROR: ${error}`);
    if (build.result !== null && !build.abort.signal.aborted) await sleep(UNWIND_MS).catch(() => undefined);
    const result = build.result ?? 'SUCCESS';
    build.result = result;
    log.line(`Finished: ${result}`);
    build.duration = Math.max(1, Date.now() - build.timestamp);
    log.markComplete();
    build.building = false;
  }

  private async writeLines(build: Build, p: Record<string, string>, total: number, durationMs: number, stamps = false): Promise<void> {
    const start = Date.now();
    const interval = total > 0 ? durationMs / total : 0;
    let written = 0;
    while (written < total) {
      const due = interval > 0 ? Math.min(total, Math.floor((Date.now() - start) / interval) + 1) : total;
      while (written < due) build.log.line(`${stamps ? `[${Date.now()}] ` : ''}${buildLine(written++, total, p)}`);
      if (written < total) await sleep(Math.max(5, Math.ceil(start + written * interval - Date.now())), undefined, { signal: build.abort.signal });
    }
    const rest = start + durationMs - Date.now();
    if (rest > 0) await sleep(rest, undefined, { signal: build.abort.signal });
  }

  /** Pushes the image; returns its digest, or undefined after failing the build. */
  private async push(build: Build, p: Record<string, string>, packageJson: Buffer | undefined): Promise<string | undefined> {
    const { log } = build;
    const registry = this.options.registry;
    const host = new URL(registry.url).host;
    const repository = p.IMAGE_REPOSITORY ?? '';
    const tag = p.IMAGE_TAG ?? '';
    log.pipeline('sh');
    log.line(`+ docker push ${host}/${repository}:${tag}`);
    log.line(`The push refers to repository [${host}/${repository}]`);
    // Like `docker push`, retry a failed upload a few times (5xx, dropped connections) before
    // the step fails: a flaky registry slows a build down, it does not break it.
    const attempts = 5;
    for (let attempt = 1; ; attempt += 1) {
      try {
        const pushed = await pushOciImage({
          registryUrl: registry.url,
          username: registry.username,
          password: registry.password,
          repository,
          tag,
          signal: build.abort.signal,
          image: {
            repoUrl: p.REPO_URL ?? '',
            commitSha: build.git?.sha ?? '',
            files: packageJson ? { 'app/package.json': packageJson } : {},
            labels: { 'io.deploy-engine.deploy-id': p.DEPLOY_ID ?? '' },
          },
        });
        log.line(`${tag}: digest: ${pushed.digest} size: ${pushed.size}`);
        return pushed.digest;
      } catch (e) {
        if (build.abort.signal.aborted) throw e;
        const message = e instanceof Error ? e.message : String(e);
        if (attempt < attempts) {
          log.line(`Retrying in ${attempt} second${attempt > 1 ? 's' : ''} (${message})`);
          await new Promise((resolve) => setTimeout(resolve, attempt * 200));
          continue;
        }
        log.line(`\u001b[31m${message}\u001b[0m`);
        build.result = 'FAILURE';
        log.line('ERROR: script returned exit code 1');
        return undefined;
      }
    }
  }
}

/** A varied log line: ANSI colours and multi-byte UTF-8 (2, 3 and 4 bytes) to exercise byte offsets. */
export function buildLine(i: number, total: number, p: Record<string, string>): string {
  const project = p.PROJECT_NAME || 'app';
  switch (i % 6) {
    case 0:
      return `\u001b[36m[build]\u001b[0m step ${i + 1}/${total}: compiling src/module-${i}.ts`;
    case 1:
      return `  ✓ bundled chunk-${i}.js → dist/ (${((i * 17) % 100) / 10} kB) 🚀`;
    case 2:
      return `  \u001b[32m✔\u001b[0m ${i} tests passed — «${project}»`;
    case 3:
      return `  building ${project} (${p.FRAMEWORK || 'node'}) line ${i + 1}: naïve café déjà vu`;
    case 4:
      return `  [${'█'.repeat(i % 10)}${'░'.repeat(10 - (i % 10))}] ${Math.round(((i + 1) / total) * 100)}%`;
    default:
      return `  npm info ok 日本語テスト ${i}`;
  }
}
