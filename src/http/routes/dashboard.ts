/**
 * Routes the web dashboard needs beyond EMQX's: the latest dead letters (GET /api/v5/dlq/messages, from the
 * DlqRing) and the live message viewer's event stream (GET /api/v5/live?topic=…, LiveStreams).
 */
import type { ApiDeps } from '../deps.js';
import { badRequest } from '../errors.js';
import { STREAMED, type Route } from '../router.js';
import { broker } from './need.js';

export const dashboardRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/api/v5/dlq/messages',
    handler: ({ deps, query }) => {
      const raw = query.get('limit') ?? String(deps.dlqRing.capacity);
      const limit = Number(raw);
      if (!Number.isInteger(limit) || limit < 1 || limit > deps.dlqRing.capacity)
        throw badRequest(`query.limit: an integer from 1 to ${deps.dlqRing.capacity}`);
      return {
        data: deps.dlqRing.latest(limit),
        capacity: deps.dlqRing.capacity,
        overwritten: deps.dlqRing.overwritten,
      };
    },
  },
  {
    method: 'GET',
    path: '/api/v5/live',
    handler: ({ deps, query, req, res }) => {
      deps.live.open(broker(deps), req, res, query.get('topic'));
      return STREAMED;
    },
  },
];
