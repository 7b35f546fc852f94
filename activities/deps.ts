// What the activities need, built once by the worker (real clients) or by tests.
import type { Env } from '../lib/config.js';
import type { Db } from '../lib/db.js';
import type { Logger } from '../lib/logger.js';

export interface ActivityDeps {
  config: Env;
  db: Db;
  logger: Logger;
}
