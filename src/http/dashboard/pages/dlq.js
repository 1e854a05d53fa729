// Dead letters: counters per gateway and reason (GET /api/v5/dlq) and the latest entries with a payload
// preview (GET /api/v5/dlq/messages, an in-memory ring of the last 100).
import { api, h, num, table, time } from '../lib.js';

export default {
  title: 'Dead letters',
  mount(el) {
    const counters = h('div');
    const latest = h('div');
    const note = h('p', { class: 'muted' });
    const refresh = async () => {
      const [c, m] = await Promise.all([api('GET', '/api/v5/dlq'), api('GET', '/api/v5/dlq/messages?limit=50')]);
      counters.replaceChildren(
        table(
          ['gateway', 'reason', 'dead-lettered'],
          c.dead_lettered.map((d) => [h('code', {}, d.gateway), d.reason, num(d.count)]),
          'no dead letters',
        ),
      );
      note.textContent = `Messages go to ${c.topic}. The newest ${m.capacity} are kept in memory (${m.overwritten} overwritten since start).`;
      latest.replaceChildren(
        table(
          ['time', 'gateway', 'reason', 'error', 'payload'],
          m.data.map((d) => [
            time(d.received_at),
            h('code', {}, d.gateway),
            d.reason,
            d.error,
            h('code', {}, `${d.payload_encoding === 'base64' ? '(base64) ' : ''}${d.payload}${d.truncated ? '…' : ''}`),
          ]),
          'no dead letters since the hub started',
        ),
      );
    };
    el.append(h('h1', {}, 'Dead letters'), h('h2', {}, 'Counters'), counters, h('h2', {}, 'Latest'), note, latest);
    return { refresh };
  },
};
