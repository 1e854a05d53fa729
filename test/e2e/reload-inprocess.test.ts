/**
 * Hub.reload() in process, with the config text swapped between calls: rejection by later build steps (mapping,
 * ACL rule), auth swapped without dropping clients, the first gateway/bridge added to a hub that had none, a
 * bridge with a memory cache keeping its backlog across its restart, storms coalesced, and reload before start.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import { Hub } from '../../src/hub.js';
import type { GatewayHealth } from '../../src/gateway/health.js';
import type { BridgeStatus } from '../../src/bridge/manager.js';
import { closeAllClients, connectError, connectV5, eventually } from '../support/clients.js';
import { freePort } from '../support/net.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const hubs: Hub[] = [];
afterEach(async () => {
  closeAllClients();
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
});
afterAll(() => removeTempDirs());

/** A hub whose reload() reads `text()` as if it were the file `dir/main.conf`. */
async function hubFrom(initial: string, minIntervalMs = 0, dir = tempDir('protohub-reload-ip-')) {
  const file = join(dir, 'main.conf');
  let text = initial;
  const load = () => {
    const { config, sources } = parseConfigText(
      `listeners.tcp.default.bind = "127.0.0.1:0"\nhttp.enable = false\nstore.type = memory\n${text}`,
      file,
    );
    return { config, resolveFile: (p: readonly (string | number)[], n: string) => sources.resolveFile(p, n) };
  };
  const first = load();
  const hub = new Hub(first.config, {
    resolveFile: first.resolveFile,
    loadConfig: load,
    reloadMinIntervalMs: minIntervalMs,
  });
  hubs.push(hub);
  await hub.start();
  return {
    hub,
    dir,
    url: `mqtt://127.0.0.1:${hub.address('tcp').port}`,
    set: (t: string) => (text = t),
    gateways: () => (hub.status().components as { gateways?: GatewayHealth[] }).gateways ?? [],
    bridges: () => (hub.status().components as { bridges?: BridgeStatus[] }).bridges ?? [],
  };
}

const nng = (name: string, port: number, extra = '') =>
  `gateways.nng.${name} { ${extra}\n sockets.s { type = sub, dial = ["tcp://127.0.0.1:${port}"], subscribe = [""] } }\n`;

const MAP = (prefix: string) => `uplink = [{ name = u, address = "{t*}", topic = "${prefix}/{t*}", qos = 1 }]\n`;

