/**
 * The web dashboard in a real browser (Debian chromium + playwright-core) against an in-process hub with a
 * ZeroMQ gateway: first-load size, log in, a connected MQTT.js client appears and is kicked, a gateway is
 * restarted, a message published with mosquitto_pub arrives in the live viewer, and a page on another origin
 * cannot use the login cookie. PROTOHUB_SCREENSHOTS=1 also saves the main pages as docs/dashboard/*.png.
 */
import { createServer, request, type Server } from 'node:http';
import { type AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import * as zmq from 'zeromq';
import { upsertUser } from '../../src/auth/password-file-write.js';
import { launchChromium } from '../support/browser.js';
import { mosquittoPub } from '../support/cli-clients.js';
import { closeAllClients, closed, connectV5, subscribe } from '../support/clients.js';
import { eventually, REPO_ROOT, startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { startMosquitto, type MosquittoInstance } from '../support/mosquitto.js';
import { freePort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const SHOTS = process.env.PROTOHUB_SCREENSHOTS === '1';
const ADMIN = { user: 'ops', password: 'ops-password' };

describeWithPeers(['chromium', 'mosquitto', 'mosquitto_pub'], 'web dashboard in chromium', () => {
  let h: StartedHub;
  let base: string;
  let browser: BrowserContext;
  let page: Page;
  let evil: Server | undefined;
  let zmqPort: number;
  let mosq: MosquittoInstance;

  beforeAll(async () => {
    const dir = tempDir();
    const passwords = join(dir, 'passwd');
    await upsertUser(passwords, ADMIN.user, ADMIN.password, { N: 1024, r: 8, p: 1 });
    await upsertUser(passwords, 'line-a', 'line-a-pw', { N: 1024, r: 8, p: 1 });
    zmqPort = await freePort();
    mosq = await startMosquitto();
    h = await startHub({
      node: { name: 'edge1' },
      store: { type: 'memory', dir },
      http: { enable: true, bind: '127.0.0.1:0', admins: [ADMIN.user] },
      auth: { password_file: passwords, allow_anonymous: true },
      gateways: { zeromq: { line: { sockets: { in: { type: 'pull', bind: [`tcp://127.0.0.1:${zmqPort}`] } } } } },
      bridges: {
        mqtt: {
          cloud: {
            servers: [mosq.url],
            clientid: 'edge1-bridge',
            reconnect: { initial: '50ms', max: '300ms' },
            forwards: [{ local: 'plant/#', remote: 'edge1/{topic}', qos: 1 }],
          },
        },
      },
    });
    base = `http://127.0.0.1:${h.hub.address('http').port}`;
    browser = await launchChromium();
    page = browser.pages()[0] ?? (await browser.newPage());
    page.setDefaultTimeout(20_000);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await new Promise((r) => (evil ? evil.close(r) : r(undefined)));
    closeAllClients();
    await stopAllHubs();
    await mosq?.stop();
    removeTempDirs();
  }, 30_000);

  async function shot(name: string): Promise<void> {
    if (SHOTS) await page.screenshot({ path: join(REPO_ROOT, 'docs', 'dashboard', `${name}.png`), fullPage: false });
  }

  it('loads in at most 300 KB, signs in an admin and shows the overview', async () => {
    const cdp = await browser.newCDPSession(page);
    await cdp.send('Network.enable');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: true });
    let transferred = 0;
    cdp.on('Network.loadingFinished', (e) => (transferred += e.encodedDataLength));
    await page.goto(base + '/');
    await page.locator('form.login').waitFor();
    await shot('login');
    await page.fill('input[name=password]', 'wrong');
    await page.fill('input[name=username]', ADMIN.user);
    await page.click('form.login button');
    await expect.poll(() => page.locator('form.login .error').textContent()).toMatch(/Wrong user name/);
    await page.fill('input[name=password]', ADMIN.password);
    await page.click('form.login button');
    await page.locator('#overview-cards .card').first().waitFor();
    await expect.poll(() => page.locator('#overview-cards').textContent()).toContain('uptime');
    await page.waitForLoadState('networkidle');
    await cdp.send('Network.setCacheDisabled', { cacheDisabled: false });
    console.log(`dashboard first load (login + overview): ${transferred} bytes transferred`);
    expect(transferred).toBeGreaterThan(5_000);
    expect(transferred).toBeLessThanOrEqual(300 * 1024);
    await cdp.detach();
  });

  it('shows a connected MQTT client and kicks it: the MQTT.js client is disconnected', async () => {
    const c = await connectV5(h.url, { clientId: 'press-7', username: 'line-a', password: 'line-a-pw' });
    await subscribe(c, 'plant/press-7/#', { qos: 1 });
    await page.goto(base + '/#/clients');
    const row = page.locator('tr', { has: page.locator('code', { hasText: 'press-7' }) });
    await row.waitFor();
    expect(await row.textContent()).toContain('connected');
    await page.goto(base + '/#/subscriptions');
    await page.locator('code', { hasText: 'plant/press-7/#' }).waitFor();
    await shot('subscriptions');
    await page.goto(base + '/#/clients');
    await row.waitFor();
    await shot('clients');
    const reason = new Promise<number | undefined>((r) => c.once('disconnect', (p) => r(p.reasonCode)));
    const gone = closed(c, 20_000);
    page.once('dialog', (d) => void d.accept());
    await page.click('button[data-kick="press-7"]');
    expect(await reason).toBe(0x98);
    await gone;
    await row.waitFor({ state: 'detached' });
  });

  it('restarts a gateway from its page', async () => {
    // `restarts` counts the supervisor's restarts after failures; an operator restart shows as a new `since`
    const since = async () => {
      const res = await page.request.get(`${base}/api/v5/gateways/zeromq.line`);
      return Date.parse(((await res.json()) as { since: string }).since);
    };
    const before = await since();
    await page.goto(base + '/#/gateways');
    await page.locator('button[data-restart="zeromq.line"]').waitFor();
    await shot('gateways');
    await page.click('button[data-restart="zeromq.line"]');
    await page.locator('.toast', { hasText: 'zeromq.line: restart' }).waitFor();
    await eventually(async () => (await since()) > before, 'gateway restarted (new since)', 20_000);
    await page.locator('tr', { hasText: 'zeromq.line' }).locator('.badge', { hasText: 'running' }).waitFor();
  });

  it('watches a filter in the live viewer and shows a message published with mosquitto_pub', async () => {
    await page.goto(base + '/#/live');
    await page.fill('#live-filter', 'plant/#');
    await page.click('#live-watch');
    await expect.poll(() => page.locator('#live-status').textContent()).toBe('watching plant/#');
    const pub = await mosquittoPub({ port: h.port, topic: 'plant/press-7/temp', message: '{"t":21.5}', qos: 1 });
    expect(pub.code).toBe(0);
    await page.locator('#live-rows tr', { hasText: '{"t":21.5}' }).waitFor();
    expect(await page.locator('#live-rows tr').first().textContent()).toContain('plant/press-7/temp');
    await mosquittoPub({ port: h.port, topic: 'other/x', message: 'not watched' });
    await mosquittoPub({ port: h.port, topic: 'plant/line/state', message: 'running', retain: true });
    await page.locator('#live-rows tr', { hasText: 'running' }).waitFor();
    expect(await page.locator('#live-rows').textContent()).not.toContain('not watched');
    await shot('live');
  });

  it('shows the latest dead letters: a malformed ZeroMQ message sent by a real zeromq peer', async () => {
    const push = new zmq.Push();
    push.connect(`tcp://127.0.0.1:${zmqPort}`);
    try {
      await push.send(['single-frame-only']);
      await push.send(['plant/zmq/ok', 'alive']);
      await page.goto(base + '/#/dlq');
      const row = page.locator('#page-dlq tr', { hasText: 'single-frame-only' });
      await row.waitFor();
      expect(await row.textContent()).toContain('zeromq.line');
      expect(await row.textContent()).toContain('malformed');
      await shot('dlq');
    } finally {
      push.close();
    }
  });

  it('renders the overview charts and the topics page (screenshots with PROTOHUB_SCREENSHOTS=1)', async () => {
    const c = await connectV5(h.url, { clientId: 'load-gen' });
    c.publish('plant/line/state', 'running', { qos: 1, retain: true });
    const timer = setInterval(() => c.publish(`plant/press-${Math.floor(Math.random() * 4)}/temp`, '21.5'), 25);
    try {
      for (const p of ['overview', 'topics']) {
        await page.goto(`${base}/#/${p}`);
        await page.locator(`#page-${p} table, #page-${p} canvas`).first().waitFor();
        if (p === 'overview') {
          // rates are sampled over 5 s: wait until the hub reports traffic, then let the chart draw a few points
          const rate = async () => {
            const res = await page.request.get(`${base}/api/v5/monitor_current`);
            return ((await res.json()) as { received_msg_rate: number }).received_msg_rate;
          };
          await eventually(async () => (await rate()) > 0, 'a non-zero message rate', 20_000);
          expect(await page.locator('#overview-cards').textContent()).toMatch(/connected clients/);
          if (SHOTS) await page.waitForTimeout(20_000);
        }
        await shot(p);
      }
    } finally {
      clearInterval(timer);
      c.end(true);
    }
  });

  it('shows a bridge to a real mosquitto with its backlog and pauses and resumes it', async () => {
    await page.goto(base + '/#/bridges');
    const row = page.locator('#page-bridges tr', { hasText: 'cloud' });
    await row.locator('.badge', { hasText: 'connected' }).waitFor();
    expect(await row.textContent()).toContain(mosq.url.replace('mqtt://', ''));
    await row.locator('button', { hasText: 'Pause' }).click();
    await row.locator('.badge', { hasText: 'paused' }).waitFor();
    const c = await connectV5(h.url, { clientId: 'bridge-load' });
    for (let i = 0; i < 5; i++) await c.publishAsync(`plant/cell-${i}/count`, String(i), { qos: 1 });
    // paused: the forwards wait in the bridge's cache, the page shows the backlog
    await expect
      .poll(async () => (await row.locator('td').nth(3).textContent())?.trim(), { timeout: 20_000 })
      .toBe('5');
    await shot('bridges');
    await row.locator('button', { hasText: 'Resume' }).click();
    await row.locator('.badge', { hasText: 'connected' }).waitFor();
    await expect
      .poll(async () => (await row.locator('td').nth(3).textContent())?.trim(), { timeout: 20_000 })
      .toBe('0');
    c.end(true);
  });

  it('refuses path traversal on the hub and a kick from a page of another origin (CSRF)', async () => {
    for (const path of ['/../package.json', '/%2e%2e/package.json', '/..%5cpackage.json', '/%2e%2e%2fsrc/hub.ts']) {
      const res = await rawGet(base, path);
      expect([400, 404], path).toContain(res.status);
      expect(res.body).not.toContain('"name": "protohub"');
    }
    const victim = await connectV5(h.url, { clientId: 'victim' });
    // same site (127.0.0.1) but another origin (port): the SameSite=Strict cookie IS sent, Origin gives it away
    evil = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end(`<!doctype html><script>
        fetch('${base}/api/v5/clients/victim', { method: 'DELETE', credentials: 'include', mode: 'no-cors' })
          .finally(() => { document.title = 'done'; });
      </script>`);
    });
    await new Promise<void>((r) => evil!.listen(0, '127.0.0.1', r));
    const evilPage = await browser.newPage();
    await evilPage.goto(`http://127.0.0.1:${(evil.address() as AddressInfo).port}/`);
    await expect.poll(() => evilPage.title()).toBe('done');
    await evilPage.close();
    const res = await page.request.get(`${base}/api/v5/clients/victim`);
    expect(((await res.json()) as { connected: boolean }).connected).toBe(true);
    expect(victim.connected).toBe(true);
    // control: the same request from the dashboard's own origin does kick, so the refusal above was the Origin
    const gone = closed(victim, 20_000);
    const status = await page.evaluate(
      async (url) => (await fetch(url, { method: 'DELETE', credentials: 'include' })).status,
      `${base}/api/v5/clients/victim`,
    );
    expect(status).toBe(204);
    await gone;
  });
});

function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const u = new URL(base);
  return new Promise((ok, fail) => {
    const req = request({ host: u.hostname, port: u.port, path }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => ok({ status: res.statusCode!, body }));
    });
    req.on('error', fail);
    req.end();
  });
}
