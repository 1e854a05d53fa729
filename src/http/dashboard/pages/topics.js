// Topics (distinct subscribed filters) and retained messages: view a retained payload, delete it.
import { api, bytes, enc, h, table, time, toast } from '../lib.js';

export default {
  title: 'Topics',
  mount(el) {
    const filter = h('input', { type: 'search', placeholder: 'filter, e.g. plant/#' });
    const topicsBox = h('div');
    const retainedBox = h('div');
    const preview = h('pre', { class: 'mono', id: 'retained-preview' });
    const show = async (topic) => {
      const m = await api('GET', `/api/v5/mqtt/retainer/message/${enc(topic)}`);
      const text = atob(m.payload);
      preview.textContent = `${topic}\n${/^[\x20-\x7e\s]*$/.test(text) ? text : '(binary) ' + m.payload}`;
    };
    const remove = async (topic) => {
      if (!confirm(`Delete the retained message of ${topic}?`)) return;
      await api('DELETE', `/api/v5/mqtt/retainer/message/${enc(topic)}`).catch((e) => toast(e.message, 'error'));
      await refresh();
    };
    const refresh = async () => {
      const q = new URLSearchParams({ limit: '200', topic: filter.value || '#' });
      const [t, r] = await Promise.all([
        api('GET', '/api/v5/topics?limit=200'),
        api('GET', `/api/v5/mqtt/retainer/messages?${q}`),
      ]);
      topicsBox.replaceChildren(
        table(
          ['filter', 'sessions'],
          t.data.map((x) => [h('code', {}, x.topic), x.sessions]),
          'no subscriptions',
        ),
      );
      retainedBox.replaceChildren(
        table(
          ['topic', 'QoS', 'size', 'from', 'published', ''],
          r.data.map((m) => [
            h('code', {}, m.topic),
            m.qos,
            bytes(m.payload_size),
            m.from_clientid ?? '–',
            time(m.publish_at),
            h(
              'span',
              { class: 'actions' },
              h('button', { onclick: () => show(m.topic).catch((e) => toast(e.message, 'error')) }, 'View'),
              h('button', { class: 'danger', onclick: () => remove(m.topic) }, 'Delete'),
            ),
          ]),
          'no retained messages',
        ),
      );
    };
    filter.addEventListener('input', () => refresh().catch(() => undefined));
    el.append(
      h('h1', {}, 'Topics and retained messages'),
      h('h2', {}, 'Subscribed filters'),
      topicsBox,
      h('h2', {}, 'Retained messages'),
      h('div', { class: 'toolbar' }, filter),
      retainedBox,
      preview,
    );
    return { refresh };
  },
};
