/**
 * The HTTP server on `http.bind` (loopback by default): Prometheus text at /metrics, the legacy status JSON
 * at /api/v1/status (the health probe, no credentials), and the management API under /api/v5 (routes/*.ts,
 * described by openapi.json). Every /api/v5 route but login requires credentials (auth.ts); state-changing
 * ones pass the CSRF check (csrf.ts). Errors are `{code, message}` (errors.ts).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { HubError } from '../errors.js';
import { listenOn } from '../listen.js';
import { ApiKeyStore, apiKeysPath } from './api-keys.js';
import { HttpAuth } from './auth.js';
import { checkCsrf } from './csrf.js';
import type { ApiDeps, HubView } from './deps.js';
import { ApiError, statusOf } from './errors.js';
import { RateSampler } from './rates.js';
import { DlqRing } from './dlq-ring.js';
import { LiveStreams } from './live.js';
import { makeContext, Router, STREAMED } from './router.js';
import { StaticFiles } from './static.js';
import { apiRoutes } from './routes/index.js';

export class HttpApi {
  #server?: Server;
  readonly #deps: ApiDeps;
  readonly #router = new Router<ApiDeps>().add(...apiRoutes);
  #static?: StaticFiles;

  constructor(
    private readonly bind: { host: string; port: number },
    hub: HubView,
  ) {
    const http = hub.config.http;
    const keys = new ApiKeyStore(apiKeysPath(hub.config));
    this.#deps = Object.assign(Object.create(hub) as HubView, {
      keys,
      auth: new HttpAuth({
        keys,
        passwordFile: hub.config.auth.password_file,
        admins: http.admins,
        sessionTtlMs: http.session_ttl,
        failures: http.auth_failures,
        failureWindowMs: http.auth_failure_window,
      }),
      rates: new RateSampler(hub.metrics),
      maxPage: http.max_page_size,
      dlqRing: new DlqRing(),
      live: new LiveStreams(),
    });
  }

  get routes() {
    return this.#router.routes;
  }

  async start(): Promise<void> {
    if (this.#server) return;
    const server = createServer((req, res) => {
      this.#handle(req, res).catch((err: unknown) => this.#fail(res, err));
    });
    server.headersTimeout = 10_000;
    server.requestTimeout = 30_000;
    await listenOn(server, this.bind, this.#deps.logger, 'http');
    this.#deps.rates.start();
    const b = this.#deps.broker();
    if (b) this.#deps.dlqRing.start(b);
    // read once at start (a few files, ~100 KB), not in the constructor: constructors do no I/O
    this.#static ??= new StaticFiles();
    this.#server = server;
  }

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://h');
    const method = req.method ?? 'GET';
    const deps = this.#deps;
    const http = deps.config.http;
    if (url.pathname === '/metrics' && method === 'GET') {
      if (http.metrics_auth) await deps.auth.check(req);
      const text = await deps.metrics.text();
      res.writeHead(200, { 'content-type': deps.metrics.registry.contentType });
      res.end(text);
      return;
    }
    if ((url.pathname === '/api/v1/status' || url.pathname === '/status') && method === 'GET') {
      return send(res, 200, deps.status());
    }
    if (url.pathname === '/api/v5/openapi.json' && method === 'GET') {
      await deps.auth.check(req);
      const spec = (await import('./openapi.json', { with: { type: 'json' } })).default;
      return send(res, 200, spec);
    }
    // the raw path: a `%2F` inside a parameter (retained topics, client ids) must not split segments
    const rawPath = (req.url ?? '/').split('?')[0];
    // the dashboard's files (public: the page itself holds no data; every API call it makes needs a login)
    if (this.#static && !rawPath.startsWith('/api/') && (method === 'GET' || method === 'HEAD')) {
      this.#static.serve(req, res, rawPath);
      return;
    }
    const match = this.#router.match(method, rawPath);
    const ctx = makeContext(req, res, match, url.searchParams, deps, http.max_body);
    if (!match.route.public) {
      const principal = await deps.auth.check(req);
      ctx.principal = principal.id;
      checkCsrf(req, http.allowed_origins, principal.via === 'cookie');
    } else {
      checkCsrf(req, http.allowed_origins, false);
    }
    const body = await match.route.handler(ctx);
    if (body === STREAMED) return;
    if (body === undefined) {
      res.writeHead(204).end();
      return;
    }
    send(res, ctx.status ?? 200, body);
  }

  #fail(res: ServerResponse, err: unknown): void {
    let status = 500;
    let body = { code: 'PH_HTTP_INTERNAL', message: 'internal error' };
    if (err instanceof HubError) {
      status = statusOf(err);
      body = { code: err.code, message: err.message };
    }
    if (status >= 500) this.#deps.logger.error({ err }, 'HTTP API request failed');
    if (res.headersSent) {
      res.destroy();
      return;
    }
    const headers: Record<string, string> = {};
    const retry = (err as { retryAfter?: number }).retryAfter;
    if (retry) headers['retry-after'] = String(retry);
    // a body we did not read must not be parsed as the next request on a kept-alive connection
    if (err instanceof ApiError && (err.status === 413 || err.status === 415)) headers.connection = 'close';
    send(res, status, body, headers);
  }

  address(): { host: string; port: number } | undefined {
    const a = this.#server?.address();
    return a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined;
  }

  async stop(): Promise<void> {
    const s = this.#server;
    this.#server = undefined;
    this.#deps.rates.stop();
    this.#deps.live.closeAll();
    this.#deps.dlqRing.stop();
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...headers,
  });
  res.end(text);
}
