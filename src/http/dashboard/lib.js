// Small helpers shared by the pages: DOM building (text only, never innerHTML: client ids and topics come
// from devices), the API client, and number formatting.

/** h('td', {class: 'num'}, 'text', childNode…) */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children.flat()) if (c !== undefined && c !== null) el.append(c instanceof Node ? c : String(c));
  return el;
}

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/**
 * Calls the hub's API with the login cookie; throws ApiError with the API's {code, message}. A 401 also tells
 * the shell the session ended, except for calls that expect one (`quiet`: the login itself, the first probe).
 */
export async function api(method, path, body, { quiet = false } = {}) {
  const init = { method, headers: {}, credentials: 'same-origin' };
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  if (res.status === 204) return undefined;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    if (res.status === 401 && !quiet) window.dispatchEvent(new Event('ph-logged-out'));
    throw new ApiError(res.status, data.code ?? 'PH_HTTP', data.message ?? res.statusText);
  }
  return data;
}

export const enc = encodeURIComponent;

export function num(n) {
  if (n === undefined || n === null) return '–';
  if (Math.abs(n) >= 1e6) return (n / 1e6).toFixed(1) + ' M';
  if (Math.abs(n) >= 1e4) return (n / 1e3).toFixed(1) + ' k';
  return Number.isInteger(n) ? String(n) : n.toFixed(1);
}

export function bytes(n) {
  if (n === undefined || n === null) return '–';
  const units = ['B', 'KB', 'MB', 'GB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return (i === 0 ? n : n.toFixed(1)) + ' ' + units[i];
}

export function duration(ms) {
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const hh = Math.floor((s % 86400) / 3600);
  const mm = Math.floor((s % 3600) / 60);
  return d ? `${d}d ${hh}h` : hh ? `${hh}h ${mm}m` : `${mm}m ${s % 60}s`;
}

export const time = (iso) => (iso ? new Date(iso).toLocaleTimeString() : '–');

/** A table with a header row; rows are arrays of cells (nodes or text). */
export function table(headers, rows, empty = 'nothing to show') {
  return h(
    'table',
    {},
    h(
      'thead',
      {},
      h(
        'tr',
        {},
        headers.map((x) => h('th', {}, x)),
      ),
    ),
    h(
      'tbody',
      {},
      rows.length
        ? rows.map((r) =>
            h(
              'tr',
              {},
              r.map((c) => (c instanceof Node && c.tagName === 'TD' ? c : h('td', {}, c))),
            ),
          )
        : h('tr', {}, h('td', { colspan: headers.length, class: 'empty' }, empty)),
    ),
  );
}

export function badge(text, kind) {
  return h('span', { class: `badge ${kind}` }, text);
}

/** Rate per second of a growing counter between two polls, keyed by id. */
export class Rates {
  #last = new Map();
  rate(id, value, now = Date.now()) {
    const prev = this.#last.get(id);
    this.#last.set(id, { value, at: now });
    if (!prev || now <= prev.at || value < prev.value) return undefined;
    return ((value - prev.value) * 1000) / (now - prev.at);
  }
}

/** Shows a transient message at the top of the page. */
export function toast(text, kind = 'info') {
  const el = h('div', { class: `toast ${kind}`, role: 'status' }, text);
  document.body.append(el);
  setTimeout(() => el.remove(), 4000);
}
