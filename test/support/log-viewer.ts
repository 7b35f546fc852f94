// A real WebSocket viewer of a deployment's log, for tests and the latency benchmark.
import WebSocket from 'ws';

export interface ViewResult {
  messages: Array<Record<string, any>>;
  /** Arrival time (ms) of each message, same order. */
  arrivals: number[];
  closeCode: number;
  closeReason: string;
  /** Concatenated text of the log messages. */
  text: string;
}

export interface ViewOptions {
  headers?: Record<string, string>;
  /** Close after this many log messages (to test resuming). */
  stopAfterLogs?: number;
  /** Stop reading from the socket for this long after it opens (a stuck viewer), then read again. */
  stallMs?: number;
}

export function viewLog(url: string, { headers, stopAfterLogs, stallMs }: ViewOptions = {}): Promise<ViewResult> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers });
    const messages: Array<Record<string, any>> = [];
    const arrivals: number[] = [];
    let logs = 0;
    ws.on('unexpected-response', (_req, res) => reject(Object.assign(new Error(`upgrade refused: ${res.statusCode}`), { status: res.statusCode })));
    ws.on('error', reject);
    ws.on('open', () => {
      if (stallMs) {
        const socket = (ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
        socket.pause();
        setTimeout(() => socket.resume(), stallMs);
      }
    });
    ws.on('message', (data) => {
      const message = JSON.parse((data as Buffer).toString('utf8')) as Record<string, any>;
      messages.push(message);
      arrivals.push(Date.now());
      if (message.type === 'log') {
        logs += 1;
        if (stopAfterLogs !== undefined && logs >= stopAfterLogs) ws.close();
      }
    });
    ws.on('close', (code, reason) => {
      const text = messages
        .filter((m) => m.type === 'log')
        .map((m) => String(m.text))
        .join('');
      resolve({ messages, arrivals, closeCode: code, closeReason: reason.toString(), text });
    });
  });
}

/** The offset right after the last log message received (where to resume). */
export function resumeOffset(result: ViewResult, from = 0): number {
  const logs = result.messages.filter((m) => m.type === 'log');
  const last = logs[logs.length - 1];
  return last ? Number(last.offset) + Buffer.byteLength(String(last.text), 'utf8') : from;
}
