/**
 * Retained messages (EMQX 5 retainer paths): GET /api/v5/mqtt/retainer/messages (paged; `topic` filter with
 * wildcards), GET and DELETE /api/v5/mqtt/retainer/message/{topic} (the topic percent-encoded, `/` as %2F).
 */
import { retainedMessages } from '../../broker/inspect.js';
import type { BrokerMessage } from '../../broker/message.js';
import { validateTopicFilter } from '../../broker/topic/index.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound } from '../errors.js';
import { paginate } from '../paging.js';
import type { Route } from '../router.js';
import { broker } from './need.js';

function view(m: BrokerMessage, withPayload: boolean) {
  return {
    topic: m.topic,
    qos: m.qos,
    payload: withPayload ? m.payload.toString('base64') : undefined,
    payload_size: m.payload.length,
    from_clientid: m.origin?.clientId,
    publish_at: new Date(m.receivedAt).toISOString(),
  };
}

export const retainedRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/api/v5/mqtt/retainer/messages',
    handler: ({ deps, query }) => {
      const b = broker(deps);
      const filter = query.get('topic') ?? '#';
      const bad = validateTopicFilter(filter, b.options.max_topic_levels);
      if (bad) throw badRequest(`query.topic: ${bad}`);
      return paginate(
        query,
        deps.maxPage,
        retainedMessages(b, filter),
        () => true,
        (m) => view(m, false),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/v5/mqtt/retainer/message/{topic}',
    handler: ({ deps, params }) => {
      const m = broker(deps).retained.get(params.topic);
      if (!m) throw notFound(`retained message on ${params.topic}`);
      return view(m, true);
    },
  },
  {
    method: 'DELETE',
    path: '/api/v5/mqtt/retainer/message/{topic}',
    handler: ({ deps, params }) => {
      const b = broker(deps);
      if (!b.retained.get(params.topic)) throw notFound(`retained message on ${params.topic}`);
      // [MQTT-3.3.1-10] a zero-byte retained publish is how MQTT deletes one; subscribers get nothing (no match)
      b.retained.set({ topic: params.topic, payload: Buffer.alloc(0), qos: 0, retain: true, receivedAt: Date.now() });
      return undefined;
    },
  },
];
