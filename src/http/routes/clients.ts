/**
 * Clients (EMQX 5 shapes): GET /api/v5/clients (paged; filters clientid, like_clientid, username,
 * like_username, ip_address, protocol/proto_name, conn_state), GET and DELETE (kick) /api/v5/clients/{clientid},
 * GET /api/v5/clients/{clientid}/subscriptions. Device-gateway clients list here too, labelled by protocol.
 */
import type { Broker } from '../../broker/broker.js';
import {
  clientIdentity,
  clientInfo,
  clientSessions,
  findClient,
  kickClient,
  subscriptions,
} from '../../broker/inspect.js';
import type { Session } from '../../broker/session.js';
import type { ApiDeps } from '../deps.js';
import { notFound } from '../errors.js';
import { paginate } from '../paging.js';
import type { Route } from '../router.js';
import { broker } from './need.js';

const iso = (ms: number | undefined) => (ms === undefined ? undefined : new Date(ms).toISOString());

export function clientView(b: Broker, node: string, s: Session) {
  const c = clientInfo(b, s);
  return {
    ...c,
    node,
    proto_name: c.protocol === 'mqtt' ? 'MQTT' : c.protocol.toUpperCase(),
    connected_at: iso(c.connected_at),
    disconnected_at: iso(c.disconnected_at),
  };
}

function filterOf(q: URLSearchParams): (s: Session) => boolean {
  const clientid = q.get('clientid');
  const likeClientid = q.get('like_clientid');
  const username = q.get('username');
  const likeUsername = q.get('like_username');
  const ip = q.get('ip_address') ?? q.get('ip');
  const protocol = (q.get('protocol') ?? q.get('proto_name'))?.toLowerCase();
  const state = q.get('conn_state');
  const needInfo = username !== null || likeUsername !== null || ip !== null || protocol !== undefined;
  return (s) => {
    if (clientid !== null && s.clientId !== clientid) return false;
    if (likeClientid !== null && !s.clientId.includes(likeClientid)) return false;
    if (state === 'connected' && !s.sink) return false;
    if (state === 'disconnected' && s.sink) return false;
    if (!needInfo) return true;
    const c = clientIdentity(s);
    if (username !== null && c.username !== username) return false;
    if (likeUsername !== null && !(c.username ?? '').includes(likeUsername)) return false;
    if (ip !== null && c.ip_address !== ip) return false;
    if (protocol !== undefined && c.protocol !== protocol) return false;
    return true;
  };
}

function session(deps: ApiDeps, clientId: string): { b: Broker; s: Session } {
  const b = broker(deps);
  const s = findClient(b, clientId);
  if (!s) throw notFound(`client ${clientId}`);
  return { b, s };
}

export const clientRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/api/v5/clients',
    handler: ({ deps, query }) => {
      const b = broker(deps);
      const node = deps.config.node.name;
      return paginate(query, deps.maxPage, clientSessions(b), filterOf(query), (s) => clientView(b, node, s));
    },
  },
  {
    method: 'GET',
    path: '/api/v5/clients/{clientid}',
    handler: ({ deps, params }) => {
      const { b, s } = session(deps, params.clientid);
      return clientView(b, deps.config.node.name, s);
    },
  },
  {
    method: 'DELETE',
    path: '/api/v5/clients/{clientid}',
    handler: ({ deps, params, principal }) => {
      if (!kickClient(broker(deps), params.clientid)) throw notFound(`client ${params.clientid}`);
      deps.logger.info({ clientId: params.clientid, by: principal }, 'client kicked through the HTTP API');
      return undefined;
    },
  },
  {
    method: 'GET',
    path: '/api/v5/clients/{clientid}/subscriptions',
    handler: ({ deps, params }) => {
      const { b, s } = session(deps, params.clientid);
      return [...subscriptions(b, s)];
    },
  },
];
