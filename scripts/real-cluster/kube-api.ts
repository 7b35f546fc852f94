// A very small Kubernetes API client for the real-cluster mode: JSON over HTTPS with the API
// server's own certificate as the trust root and a bearer token. Enough for readiness checks,
// the ingress status writer and the test fixtures; manifests are applied with kubectl.
import https from 'node:https';

export interface KubeApiOptions {
  /** https://127.0.0.1:<port> */
  server: string;
  token: string;
  /** PEM of the certificate authority that signed the API server's certificate. */
  ca: string;
}

export class KubeApiError extends Error {
  constructor(
    message: string,
    readonly status: number,
  ) {
    super(message);
    this.name = 'KubeApiError';
  }
}

export class KubeApi {
  private readonly agent: https.Agent;
  constructor(private readonly options: KubeApiOptions) {
    this.agent = new https.Agent({ ca: options.ca, keepAlive: true });
  }

  get server(): string {
    return this.options.server;
  }

  /** The parsed JSON answer (plain text when it is not JSON); `undefined` for 404. Other non-2xx answers throw KubeApiError. */
  async request<T = unknown>(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<T | undefined> {
    const url = new URL(path, this.options.server);
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const { status, text } = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = https.request(
        url,
        {
          method,
          agent: this.agent,
          headers: {
            authorization: `Bearer ${this.options.token}`,
            accept: 'application/json',
            ...(payload ? { 'content-type': contentType, 'content-length': Buffer.byteLength(payload) } : {}),
          },
          timeout: 30_000,
        },
        (res) => {
          let data = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (data += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text: data }));
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`${method} ${path}: no answer within 30 s`)));
      req.on('error', reject);
      req.end(payload);
    });
    if (status === 404) return undefined;
    if (status < 200 || status >= 300) {
      let message = text.slice(0, 500);
      try {
        message = (JSON.parse(text) as { message?: string }).message ?? message;
      } catch {
        // not JSON: keep the text
      }
      throw new KubeApiError(`${method} ${path} answered ${status}: ${message}`, status);
    }
    if (!text) return {} as T;
    try {
      return JSON.parse(text) as T;
    } catch {
      // Health endpoints such as /readyz answer plain text ("ok").
      return text as T;
    }
  }

  get<T = unknown>(path: string): Promise<T | undefined> {
    return this.request<T>('GET', path);
  }

  mergePatch<T = unknown>(path: string, patch: unknown): Promise<T | undefined> {
    return this.request<T>('PATCH', path, patch, 'application/merge-patch+json');
  }

  close(): void {
    this.agent.destroy();
  }
}
