/**
 * HTTP API: Prometheus text at /metrics and the hub status as JSON at /api/v1/status.
 */
import { createServer, type Server } from 'node:http';
import type { Logger } from '../logger.js';
import type { Metrics } from '../metrics.js';
import { listenOn } from '../listen.js';

export interface HttpDeps {
  metrics: Metrics;
  logger: Logger;
  status(): unknown;
}

export class HttpApi {
  #server?: Server;

  constructor(
    private readonly bind: { host: string; port: number },
    private readonly deps: HttpDeps,
  ) {}

  async start(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => {
      const url = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && url === '/metrics') {
        this.deps.metrics.text().then(
          (text) => {
            res.writeHead(200, { 'content-type': this.deps.metrics.registry.contentType });
            res.end(text);
          },
          (err: unknown) => {
            this.deps.logger.error({ err }, 'metrics rendering failed');
            res.writeHead(500).end();
          },
        );
        return;
      }
      if (req.method === 'GET' && (url === '/api/v1/status' || url === '/status')) {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify(this.deps.status()));
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'not found', paths: ['/metrics', '/api/v1/status'] }));
    });
    await listenOn(server, this.bind, this.deps.logger, 'http');
    this.#server = server;
  }

  address(): { host: string; port: number } | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