describe('Hub.reload()', () => {
  it('a mapping that does not compile rejects the reload whole; the running gateway is untouched', async () => {
    const dir = tempDir('protohub-reload-ip-');
    writeFileSync(join(dir, 'm.conf'), MAP('a'));
    const port = await freePort();
    const h = await hubFrom(nng('g', port, 'mapping = "m.conf"'), 0, dir);
    const before = h.gateways()[0];
    expect(before.state).toBe('running');
    writeFileSync(join(dir, 'm.conf'), 'uplink = [{ name = u, address = "{t*}", topic = "a/{nope}" }]\n');
    const r = await h.hub.reload();
    expect(r.status).toBe('rejected');
    expect(r.code).toBe('PH_MAPPING_INVALID');
    expect(r.errors.join('\n')).toContain(join(dir, 'm.conf'));
    expect(h.gateways()[0]).toEqual(before);
    // fixed file: now it restarts
    writeFileSync(join(dir, 'm.conf'), MAP('b'));
    const ok = await h.hub.reload();
    expect(ok.changes).toEqual([{ component: 'gateway', id: 'nng.g', action: 'restarted', ok: true }]);
  }, 30_000);

  it('an ACL rule the authorizer cannot compile rejects the reload; the old rules stay', async () => {
    const h = await hubFrom('authorization.rules = [{ permission = deny, action = publish, topics = ["x/#"] }]\n');
    h.set('authorization.rules = [{ permission = deny, who = { ipaddress = "300.1.2.3/99" }, topics = ["#"] }]\n');
    const r = await h.hub.reload();
    expect(r.status).toBe('rejected');
    expect(r.code).toBe('PH_AUTH_ACL_RULE');
    expect(h.hub.config.authorization.rules[0].topics).toEqual(['x/#']);
    const c = await connectV5(h.url);
    await expect(c.publishAsync('x/1', 'no', { qos: 1 })).rejects.toThrow(/135|authori/i);
  }, 30_000);

  it('auth changes apply to the next CONNECT; a connected anonymous client stays', async () => {
    const h = await hubFrom('auth.allow_anonymous = true\n');
    const stays = await connectV5(h.url, { clientId: 'stays' });
    let closed = false;
    stays.on('close', () => (closed = true));
    h.set('auth.allow_anonymous = false\n');
    const r = await h.hub.reload();
    expect(r.changes).toEqual([{ component: 'auth', id: 'auth', action: 'updated', ok: true }]);
    expect((await connectError(h.url, { clientId: 'new' })).code).toBe(0x87);
    await stays.publishAsync('still/here', 'yes', { qos: 1 });
    expect(closed).toBe(false);
  }, 30_000);

  it('adds the first gateway and bridge to a hub that had none, and removes them again', async () => {
    const h = await hubFrom('');
    const [gp, bp] = [await freePort(), await freePort()];
    const withBoth =
      nng('g', gp) +
      `bridges.mqtt.b { servers = ["mqtt://127.0.0.1:${bp}"], forwards = [{ local = "up/#", qos = 1 }] }\n`;
    h.set(withBoth);
    const r = await h.hub.reload();
    expect(r.status).toBe('applied');
    expect(r.changes).toEqual([
      { component: 'bridge', id: 'b', action: 'added', ok: true },
      { component: 'gateway', id: 'nng.g', action: 'added', ok: true },
    ]);
    expect(h.gateways().map((g) => g.id)).toEqual(['nng.g']);
    expect(h.bridges().map((b) => b.name)).toEqual(['b']);
    h.set('');
    const gone = await h.hub.reload();
    expect(gone.changes.map((c) => `${c.component}:${c.id}:${c.action}`)).toEqual([
      'bridge:b:removed',
      'gateway:nng.g:removed',
    ]);
    expect(h.gateways()).toEqual([]);
    expect(h.bridges()).toEqual([]);
  }, 30_000);

  it('a bridge with a memory cache keeps its backlog when a reload restarts it', async () => {
    const port = await freePort(); // nothing listens: messages wait in the cache
    const bridge = (keepalive: string) =>
      `bridges.mqtt.b { servers = ["mqtt://127.0.0.1:${port}"], keepalive = ${keepalive}, forwards = [{ local = "up/#", qos = 1 }] }\n`;
    const h = await hubFrom(bridge('60s'));
    const c = await connectV5(h.url);
    for (let i = 0; i < 5; i++) await c.publishAsync(`up/${i}`, String(i), { qos: 1 });
    await eventually(() => h.bridges()[0]?.backlog === 5, 'backlog 5');
    h.set(bridge('30s'));
    const r = await h.hub.reload();
    expect(r.changes).toEqual([{ component: 'bridge', id: 'b', action: 'restarted', ok: true }]);
    await eventually(() => h.bridges()[0]?.backlog === 5, 'backlog still 5 after the restart');
  }, 30_000);

  it('a storm of reload() calls runs one reload; every caller gets its result', async () => {
    const h = await hubFrom('log.level = info\n', 60_000);
    h.set('log.level = warn\n');
    const results = await Promise.all(Array.from({ length: 100 }, () => h.hub.reload()));
    expect(h.hub.reloadStats).toEqual({ runs: 1, coalesced: 99 });
    expect(new Set(results).size).toBe(1);
    expect(results[0].changes).toEqual([{ component: 'log', id: 'log.level', action: 'updated', ok: true }]);
    expect(h.hub.logger.level).toBe('warn');
  }, 30_000);

  it('before start, reload() is refused with PH_RELOAD_NOT_RUNNING', async () => {
    const { config } = parseConfigText('store.type = memory\n', '/tmp/x.conf');
    const hub = new Hub(config, { loadConfig: () => ({ config }) });
    const r = await hub.reload();
    expect(r).toMatchObject({ status: 'rejected', code: 'PH_RELOAD_NOT_RUNNING' });
  });
});

describe('reload through the HTTP API', () => {
  it('POST /api/v5/reload applies an edited config (200) and rejects an invalid one (400, file:line) keeping the old', async () => {
    const dir = tempDir('protohub-reload-http-');
    const file = join(dir, 'main.conf');
    let text = 'authorization.no_match = allow\n';
    const load = () => {
      const { config, sources } = parseConfigText(
        `listeners.tcp.default.bind = "127.0.0.1:0"\nhttp { enable = true, bind = "127.0.0.1:0" }\nstore { type = memory, dir = "${dir}" }\n${text}`,
        file,
      );
      return { config, resolveFile: (p: readonly (string | number)[], n: string) => sources.resolveFile(p, n) };
    };
    const first = load();
    const hub = new Hub(first.config, { resolveFile: first.resolveFile, loadConfig: load, reloadMinIntervalMs: 0 });
    hubs.push(hub);
    await hub.start();
    const { ApiKeyStore } = await import('../../src/http/api-keys.js');
    const key = new ApiKeyStore(join(dir, 'api-keys.json')).create('reload-test');
    const auth = `Basic ${Buffer.from(`${key.key}:${key.secret}`).toString('base64')}`;
    const reload = async () => {
      const res = await fetch(`http://127.0.0.1:${hub.address('http').port}/api/v5/reload`, {
        method: 'POST',
        headers: { authorization: auth },
      });
      return { status: res.status, body: (await res.json()) as { status: string; errors: string[]; code?: string } };
    };
    const client = await connectV5(`mqtt://127.0.0.1:${hub.address('tcp').port}`, { clientId: 'stays' });
    text = 'authorization { no_match = deny }\n';
    expect(await reload()).toMatchObject({ status: 200, body: { status: 'applied' } });
    text = 'authorization { no_match = maybe }\n';
    const rejected = await reload();
    expect(rejected).toMatchObject({ status: 400, body: { status: 'rejected', code: 'PH_CONFIG_INVALID' } });
    expect(rejected.body.errors.join('\n')).toMatch(/main\.conf:\d+ authorization\.no_match/);
    expect(hub.config.authorization.no_match).toBe('deny');
    expect(client.connected).toBe(true);
  });
});
