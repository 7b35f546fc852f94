// The Temporal client connection used by the API (the worker opens its own NativeConnection).
import { Client, Connection } from '@temporalio/client';
import { withTimeout } from './db.js';

export interface TemporalSettings {
  address: string;
  namespace: string;
}

export async function connectTemporalClient({ address, namespace }: TemporalSettings): Promise<Client> {
  // Connection.lazy: the API starts (and /healthz can report Temporal down) even when the
  // server is not up yet; the first call connects.
  const connection = Connection.lazy({ address, connectTimeout: '3s' });
  return new Client({ connection, namespace });
}

/** True when the Temporal frontend answers a health check within `timeoutMs`. */
export async function temporalIsUp(client: Client, timeoutMs = 2000): Promise<{ up: boolean; error?: string }> {
  try {
    await withTimeout(client.connection.workflowService.getSystemInfo({}), timeoutMs);
    return { up: true };
  } catch (error) {
    return { up: false, error: error instanceof Error ? error.message.split('\n')[0] : String(error) };
  }
}
