// One viewer of one deployment's log over a WebSocket. Sends the stored log from the requested
// byte offset, then new chunks as the hub announces them, step and status changes, and a final
// `end` message, then closes. Memory per viewer is bounded: a viewer that falls too far behind
// is closed with the offset to resume from; dead connections are found by ping.
import type { WebSocket } from 'ws';
import type { Db } from '../../lib/db.js';
import { FINAL_STATUSES } from '../../lib/events.js';
import type { DeploymentEventHub } from './event-hub.js';
import { readLogFrom } from './log-reader.js';

export type LogMessage =
  | { type: 'log'; offset: number; text: string }
  | { type: 'step'; name: string; status: string }
  | { type: 'status'; status: string }
  | { type: 'end'; status: string }
  | { type: 'error'; code: string; message: string; resumeOffset?: number };

export interface LogSessionOptions {
  /** Bytes the socket may hold unsent before the viewer counts as too slow. */
  maxBufferedBytes?: number;
  pingIntervalMs?: number;
}

/** WebSocket close codes of this API (4000-4999 are for applications). */
export const CLOSE_TOO_SLOW = 4008;
export const CLOSE_DONE = 1000;

export class LogSession {
  private sent: number;
  private pumping: Promise<void> = Promise.resolve();
  private unsubscribe: (() => void) | undefined;
  private pinger: NodeJS.Timeout | undefined;
  private alive = true;
  private closed = false;
  private readonly maxBuffered: number;

  constructor(
    private readonly ws: WebSocket,
    private readonly db: Db,
    private readonly hub: DeploymentEventHub,
    private readonly deploymentId: string,
    offset: number,
    private readonly options: LogSessionOptions = {},
  ) {
    this.sent = offset;
    this.maxBuffered = options.maxBufferedBytes ?? 1_000_000;
  }

  async start(): Promise<void> {
    this.ws.on('pong', () => (this.alive = true));
    this.pinger = setInterval(() => {
      if (!this.alive) return this.ws.terminate();
      this.alive = false;
      this.ws.ping();
    }, this.options.pingIntervalMs ?? 30_000);
    this.pinger.unref();
    // Subscribe first, then read: an event that arrives meanwhile only triggers a read that
    // finds nothing new, and nothing can slip between the two.
    await this.hub.ready();
    this.unsubscribe = this.hub.subscribe(this.deploymentId, (event) => {
      if (event.type === 'step') this.send({ type: 'step', name: event.name, status: event.status });
      else if (event.type === 'status') this.queue(() => this.onStatus(event.status));
      else this.queue(() => this.pump());
    });
    const deployment = await this.db.deployment.findUnique({ where: { id: this.deploymentId }, include: { steps: { orderBy: { position: 'asc' } } } });
    if (!deployment) return this.stop(1011, 'deployment not found');
    this.queue(async () => {
      await this.pump();
      for (const step of deployment.steps) this.send({ type: 'step', name: step.name, status: step.status });
      await this.onStatus(deployment.status);
    });
  }

  stop(code = CLOSE_DONE, reason = ''): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe?.();
    clearInterval(this.pinger);
    if (this.ws.readyState === this.ws.OPEN) this.ws.close(code, reason);
  }

  /** Viewer work runs one piece at a time, in order. */
  private queue(work: () => Promise<void>): void {
    this.pumping = this.pumping.then(work).catch(() => this.stop(1011, 'internal error'));
  }

  private async onStatus(status: string): Promise<void> {
    if (this.closed) return;
    this.send({ type: 'status', status });
    if (FINAL_STATUSES.has(status)) {
      await this.pump(); // the last chunks are stored before the final status
      this.send({ type: 'end', status });
      this.stop(CLOSE_DONE, status);
    }
  }

  /** Sends every stored chunk past what this viewer already has. */
  private async pump(): Promise<void> {
    for (;;) {
      if (this.closed) return;
      const pieces = await readLogFrom(this.db, this.deploymentId, this.sent);
      if (pieces.length === 0) return;
      for (const piece of pieces) {
        if (!this.send({ type: 'log', offset: piece.offset, text: piece.text })) return;
        this.sent = piece.offset + Buffer.byteLength(piece.text, 'utf8');
      }
      if (pieces.length < 200) return;
    }
  }

  /** Sends unless the viewer is too far behind; then closes it with the offset to resume from. */
  private send(message: LogMessage): boolean {
    if (this.closed || this.ws.readyState !== this.ws.OPEN) return false;
    if (this.ws.bufferedAmount > this.maxBuffered) {
      const resumeOffset = this.sent;
      this.closed = true;
      this.unsubscribe?.();
      clearInterval(this.pinger);
      // The reason (at most 123 bytes) carries the offset even if the message cannot be read.
      this.ws.close(CLOSE_TOO_SLOW, JSON.stringify({ code: 'too_slow', resumeOffset }));
      return false;
    }
    this.ws.send(JSON.stringify(message));
    return true;
  }
}
