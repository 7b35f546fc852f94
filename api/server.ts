// The API process: config, database, Temporal client, outside-system clients, services, then the
// Hono app on a socket.
import { openApiDocument } from './openapi/index.js';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { serve } from '@hono/node-server';
import { loadConfigOrExit, type Env } from '../lib/config.js';
import { createDb, type Db } from '../lib/db.js';
import { createLogger, type Logger } from '../lib/logger.js';
import { configuredSecrets } from '../lib/secrets.js';
import { connectTemporalClient } from '../lib/temporal.js';
import { createClients } from '../clients/index.js';
import { createApp } from './app.js';
import { createHealthService } from './services/health.js';
import { buildV1 } from './v1.js';
import { ensureDevToken } from './services/dev-token.js';
import { DeploymentEventHub } from './logs/event-hub.js';

export async function createServices(config: Env, logger: Logger, db: Db = createDb(config.DATABASE_URL)) {
  const temporal = await connectTemporalClient({ address: config.TEMPORAL_ADDRESS, namespace: config.TEMPORAL_NAMESPACE });
  const health = createHealthService({ db, temporal });
  const hub = new DeploymentEventHub(config.DATABASE_URL, logger);
  // Only the client the API uses: it holds no Harbor, Jenkins or Argo CD account.
  const clients = createClients(config, ['github']);
  const app = createApp({
    logger,
    health,
    v1: buildV1({ config, db, temporal, logger, hub, clients }),
    corsOrigins: config.CORS_ORIGINS,
    openapi: openApiDocument(config),
  });
  return { app, db, temporal, hub };
}

async function main(): Promise<void> {
  const config = loadConfigOrExit();
  const logger = createLogger({ level: config.LOG_LEVEL, secrets: configuredSecrets(config), base: { service: 'api' } });
  const { app, db, temporal, hub } = await createServices(config, logger);
  if (config.DEV_API_TOKEN) await ensureDevToken(db, config.DEV_WORKSPACE_ID, config.DEV_API_TOKEN, config.DEV_WORKSPACE_USERS);
  const server = serve({ fetch: app.fetch, hostname: config.API_HOST, port: config.API_PORT });
  app.injectWebSocket(server);
  server.once('error', (error: NodeJS.ErrnoException) => {
    logger.error(error.code === 'EADDRINUSE' ? `API_PORT ${config.API_PORT} is already in use: set API_PORT to a free port` : 'API server failed', { error });
    process.exit(1);
  });
  server.once('listening', () => logger.info('API listening', { url: `http://${config.API_HOST}:${config.API_PORT}` }));
  const stop = () => {
    logger.info('API stopping');
    server.close(() => {
      void Promise.allSettled([hub.close(), db.$disconnect(), temporal.connection.close()]).then(() => process.exit(0));
    });
    setTimeout(() => process.exit(0), 5000).unref();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  main().catch((error: unknown) => {
    process.stderr.write(`api failed: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}
