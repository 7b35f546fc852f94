// Serving a fetch handler (a simulator, a test stub) on loopback, with a close() that also ends
// kept-alive connections, so tests and the dev stack never wait on a lingering socket.
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each Hono app has its own Env type
export type FetchHandler = (request: Request, ...rest: any[]) => Response | Promise<Response>;

export interface Served {
  url: string;
  server: ServerType;
  close: () => Promise<void>;
}

/** Listens on `host:port` (0 = any free port). Rejects if the port is taken. */
export function serveOnLoopback(fetch: FetchHandler, { port = 0, host = '127.0.0.1' }: { port?: number; host?: string } = {}): Promise<Served> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, hostname: host, port }, (info: AddressInfo) =>
      resolve({
        url: `http://${host}:${info.port}`,
        server,
        close: () =>
          new Promise<void>((done) => {
            (server as { closeAllConnections?: () => void }).closeAllConnections?.();
            server.close(() => done());
          }),
      }),
    );
    server.once('error', reject);
  });
}
