// The Temporal worker: builds the activities' dependencies once from the validated config (the
// database and every outside-system client, clients/index.ts), runs the workflows and
// activities, and shuts down gracefully on SIGTERM/SIGINT (in-flight activities finish or are
// handed back; Temporal retries them on another worker).
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { NativeConnection, Worker, Runtime, DefaultLogger, type LogLevel as TemporalLogLevel } from '@temporalio/worker';
import { loadConfigOrExit, type Env } from './lib/config.js';
import { createDb } from './lib/db.js';
import { createLogger, type Logger } from './lib/logger.js';
import { configuredSecrets } from './lib/secrets.js';
import { createActivities } from './activities/index.js';
import { createClients, type Clients } from './clients/index.js';

const here = path.dirname(fileURLToPath(import.meta.url));
export const workflowsPath = path.join(here, 'workflows', 'index.ts');

export interface RunningWorker {
  worker: Worker;
  /** Resolves when the worker has stopped. */
  done: Promise<void>;
  shutdown(): Promise<void>;
}

export interface WorkerOptions {
  taskQueue?: string;
  workflowBundle?: { code: string };
  /** The outside-system clients (tests pass fakes or their own); built from config when omitted. */
  clients?: Clients;
}

export async function startWorker(config: Env, logger: Logger, options: WorkerOptions = {}): Promise<RunningWorker> {
  const clients = options.clients ?? createClients(config);
  const db = createDb(config.DATABASE_URL);
  const connection = await NativeConnection.connect({ address: config.TEMPORAL_ADDRESS });
  const worker = await Worker.create({
    connection,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: options.taskQueue ?? config.TEMPORAL_TASK_QUEUE,
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath }),
    activities: createActivities({ config, db, logger, clients }),
    shutdownGraceTime: '20s',
  });
  const done = worker.run().finally(async () => {
    await connection.close();
    await db.$disconnect();
  });
  return {
    worker,
    done,
    shutdown: async () => {
      worker.shutdown();
      await done;
    },
  };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.LOG_LEVEL, secrets: configuredSecrets(config), base: { service: 'worker' } });
  const temporalLevel: Record<string, TemporalLogLevel> = { debug: 'DEBUG', info: 'INFO', warn: 'WARN', error: 'ERROR' };
  Runtime.install({
    logger: new DefaultLogger(temporalLevel[config.LOG_LEVEL] === 'INFO' ? 'WARN' : temporalLevel[config.LOG_LEVEL], (entry) =>
      logger[entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : 'debug'](entry.message, entry.meta),
    ),
    // The SDK's own SIGINT/SIGTERM handling starts a graceful shutdown of every worker.
    shutdownSignals: ['SIGINT', 'SIGTERM'],
  });
  const running = await startWorker(config, logger);
  logger.info('worker started', { taskQueue: config.TEMPORAL_TASK_QUEUE, temporal: config.TEMPORAL_ADDRESS });
  await running.done;
  logger.info('worker stopped');
  process.exit(0);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error: unknown) => {
    process.stderr.write(`worker failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
