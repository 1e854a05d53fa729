// Subscriptions of every client (GET /api/v5/subscriptions), filtered by client id or by a topic name the
// filters must match.
import { api, h, table } from '../lib.js';

export default {
  title: 'Subscriptions',
  mount(el) {
    const client = h('input', { type: 'search', placeholder: 'exact client id' });
    const topic = h('input', { type: 'search', placeholder: 'matching topic, e.g. plant/1/temp' });
    const count = h('span', { class: 'muted' });
    const body = h('div');
    const refresh = async () => {
      const q = new URLSearchParams({ limit: '200' });
      if (client.value) q.set('clientid', client.value);
      if (topic.value) q.set('match_topic', topic.value);
      const page = await api('GET', `/api/v5/subscriptions?${q}`);
      count.textContent = `${page.meta.count} subscription(s)`;
      body.replaceChildren(
        table(
          ['client id', 'filter', 'QoS', 'no local', 'retain as published', 'retain handling'],
          page.data.map((s) => [h('code', {}, s.clientid), h('code', {}, s.topic), s.qos, s.nl, s.rap, s.rh]),
          'no subscriptions',
        ),
      );
    };
    for (const i of [client, topic]) i.addEventListener('input', () => refresh().catch(() => undefined));
    el.append(h('h1', {}, 'Subscriptions'), h('div', { class: 'toolbar' }, client, topic, count), body);
    return { refresh };
  },
};
