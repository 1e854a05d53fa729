// The dashboard shell: login, navigation by URL hash (#/clients …), and a 2 s refresh of the visible page.
// Every page is a module exporting { title, mount(el) → { refresh(), unmount() } }.
import { api, h, toast } from './lib.js';
import overview from './pages/overview.js';
import clients from './pages/clients.js';
import subscriptions from './pages/subscriptions.js';
import topics from './pages/topics.js';
import gateways from './pages/gateways.js';
import bridges from './pages/bridges.js';
import dlq from './pages/dlq.js';
import live from './pages/live.js';

const PAGES = { overview, clients, subscriptions, topics, gateways, bridges, dlq, live };
const REFRESH_MS = 2000;
const main = document.getElementById('main');
const nav = document.getElementById('nav');
const who = document.getElementById('who');
let current;
let timer;

function showLogin(message) {
  stopPage();
  nav.hidden = true;
  who.replaceChildren();
  const error = h('p', { class: 'error', role: 'alert' }, message ?? '');
  const user = h('input', { name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const form = h(
    'form',
    { class: 'login', onsubmit: (e) => login(e, user.value, pass.value, error) },
    h('h1', {}, 'Sign in'),
    h('label', {}, 'User', user),
    h('label', {}, 'Password', pass),
    h('button', { type: 'submit' }, 'Sign in'),
    error,
    h('p', { class: 'muted' }, 'Admins are users of auth.password_file listed in http.admins.'),
  );
  main.replaceChildren(form);
}

async function login(e, username, password, error) {
  e.preventDefault();
  try {
    await api('POST', '/api/v5/login', { username, password }, { quiet: true });
    start(username);
  } catch (err) {
    error.textContent = err.status === 401 ? 'Wrong user name or password, or not an admin.' : err.message;
  }
}

async function logout() {
  await api('POST', '/api/v5/logout').catch(() => undefined);
  showLogin('Signed out.');
}

function start(user) {
  nav.hidden = false;
  nav.replaceChildren(...Object.entries(PAGES).map(([id, p]) => h('a', { href: `#/${id}`, 'data-page': id }, p.title)));
  who.replaceChildren(user ? h('span', {}, user) : '', h('button', { class: 'link', onclick: logout }, 'Sign out'));
  route();
}

function stopPage() {
  clearInterval(timer);
  current?.unmount?.();
  current = undefined;
}

function route() {
  if (nav.hidden) return;
  const id = location.hash.replace(/^#\/?/, '') || 'overview';
  const page = PAGES[id] ?? PAGES.overview;
  stopPage();
  for (const t of document.querySelectorAll('.toast')) t.remove();
  for (const a of nav.children) a.classList.toggle('active', a.dataset.page === id);
  const el = h('section', { class: 'page', id: `page-${id}` });
  main.replaceChildren(el);
  document.title = `${page.title} · protohub`;
  current = page.mount(el);
  const tick = () =>
    Promise.resolve(current?.refresh?.()).catch((err) => err.status !== 401 && toast(err.message, 'error'));
  tick();
  timer = setInterval(() => document.visibilityState === 'visible' && tick(), REFRESH_MS);
}

window.addEventListener('hashchange', route);
window.addEventListener('ph-logged-out', () => showLogin('Your session ended; sign in again.'));

// a still-valid login cookie skips the form
api('GET', '/api/v5/nodes', undefined, { quiet: true })
  .then(() => start())
  .catch(() => showLogin());
