// What the activities need, built once by the worker (real clients) or by tests.
import type { Clients } from '../clients/index.js';
import type { Env } from '../lib/config.js';
import type { Db } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';

export interface ActivityDeps {
  config: Env;
  db: Db;
  logger: Logger;
  /** The outside systems (clients/index.ts createClients): one instance of each for every activity. */
  clients: Clients;
}
