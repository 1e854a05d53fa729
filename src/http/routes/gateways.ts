/**
 * Gateways: GET /api/v5/gateways (health and counters of every instance), GET /api/v5/gateways/{id} and
 * POST /api/v5/gateways/{id}/{start|stop|restart}; `id` is `<protocol>.<name>`.
 */
import type { GatewayHealth } from '../../gateway/health.js';
import type { ApiDeps } from '../deps.js';
import { notFound, unavailable } from '../errors.js';
import type { Route } from '../router.js';

type Counters = Record<string, Record<string, number>>;

/** Per-gateway counters from the metrics registry: `{ [gateway]: { uplink, downlink, dropped, dead_lettered } }`. */
async function counters(deps: ApiDeps): Promise<Counters> {
  const out: Counters = {};
  const add = (gw: string, key: string, n: number) => {
    const c = (out[gw] ??= {
      uplink: 0,
      downlink: 0,
      uplink_bytes: 0,
      downlink_bytes: 0,
      dropped: 0,
      dead_lettered: 0,
    });
    c[key] = (c[key] ?? 0) + n;
  };
  const read = async (name: string, key: (labels: Partial<Record<string, string | number>>) => string) => {
    const m = deps.metrics.registry.getSingleMetric(name);
    for (const v of m ? (await m.get()).values : []) add(String(v.labels.gateway), key(v.labels), v.value);
  };
  await read('protohub_gateway_messages_total', (l) => String(l.direction));
  await read('protohub_gateway_bytes_total', (l) => `${String(l.direction)}_bytes`);
  await read('protohub_gateway_dropped_total', () => 'dropped');
  await read('protohub_gateway_dlq_total', () => 'dead_lettered');
  return out;
}

function view(h: GatewayHealth, c: Counters) {
  return {
    ...h,
    since: new Date(h.since).toISOString(),
    counters: c[h.id] ?? { uplink: 0, downlink: 0, uplink_bytes: 0, downlink_bytes: 0, dropped: 0, dead_lettered: 0 },
  };
}

function one(deps: ApiDeps, id: string): GatewayHealth {
  const h = deps
    .gateways()
    ?.health()
    .find((g) => g.id === id);
  if (!h) throw notFound(`gateway ${id}`);
  return h;
}

const action = (name: 'start' | 'stop' | 'restart') => ({
  method: 'POST' as const,
  path: `/api/v5/gateways/{id}/${name}`,
  handler: async ({ deps, params, principal }: Parameters<Route<ApiDeps>['handler']>[0]) => {
    const gw = deps.gateways();
    if (!gw) throw unavailable('gateways');
    if (!(await gw.control(params.id, name))) throw notFound(`running gateway ${params.id}`);
    deps.logger.info({ gateway: params.id, action: name, by: principal }, 'gateway action through the HTTP API');
    return view(one(deps, params.id), await counters(deps));
  },
});

export const gatewayRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/api/v5/gateways',
    handler: async ({ deps }) => {
      const c = await counters(deps);
      return (deps.gateways()?.health() ?? []).map((h) => view(h, c));
    },
  },
  {
    method: 'GET',
    path: '/api/v5/gateways/{id}',
    handler: async ({ deps, params }) => view(one(deps, params.id), await counters(deps)),
  },
  action('start'),
  action('stop'),
  action('restart'),
];
