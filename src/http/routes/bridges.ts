/**
 * Bridges: GET /api/v5/bridges (connection state, backlog, counters of every bridge) and
 * GET /api/v5/bridges/{name}; POST /api/v5/bridges/{name}/pause stops draining to the upstream (forwards are
 * still cached), POST /api/v5/bridges/{name}/resume drains again from the oldest unacknowledged message.
 */
import type { ApiDeps } from '../deps.js';
import { notFound, unavailable } from '../errors.js';
import type { Route } from '../router.js';

const action = (name: 'pause' | 'resume'): Route<ApiDeps> => ({
  method: 'POST',
  path: `/api/v5/bridges/{name}/${name}`,
  handler: ({ deps, params, principal }) => {
    const bridges = deps.bridges();
    if (!bridges) throw unavailable('bridges');
    if (!bridges.control(params.name, name)) throw notFound(`bridge ${params.name}`);
    deps.logger.info({ bridge: params.name, action: name, by: principal }, 'bridge action through the HTTP API');
    return bridges.status().find((b) => b.name === params.name);
  },
});

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
  action('pause'),
  action('resume'),
];
