// Gateways: health of every instance, throughput (messages/s computed from the counters between two polls),
// drops and dead letters, and stop/start/restart per instance (POST /api/v5/gateways/{id}/{action}).
import { api, badge, enc, h, num, Rates, table, time, toast } from '../lib.js';

const STATE_KIND = { running: 'good', failed: 'bad', restarting: 'warn', starting: 'warn', stopped: 'warn' };

export default {
  title: 'Gateways',
  mount(el) {
    const body = h('div');
    const rates = new Rates();
    const act = async (id, action) => {
      try {
        const g = await api('POST', `/api/v5/gateways/${enc(id)}/${action}`);
        toast(`${id}: ${action} → ${g.state}`);
      } catch (e) {
        toast(e.message, 'error');
      }
      await refresh();
    };
    const rate = (id, v) => {
      const r = rates.rate(id, v);
      return r === undefined ? '–' : r.toFixed(1);
    };
    const refresh = async () => {
      const list = await api('GET', '/api/v5/gateways');
      body.replaceChildren(
        table(
          [
            'instance',
            'state',
            'connection',
            'peers',
            'up /s',
            'down /s',
            'up total',
            'down total',
            'dropped',
            'dead letters',
            'restarts',
            'since',
            'last error',
            '',
          ],
          list.map((g) => [
            h('code', {}, g.id),
            badge(g.state, STATE_KIND[g.state] ?? ''),
            g.connection,
            num(g.peers),
            rate(`${g.id}/up`, g.counters.uplink),
            rate(`${g.id}/down`, g.counters.downlink),
            num(g.counters.uplink),
            num(g.counters.downlink),
            num(g.counters.dropped),
            num(g.counters.dead_lettered),
            num(g.restarts),
            time(g.since),
            g.lastError ?? '',
            h(
              'span',
              { class: 'actions' },
              h('button', { 'data-restart': g.id, onclick: () => act(g.id, 'restart') }, 'Restart'),
              g.state === 'stopped'
                ? h('button', { onclick: () => act(g.id, 'start') }, 'Start')
                : h('button', { class: 'danger', onclick: () => act(g.id, 'stop') }, 'Stop'),
            ),
          ]),
          'no gateways configured',
        ),
      );
    };
    el.append(h('h1', {}, 'Gateways'), body);
    return { refresh };
  },
};
