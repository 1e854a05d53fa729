// Overview: node facts and counts, and live charts of message and byte rates (GET /api/v5/nodes and
// /api/v5/monitor_current every 2 s; the charts keep the last 2 minutes).
import { LineChart } from '../chart.js';
import { api, bytes, duration, h, num } from '../lib.js';

export default {
  title: 'Overview',
  mount(el) {
    const cards = h('div', { class: 'cards', id: 'overview-cards' });
    const msgCanvas = h('canvas', { 'aria-label': 'messages per second' });
    const byteCanvas = h('canvas', { 'aria-label': 'kilobytes per second' });
    el.append(
      h('h1', {}, 'Overview'),
      cards,
      h(
        'div',
        { class: 'charts' },
        h('div', { class: 'chart' }, h('h2', {}, 'Messages / s'), msgCanvas),
        h('div', { class: 'chart' }, h('h2', {}, 'KB / s'), byteCanvas),
      ),
    );
    const msgs = new LineChart(msgCanvas, ['in', 'out', 'dropped']);
    const kb = new LineChart(byteCanvas, ['in', 'out']);
    const card = (k, v) => h('div', { class: 'card' }, h('div', { class: 'v' }, v), h('div', { class: 'k' }, k));
    return {
      async refresh() {
        const [[node], m] = await Promise.all([api('GET', '/api/v5/nodes'), api('GET', '/api/v5/monitor_current')]);
        cards.replaceChildren(
          card('version', node.version),
          card('uptime', duration(node.uptime)),
          card('connected clients', num(m.live_connections)),
          card('sessions', num(m.connections)),
          card('subscriptions', num(m.subscriptions)),
          card('topics', num(m.topics)),
          card('retained', num(m.retained_msg_count)),
          card('memory (RSS)', bytes(node.memory_rss)),
        );
        msgs.push([m.received_msg_rate, m.sent_msg_rate, m.dropped_msg_rate]);
        kb.push([m.received_bytes_rate / 1024, m.sent_bytes_rate / 1024]);
      },
    };
  },
};
