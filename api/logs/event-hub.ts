// One LISTEN connection per API process, fanned out to the viewers of each deployment. If the
// connection drops, it reconnects and tells every viewer to re-read from the database, so a
// missed notice never becomes a gap.
import pg from 'pg';
import { EVENTS_CHANNEL, deploymentEventSchema, type DeploymentEvent } from '../../lib/events.js';
import type { Logger } from '../../lib/logger.js';

export type HubListener = (event: DeploymentEvent | { type: 'resync'; deploymentId: string }) => void;

export class DeploymentEventHub {
  private client: pg.Client | undefined;
  private readonly listeners = new Map<string, Set<HubListener>>();
  private stopped = false;
  private connecting: Promise<void> | undefined;

  constructor(
    private readonly databaseUrl: string,
    private readonly logger: Logger,
  ) {}

  /** Connects lazily on the first subscriber. */
  subscribe(deploymentId: string, listener: HubListener): () => void {
    let set = this.listeners.get(deploymentId);
    if (!set) this.listeners.set(deploymentId, (set = new Set()));
    set.add(listener);
    return () => {
      set.delete(listener);
      if (set.size === 0) this.listeners.delete(deploymentId);
    };
  }

  /** Resolves once LISTEN is in place (viewers subscribe before reading, so nothing slips between). */
  ready(): Promise<void> {
    if (this.client) return Promise.resolve();
    this.connecting ??= this.connect().finally(() => (this.connecting = undefined));
    return this.connecting;
  }

  get viewerCount(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }

  async close(): Promise<void> {
    this.stopped = true;
    await this.client?.end().catch(() => undefined);
    this.client = undefined;
  }

  private async connect(): Promise<void> {
    const client = new pg.Client({ connectionString: this.databaseUrl });
    client.on('notification', (message) => {
      if (message.channel !== EVENTS_CHANNEL || !message.payload) return;
      let event: DeploymentEvent;
      try {
        event = deploymentEventSchema.parse(JSON.parse(message.payload));
      } catch {
        return;
      }
      for (const listener of this.listeners.get(event.deploymentId) ?? []) listener(event);
    });
    client.on('error', (error) => {
      this.logger.warn('event listener connection lost', { error });
      this.client = undefined;
      void client.end().catch(() => undefined);
      if (!this.stopped) setTimeout(() => void this.reconnect(), 500).unref();
    });
    await client.connect();
    await client.query(`LISTEN ${EVENTS_CHANNEL}`);
    this.client = client;
  }

  private async reconnect(): Promise<void> {
    try {
      await this.ready();
      for (const [deploymentId, set] of this.listeners) for (const listener of set) listener({ type: 'resync', deploymentId });
    } catch (error) {
      this.logger.warn('event listener reconnect failed', { error });
      if (!this.stopped) setTimeout(() => void this.reconnect(), 2000).unref();
    }
  }
}
