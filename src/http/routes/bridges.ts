/**
 * Bridges: GET /api/v5/bridges (connection state, backlog, counters of every bridge) and
 * GET /api/v5/bridges/{name}. Pausing and draining on demand are not implemented yet (docs/http-api.md).
 */
import type { ApiDeps } from '../deps.js';
import { notFound } from '../errors.js';
import type { Route } from '../router.js';

export const bridgeRoutes: Route<ApiDeps>[] = [
  { method: 'GET', path: '/api/v5/bridges', handler: ({ deps }) => deps.bridges()?.status() ?? [] },
  {
    method: 'GET',
    path: '/api/v5/bridges/{name}',
    handler: ({ deps, params }) => {
      const b = deps
        .bridges()
        ?.status()
        .find((x) => x.name === params.name);
      if (!b) throw notFound(`bridge ${params.name}`);
      return b;
    },
  },
];
