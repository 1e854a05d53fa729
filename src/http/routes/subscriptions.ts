/**
 * GET /api/v5/subscriptions (paged; filters clientid, topic, match_topic, qos, share_group) and
 * GET /api/v5/topics (paged; distinct subscribed filters with their session count; filter topic).
 */
import { subscriptions, topics } from '../../broker/inspect.js';
import { topicMatches } from '../../broker/topic/index.js';
import type { ApiDeps } from '../deps.js';
import { paginate } from '../paging.js';
import type { Route } from '../router.js';
import { broker } from './need.js';

export const subscriptionRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: '/api/v5/subscriptions',
    handler: ({ deps, query }) => {
      const clientid = query.get('clientid');
      const topic = query.get('topic');
      const match = query.get('match_topic');
      const qos = query.get('qos');
      const group = query.get('share_group');
      return paginate(
        query,
        deps.maxPage,
        subscriptions(broker(deps)),
        (s) =>
          (clientid === null || s.clientid === clientid) &&
          (topic === null || s.topic === topic) &&
          (match === null || topicMatches(s.topic, match)) &&
          (qos === null || String(s.qos) === qos) &&
          (group === null || s.topic.startsWith(`$share/${group}/`)),
        (s) => ({ ...s, node: deps.config.node.name }),
      );
    },
  },
  {
    method: 'GET',
    path: '/api/v5/topics',
    handler: ({ deps, query }) => {
      const topic = query.get('topic');
      return paginate(
        query,
        deps.maxPage,
        topics(broker(deps)),
        ([t]) => topic === null || t === topic,
        ([t, n]) => ({ topic: t, node: deps.config.node.name, sessions: n }),
      );
    },
  },
];
