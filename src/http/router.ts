/**
 * A small path router: `GET /api/v5/clients/{clientid}` patterns, one handler per method and path. A handler
 * returns the JSON body (status 200, or ctx.status), or undefined for 204. Parameters are percent-decoded, so
 * client ids with `/` or spaces work when the caller encodes them.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { z } from 'zod';
import { ApiError } from './errors.js';
import { readJson } from './body.js';

export type Method = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** Returned by a handler that wrote the response itself (an event stream). */
export const STREAMED = Symbol('streamed');

export interface RouteContext<D = unknown> {
  req: IncomingMessage;
  res: ServerResponse;
  params: Record<string, string>;
  query: URLSearchParams;
  /** Who is calling (`key:<id>` or `user:<name>`); undefined on public routes. */
  principal?: string;
  deps: D;
  /** Response status when the handler returns a body; default 200. */
  status?: number;
  body<S extends z.ZodType>(schema: S): Promise<z.output<S>>;
}

export interface Route<D = unknown> {
  method: Method;
  path: string;
  /** Public routes need no credentials (health probe, login, OpenAPI document). */
  public?: boolean;
  handler(ctx: RouteContext<D>): unknown;
}

interface Compiled<D> {
  route: Route<D>;
  re: RegExp;
  names: string[];
}

export interface Match<D> {
  route: Route<D>;
  params: Record<string, string>;
}

export class Router<D> {
  readonly #routes: Compiled<D>[] = [];

  add(...routes: Route<D>[]): this {
    for (const route of routes) {
      const names: string[] = [];
      const pattern = route.path
        .split('/')
        .map((seg) => {
          const m = /^\{(\w+)\}$/.exec(seg);
          if (!m) return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
          names.push(m[1]);
          return '([^/]+)';
        })
        .join('/');
      this.#routes.push({ route, re: new RegExp(`^${pattern}$`), names });
    }
    return this;
  }

  get routes(): readonly Route<D>[] {
    return this.#routes.map((c) => c.route);
  }

  /** The route for this method and path; 404 when no path matches, 405 when only the method differs. */
  match(method: string, path: string): Match<D> {
    let pathMatched = false;
    for (const c of this.#routes) {
      const m = c.re.exec(path);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method) continue;
      const params: Record<string, string> = {};
      c.names.forEach((name, i) => {
        try {
          params[name] = decodeURIComponent(m[i + 1]);
        } catch {
          throw new ApiError(400, 'PH_HTTP_BAD_REQUEST', `path parameter ${name} is not valid percent-encoding`);
        }
      });
      return { route: c.route, params };
    }
    if (pathMatched) throw new ApiError(405, 'PH_HTTP_METHOD', `${method} is not allowed on ${path}`);
    throw new ApiError(404, 'PH_HTTP_NOT_FOUND', `no route ${method} ${path}`);
  }
}

export function makeContext<D>(
  req: IncomingMessage,
  res: ServerResponse,
  match: Match<D>,
  query: URLSearchParams,
  deps: D,
  maxBody: number,
): RouteContext<D> {
  return {
    req,
    res,
    params: match.params,
    query,
    deps,
    body: (schema) => readJson(req, schema, maxBody),
  };
}
