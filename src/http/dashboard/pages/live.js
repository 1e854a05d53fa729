// Live message viewer: subscribe to a filter and watch. Uses the API's event stream GET /api/v5/live?topic=…
// (an in-process QoS 0 session on the hub); keeps the newest 200 rows.
import { h, time } from '../lib.js';

const MAX_ROWS = 200;

export default {
  title: 'Live',
  mount(el) {
    const filter = h('input', { id: 'live-filter', value: '#', placeholder: 'topic filter, e.g. plant/#' });
    const status = h('span', { class: 'muted', id: 'live-status' }, 'not watching');
    const rows = h('tbody', { id: 'live-rows' });
    let source;
    const stop = () => {
      source?.close();
      source = undefined;
      status.textContent = 'not watching';
      button.textContent = 'Watch';
    };
    const watch = (e) => {
      e.preventDefault();
      if (source) return stop();
      rows.replaceChildren();
      source = new EventSource(`/api/v5/live?topic=${encodeURIComponent(filter.value)}`);
      button.textContent = 'Stop';
      status.textContent = 'connecting…';
      source.addEventListener('ready', () => (status.textContent = `watching ${filter.value}`));
      source.addEventListener('message', (ev) => {
        const m = JSON.parse(ev.data);
        const payload = `${m.payload_encoding === 'base64' ? '(base64) ' : ''}${m.payload}${m.truncated ? '…' : ''}`;
        rows.prepend(
          h(
            'tr',
            {},
            h('td', {}, time(m.received_at)),
            h('td', {}, h('code', {}, m.topic)),
            h('td', {}, m.qos),
            h('td', {}, m.retain ? 'yes' : ''),
            h('td', {}, m.from_clientid ?? ''),
            h('td', {}, h('code', {}, payload)),
          ),
        );
        if (m.dropped) status.textContent = `watching ${filter.value} (${m.dropped} skipped: too fast to show)`;
        while (rows.children.length > MAX_ROWS) rows.lastChild.remove();
      });
      source.addEventListener('error', () => {
        if (source?.readyState === EventSource.CLOSED) {
          status.textContent = 'stream closed (invalid filter, too many viewers, or signed out)';
          source = undefined;
          button.textContent = 'Watch';
        } else status.textContent = 'reconnecting…';
      });
    };
    const button = h('button', { type: 'submit', id: 'live-watch' }, 'Watch');
    el.append(
      h('h1', {}, 'Live messages'),
      h('form', { class: 'toolbar', onsubmit: watch }, filter, button, status),
      h(
        'div',
        { id: 'live-log' },
        h(
          'table',
          {},
          h(
            'thead',
            {},
            h(
              'tr',
              {},
              ['time', 'topic', 'QoS', 'retained', 'from', 'payload'].map((x) => h('th', {}, x)),
            ),
          ),
          rows,
        ),
      ),
    );
    return { unmount: stop };
  },
};
