// Clients: search by client id (substring), user name or protocol; kick (DELETE /api/v5/clients/{id}).
import { api, badge, enc, h, num, table, time, toast } from '../lib.js';

export default {
  title: 'Clients',
  mount(el) {
    const search = h('input', { type: 'search', placeholder: 'client id contains…', id: 'client-search' });
    const user = h('input', { type: 'search', placeholder: 'user name' });
    const proto = h(
      'select',
      {},
      ['', 'mqtt', 'mqttsn', 'coap', 'lwm2m'].map((p) => h('option', { value: p }, p || 'any protocol')),
    );
    const count = h('span', { class: 'muted' });
    const body = h('div');
    const refresh = async () => {
      const q = new URLSearchParams({ limit: '100' });
      if (search.value) q.set('like_clientid', search.value);
      if (user.value) q.set('like_username', user.value);
      if (proto.value) q.set('protocol', proto.value);
      const page = await api('GET', `/api/v5/clients?${q}`);
      count.textContent = `${page.meta.count} client(s)${page.meta.hasnext ? ', first 100 shown' : ''}`;
      body.replaceChildren(
        table(
          ['client id', 'user', 'address', 'protocol', 'state', 'since', 'subs', 'queued', ''],
          page.data.map((c) => [
            h('code', {}, c.clientid),
            c.username ?? '–',
            c.ip_address ? `${c.ip_address}:${c.port}` : '–',
            `${c.protocol}${c.proto_ver ? ' v' + c.proto_ver : ''}`,
            c.connected ? badge('connected', 'good') : badge('offline', 'warn'),
            time(c.connected ? c.connected_at : c.disconnected_at),
            num(c.subscriptions_cnt),
            num(c.mqueue_len),
            h('button', { class: 'danger', 'data-kick': c.clientid, onclick: () => kick(c.clientid) }, 'Kick'),
          ]),
          'no clients match',
        ),
      );
    };
    const kick = async (id) => {
      if (!confirm(`Disconnect ${id} and discard its session?`)) return;
      try {
        await api('DELETE', `/api/v5/clients/${enc(id)}`);
        toast(`${id} kicked`);
      } catch (e) {
        toast(e.message, 'error');
      }
      await refresh();
    };
    for (const i of [search, user, proto]) i.addEventListener('input', () => refresh().catch(() => undefined));
    el.append(h('h1', {}, 'Clients'), h('div', { class: 'toolbar' }, search, user, proto, count), body);
    return { refresh };
  },
};
