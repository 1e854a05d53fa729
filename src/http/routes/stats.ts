/**
 * Overview: GET /api/v5/nodes, /stats, /metrics, /monitor_current (EMQX 5 paths and key names) and the
 * dead-letter counters at GET /api/v5/dlq.
 */
import { clientSessions, topics } from '../../broker/inspect.js';
import type { ApiDeps } from '../deps.js';
import { metricSums } from '../rates.js';
import type { Route } from '../router.js';
import { broker } from './need.js';

function counts(deps: ApiDeps) {
  const b = broker(deps);
  let connected = 0;
  let sessions = 0;
  for (const s of clientSessions(b)) {
    sessions++;
    if (s.sink) connected++;
  }
  let subscriptions = 0;
  for (const s of clientSessions(b)) subscriptions += s.subscriptions.size;
  return { connected, sessions, subscriptions, topics: topics(b).size, retained: b.retained.size };
}

export const statsRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/api/v5/nodes',
    handler: ({ deps }) => {
      const c = counts(deps);
      const mem = process.memoryUsage();
      return [
        {
          node: deps.config.node.name,
          node_status: 'running',
          version: deps.version,
          uptime: Date.now() - deps.startedAt,
          connections: c.connected,
          sessions: c.sessions,
          memory_rss: mem.rss,
          memory_heap_used: mem.heapUsed,
          process_cpu_seconds: Math.round(process.cpuUsage().user / 1e4) / 100,
          node_js: process.version,
        },
      ];
    },
  },
  {
    method: 'GET',
    path: '/api/v5/stats',
    handler: ({ deps }) => {
      const c = counts(deps);
      return {
        'connections.count': c.sessions,
        'live_connections.count': c.connected,
        'sessions.count': c.sessions,
        'subscriptions.count': c.subscriptions,
        'topics.count': c.topics,
        'retained.count': c.retained,
      };
    },
  },
  {
    method: 'GET',
    path: '/api/v5/metrics',
    handler: async ({ deps }) => {
      const t = await deps.rates.totals();
      const dropped = await metricSums(deps.metrics, 'protohub_messages_dropped_total', 'reason');
      return {
        'messages.received': t.received,
        'messages.sent': t.sent,
        'messages.dropped': t.dropped,
        'bytes.received': t.bytes_received,
        'bytes.sent': t.bytes_sent,
        ...Object.fromEntries(Object.entries(dropped).map(([r, n]) => [`messages.dropped.${r}`, n])),
      };
    },
  },
  {
    method: 'GET',
    path: '/api/v5/monitor_current',
    handler: ({ deps }) => {
      const c = counts(deps);
      const r = deps.rates.rates();
      return {
        connections: c.sessions,
        live_connections: c.connected,
        subscriptions: c.subscriptions,
        topics: c.topics,
        retained_msg_count: c.retained,
        received_msg_rate: r.received,
        sent_msg_rate: r.sent,
        dropped_msg_rate: r.dropped,
        received_bytes_rate: r.bytes_received,
        sent_bytes_rate: r.bytes_sent,
      };
    },
  },
  {
    method: 'GET',
    path: '/api/v5/dlq',
    handler: async ({ deps }) => {
      const m = deps.metrics.registry.getSingleMetric('protohub_gateway_dlq_total');
      const out: Array<{ gateway: string; reason: string; count: number }> = [];
      for (const v of m ? (await m.get()).values : [])
        out.push({ gateway: String(v.labels.gateway), reason: String(v.labels.reason), count: v.value });
      const dropped = await metricSums(deps.metrics, 'protohub_gateway_dropped_total', 'reason');
      return { topic: '$hub/dlq/<gateway>', dead_lettered: out, gateway_dropped: dropped };
    },
  },
];
