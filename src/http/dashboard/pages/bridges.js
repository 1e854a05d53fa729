// Bridges to the upstream broker: connection, backlog, drain rate (acknowledged messages per second between
// two polls), counters, pause/resume.
import { api, badge, bytes, enc, h, num, Rates, table, toast } from '../lib.js';

export default {
  title: 'Bridges',
  mount(el) {
    const body = h('div');
    const rates = new Rates();
    const act = async (name, action) => {
      await api('POST', `/api/v5/bridges/${enc(name)}/${action}`).catch((e) => toast(e.message, 'error'));
      await refresh();
    };
    const refresh = async () => {
      const list = await api('GET', '/api/v5/bridges').catch((e) => {
        if (e.status === 503) return [];
        throw e;
      });
      body.replaceChildren(
        table(
          [
            'bridge',
            'state',
            'server',
            'backlog',
            'backlog bytes',
            'oldest',
            'in flight',
            'drain /s',
            'sent',
            'acked',
            'dropped',
            'received',
            'last error',
            '',
          ],
          list.map((b) => {
            const drain = rates.rate(b.name, b.acked);
            return [
              h('code', {}, b.name),
              b.paused ? badge('paused', 'warn') : badge(b.state, b.state === 'connected' ? 'good' : 'bad'),
              b.server ?? '–',
              num(b.backlog),
              bytes(b.backlogBytes),
              `${num(b.oldestAgeSeconds)} s`,
              num(b.inflight),
              drain === undefined ? '–' : drain.toFixed(1),
              num(b.sent),
              num(b.acked),
              num(b.dropped),
              num(b.received),
              b.lastError ?? '',
              b.paused
                ? h('button', { onclick: () => act(b.name, 'resume') }, 'Resume')
                : h('button', { onclick: () => act(b.name, 'pause') }, 'Pause'),
            ];
          }),
          'no bridges configured',
        ),
      );
    };
    el.append(h('h1', {}, 'Bridges'), body);
    return { refresh };
  },
};
