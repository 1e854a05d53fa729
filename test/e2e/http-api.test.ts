/**
 * The HTTP API against a real hub (in-process, HTTP on 127.0.0.1:0) with real MQTT clients (MQTT.js,
 * mosquitto_sub), a ZeroMQ gateway instance and a bridge to a real mosquitto. Every response is validated
 * against src/http/openapi.json (test/support/api.ts); the last test checks that every route was exercised.
 */
import { join } from 'node:path';
import fc from 'fast-check';
import * as zmq from 'zeromq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsertUser } from '../../src/auth/password-file-write.js';
import type { DescribedSink } from '../../src/broker/inspect.js';
import { ApiKeyStore } from '../../src/http/api-keys.js';
import { apiRoutes } from '../../src/http/routes/index.js';
import { apiCaller, basic } from '../support/api.js';
import {
  closed,
  collectUntil,
  connectError,
  connectV3,
  connectV5,
  subscribe,
  closeAllClients,
} from '../support/clients.js';
import { mosquittoSub } from '../support/cli-clients.js';
import { eventually, startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { startMosquitto, type MosquittoInstance } from '../support/mosquitto.js';
import { freePort } from '../support/net.js';
import { checkResponse, exercised, spec, validate } from '../support/openapi.js';
import { describeWithPeers } from '../support/peers.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

const FAST_SCRYPT = { N: 1024, r: 8, p: 1 };

describeWithPeers(['mosquitto', 'mosquitto_sub'], 'HTTP API /api/v5', () => {
  let h: StartedHub;
  let mosq: MosquittoInstance;
  let api: ReturnType<typeof apiCaller>;
  let base: string;
  let passwords: string;
  let keyAuth: string;
  let zmqPort: number;

  beforeAll(async () => {
    const dir = tempDir();
    passwords = join(dir, 'passwd');
    await upsertUser(passwords, 'admin', 'admin-pw', FAST_SCRYPT);
    await upsertUser(passwords, 'alice', 'alice-pw', FAST_SCRYPT);
    mosq = await startMosquitto();
    zmqPort = await freePort();
    h = await startHub({
      node: { name: 'edge1' },
      store: { type: 'memory', dir },
      http: { enable: true, bind: '127.0.0.1:0', admins: ['admin'], max_body: '4KB', max_page_size: 50 },
      auth: { password_file: passwords, jwt: { secret: 'topsecret-jwt' } },
      authorization: { rules: [{ permission: 'allow', action: 'all', topics: ['#'] }] },
      gateways: { zeromq: { t: { sockets: { in: { type: 'pull', bind: [`tcp://127.0.0.1:${zmqPort}`] } } } } },
      bridges: {
        mqtt: {
          cloud: {
            servers: [mosq.url],
            clientid: 'edge1-bridge',
            reconnect: { initial: '50ms', max: '300ms' },
            forwards: [{ local: 'up/#', remote: 'edge/{topic}', qos: 1 }],
          },
        },
      },
    });
    const key = new ApiKeyStore(join(dir, 'api-keys.json')).create('tests');
    keyAuth = basic(key.key, key.secret);
    base = `http://127.0.0.1:${h.hub.address('http').port}`;
    api = apiCaller(base, keyAuth);
  }, 30_000);

  afterAll(async () => {
    closeAllClients();
    await stopAllHubs();
    await mosq?.stop();
    removeTempDirs();
  });

  it('refuses every /api/v5 route without credentials (401 {code, message}); /metrics and the probe are open', async () => {
    for (const r of apiRoutes.filter((x) => !x.public)) {
      const path = r.path.replace(/\{\w+\}/g, 'x');
      const res = await api(r.method, path, { auth: '' });
      expect(res.status, `${r.method} ${path}`).toBe(401);
      expect(res.body).toMatchObject({ code: 'PH_HTTP_UNAUTHORIZED' });
    }
    expect((await api('GET', '/api/v5/openapi.json', { auth: '' })).status).toBe(401);
    expect((await fetch(`${base}/metrics`)).status).toBe(200);
    expect((await api('GET', '/api/v1/status', { auth: '' })).status).toBe(200);
    expect((await api('GET', '/api/v5/nope')).body).toMatchObject({ code: 'PH_HTTP_NOT_FOUND' });
  });

  it('serves the overview, DLQ counters, authorization rules, the OpenAPI document and a redacted config', async () => {
    const c = await connectV5(h.url, { clientId: 'ov-1' });
    const [node] = (await api<Array<Record<string, unknown>>>('GET', '/api/v5/nodes')).body;
    expect(node).toMatchObject({ node: 'edge1', node_status: 'running' });
    expect(node.connections).toBeGreaterThanOrEqual(1);
    expect((await api('GET', '/api/v5/stats')).body).toMatchObject({ 'live_connections.count': 1 });
    expect((await api('GET', '/api/v5/metrics')).status).toBe(200);
    expect((await api('GET', '/api/v5/monitor_current')).status).toBe(200);
    expect((await api('GET', '/api/v5/dlq')).status).toBe(200);
    expect((await api('GET', '/api/v5/authorization/rules')).body).toMatchObject({
      no_match: 'allow',
      rules: [{ permission: 'allow' }],
    });
    expect((await api<{ openapi: string }>('GET', '/api/v5/openapi.json')).body.openapi).toMatch(/^3\./);
    const cfg = await api('GET', '/api/v5/configs');
    expect(JSON.stringify(cfg.body)).not.toContain('topsecret-jwt');
    expect(cfg.body).toMatchObject({ auth: { jwt: { secret: '******' } }, node: { name: 'edge1' } });
    c.end(true);
  });

  it('lists, filters, pages and shows MQTT clients with their subscriptions', async () => {
    const a = await connectV5(h.url, { clientId: 'list-a', username: 'alice', password: 'alice-pw' });
    const b = await connectV3(h.url, { clientId: 'list/b' });
    await subscribe(a, 'plant/+/temp', { qos: 1 });
    await subscribe(b, ['plant/#', '$share/g/jobs/#'], { qos: 0 });
    type Page = { data: Array<Record<string, unknown>>; meta: Record<string, unknown> };
    const all = (await api<Page>('GET', '/api/v5/clients?like_clientid=list')).body;
    expect(all.data.map((x) => x.clientid).sort()).toEqual(['list-a', 'list/b']);
    const alice = (await api<Page>('GET', '/api/v5/clients?username=alice')).body.data;
    expect(alice).toHaveLength(1);
    expect(alice[0]).toMatchObject({ clientid: 'list-a', protocol: 'mqtt', proto_ver: 5, connected: true });
    expect(alice[0].ip_address).toBe('127.0.0.1');
    expect((await api<Page>('GET', '/api/v5/clients?protocol=mqttsn')).body.data).toEqual([]);
    const p1 = (await api<Page>('GET', '/api/v5/clients?like_clientid=list&limit=1')).body;
    expect(p1.meta).toEqual({ page: 1, limit: 1, count: 2, hasnext: true });
    const p2 = (await api<Page>('GET', '/api/v5/clients?like_clientid=list&limit=1&page=2')).body;
    expect(p2.meta.hasnext).toBe(false);
    expect([p1.data[0].clientid, p2.data[0].clientid].sort()).toEqual(['list-a', 'list/b']);
    const one = await api('GET', `/api/v5/clients/${encodeURIComponent('list/b')}`);
    expect(one.body).toMatchObject({ clientid: 'list/b', proto_ver: 4, subscriptions_cnt: 2 });
    const subs = await api<Array<Record<string, unknown>>>('GET', '/api/v5/clients/list-a/subscriptions');
    expect(subs.body).toEqual([{ clientid: 'list-a', topic: 'plant/+/temp', qos: 1, nl: 0, rap: 0, rh: 0 }]);
    const shared = (await api<Page>('GET', '/api/v5/subscriptions?share_group=g')).body.data;
    expect(shared.map((s) => s.topic)).toEqual(['$share/g/jobs/#']);
    const matching = (await api<Page>('GET', '/api/v5/subscriptions?match_topic=plant/1/temp')).body.data;
    expect(matching.map((s) => s.clientid).sort()).toEqual(['list-a', 'list/b']);
    const topics = (await api<Page>('GET', '/api/v5/topics?topic=plant/%23')).body.data;
    expect(topics).toEqual([{ topic: 'plant/#', node: 'edge1', sessions: 1 }]);
    expect((await api('GET', '/api/v5/clients/nobody')).status).toBe(404);
    a.end(true);
    b.end(true);
  });

  it('lists and kicks device-gateway sessions through their DescribedSink, labelled by protocol', async () => {
    // what a device gateway (MQTT-SN, CoAP, LwM2M) does for each device: a broker session with a describing sink
    const broker = h.hub.view.broker()!;
    const { session } = broker.openSession('sn/dev-1', { cleanStart: true, protocolVersion: 5, expiryInterval: 0 });
    let kicked = 0;
    const sink: DescribedSink = {
      writable: true,
      acceptsQos0: true,
      receiveMaximum: 8,
      publish: () => true,
      pubrel: () => undefined,
      describe: () => ({
        protocol: 'mqttsn',
        username: 'dev',
        ip_address: '127.0.0.1',
        port: 47000,
        listener: 'mqttsn.plant',
      }),
      kick: () => void kicked++,
    };
    session.sink = sink;
    type Page = { data: Array<Record<string, unknown>> };
    const listed = (await api<Page>('GET', '/api/v5/clients?protocol=mqttsn')).body.data;
    expect(listed).toEqual([
      expect.objectContaining({
        clientid: 'sn/dev-1',
        protocol: 'mqttsn',
        proto_name: 'MQTTSN',
        username: 'dev',
        port: 47000,
        connected: true,
      }),
    ]);
    expect((await api('DELETE', '/api/v5/clients/sn%2Fdev-1')).status).toBe(204);
    expect(kicked).toBe(1);
    expect(broker.sessions.has('sn/dev-1')).toBe(false);
  });

  it('kick disconnects the client (v5 DISCONNECT 0x98) and removes its session', async () => {
    const c = await connectV5(h.url, { clientId: 'kick-me', clean: false, properties: { sessionExpiryInterval: 600 } });
    const reason = new Promise<number | undefined>((r) => c.once('disconnect', (p) => r(p.reasonCode)));
    const gone = closed(c);
    expect((await api('DELETE', '/api/v5/clients/kick-me')).status).toBe(204);
    expect(await reason).toBe(0x98);
    await gone;
    expect((await api('GET', '/api/v5/clients/kick-me')).status).toBe(404);
    expect((await api('DELETE', '/api/v5/clients/kick-me')).status).toBe(404);
  });

  it('publishes to a mosquitto_sub subscriber; bulk reports per message; retained list/read/delete', async () => {
    const sub = mosquittoSub({ port: h.port, topics: ['api/#'], count: 2, version: 'mqttv5' });
    await sub.subscribed;
    const one = await api('POST', '/api/v5/publish', {
      body: { topic: 'api/one', payload: 'hello', qos: 1, properties: { user_properties: { k: 'v' } } },
    });
    expect(one.status).toBe(200);
    const bulk = await api<Array<Record<string, unknown>>>('POST', '/api/v5/publish/bulk', {
      body: [
        { topic: 'api/bad/#', payload: 'x' },
        {
          topic: 'api/two',
          payload: Buffer.from('bin\u0001').toString('base64'),
          payload_encoding: 'base64',
          retain: true,
        },
      ],
    });
    expect(bulk.body[0]).toMatchObject({ code: 'PH_TOPIC_INVALID' });
    expect(bulk.body[1]).toHaveProperty('id');
    const done = await sub.done;
    expect(done.messages.map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['api/one', 'hello'],
      ['api/two', 'bin\u0001'],
    ]);
    type Page = { data: Array<Record<string, unknown>>; meta: { count: number } };
    const list = (await api<Page>('GET', '/api/v5/mqtt/retainer/messages?topic=api/%2B')).body;
    expect(list.data).toEqual([expect.objectContaining({ topic: 'api/two', payload_size: 4 })]);
    const read = await api<{ payload: string }>('GET', '/api/v5/mqtt/retainer/message/api%2Ftwo');
    expect(Buffer.from(read.body.payload, 'base64').toString()).toBe('bin\u0001');
    expect((await api('DELETE', '/api/v5/mqtt/retainer/message/api%2Ftwo')).status).toBe(204);
    expect((await api('GET', '/api/v5/mqtt/retainer/message/api%2Ftwo')).status).toBe(404);
    expect((await api('DELETE', '/api/v5/mqtt/retainer/message/api%2Ftwo')).status).toBe(404);
    expect((await api('GET', '/api/v5/mqtt/retainer/messages?topic=a/%23/b')).status).toBe(400);
  });

  it('answers bad bodies with 400 naming the field, 413 over http.max_body, 415 for non-JSON', async () => {
    const bad = await api<{ message: string }>('POST', '/api/v5/publish', { body: { topic: 'x', qos: 3 } });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toMatch(/^body\.qos: /);
    const unknown = await api<{ message: string }>('POST', '/api/v5/publish', { body: { topic: 'x', qso: 1 } });
    expect(unknown.status).toBe(400);
    expect(unknown.body.message).toMatch(/qso/);
    const json = await api('POST', '/api/v5/publish', {
      raw: '{"topic": "x",',
      headers: { 'content-type': 'application/json' },
    });
    expect(json).toMatchObject({ status: 400, body: { code: 'PH_HTTP_BAD_JSON' } });
    const big = await api('POST', '/api/v5/publish', { body: { topic: 'x', payload: 'y'.repeat(5000) } });
    expect(big).toMatchObject({ status: 413, body: { code: 'PH_HTTP_BODY_TOO_LARGE' } });
    const form = await api('POST', '/api/v5/publish', {
      raw: 'topic=x',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(form).toMatchObject({ status: 415, body: { code: 'PH_HTTP_MEDIA_TYPE' } });
    const many = Array.from({ length: 1001 }, () => ({ topic: 't' }));
    expect((await api('POST', '/api/v5/publish/bulk', { body: many })).status).toBe(413); // 1001 items > 4KB
    expect((await api('GET', '/api/v5/stats')).status).toBe(200); // the server is fine afterwards
  });

  it('answers arbitrary JSON and arbitrary bytes as bodies with a typed 2xx/4xx, never a 5xx', async () => {
    const routes = ['/api/v5/publish', '/api/v5/publish/bulk', '/api/v5/authentication/password_file/users'];
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...routes),
        fc.oneof(
          fc.jsonValue().map((v) => JSON.stringify(v)),
          fc.uint8Array({ maxLength: 300 }).map((b) => Buffer.from(b).toString('latin1')),
        ),
        async (path, raw) => {
          const r = await api<{ code?: string }>('POST', path, {
            raw,
            headers: { 'content-type': 'application/json' },
          });
          expect([200, 201, 400, 413]).toContain(r.status);
          if (r.status >= 400) expect(r.body.code).toMatch(/^PH_(HTTP|TOPIC|AUTH)_/);
        },
      ),
      { numRuns: 150 },
    );
    expect((await api('GET', '/api/v5/stats')).status).toBe(200);
  });

  it('refuses page sizes over http.max_page_size and malformed paging with 400', async () => {
    expect((await api('GET', '/api/v5/clients?limit=51')).body).toMatchObject({ code: 'PH_HTTP_PAGE_TOO_LARGE' });
    expect((await api('GET', '/api/v5/subscriptions?limit=1000000000')).status).toBe(400);
    expect((await api('GET', '/api/v5/topics?limit=-1')).status).toBe(400);
    expect((await api('GET', '/api/v5/clients?page=0')).status).toBe(400);
    expect((await api('GET', '/api/v5/mqtt/retainer/messages?limit=abc')).status).toBe(400);
    expect((await api('GET', '/api/v5/clients?limit=50')).status).toBe(200);
  });

  it('lists gateways with health and counters and restarts, stops and starts one instance', async () => {
    const list = await api<Array<Record<string, unknown>>>('GET', '/api/v5/gateways');
    expect(list.body).toEqual([expect.objectContaining({ id: 'zeromq.t', state: 'running' })]);
    const watcher = await connectV5(h.url, { clientId: 'gw-watch' });
    const stateOf = (m: { payload: Buffer }) => (JSON.parse(m.payload.toString()) as { state: string }).state;
    const states = collectUntil(watcher, (m) => stateOf(m) === 'running');
    await subscribe(watcher, '$hub/gateways/zeromq.t/status', { qos: 0, rh: 2 });
    const restarted = await api('POST', '/api/v5/gateways/zeromq.t/restart');
    // ZeroMQ releases a bound port asynchronously: the first bind may fail and the supervisor retry it
    expect(restarted.body).toMatchObject({ id: 'zeromq.t', state: expect.stringMatching(/^(running|restarting)$/) });
    const seen = (await states).map(stateOf);
    expect(seen.slice(0, 3)).toEqual(['stopping', 'stopped', 'starting']);
    expect((await api('POST', '/api/v5/gateways/zeromq.t/stop')).body).toMatchObject({ state: 'stopped' });
    await api('POST', '/api/v5/gateways/zeromq.t/start');
    await eventually(
      async () => (await api<{ state: string }>('GET', '/api/v5/gateways/zeromq.t')).body.state === 'running',
      'gateway running again',
    );
    expect((await api('GET', '/api/v5/gateways/zeromq.t')).body).toMatchObject({ counters: { uplink: 0 } });
    expect((await api('POST', '/api/v5/gateways/zeromq.none/restart')).status).toBe(404);
    watcher.end(true);
  });

  it('shows the bridge with its connection and backlog', async () => {
    await eventually(async () => {
      const b = await api<Array<Record<string, unknown>>>('GET', '/api/v5/bridges');
      return b.body[0]?.state === 'connected';
    }, 'bridge connected');
    expect((await api('GET', '/api/v5/bridges/cloud')).body).toMatchObject({ name: 'cloud', backlog: 0 });
    expect((await api('GET', '/api/v5/bridges/none')).status).toBe(404);
  });

  it('pauses a bridge (forwards are cached, nothing sent) and resumes it (the backlog drains upstream)', async () => {
    type Bridge = { state: string; backlog: number; sent: number; paused: boolean };
    const upstream = await connectV5(mosq.url, { clientId: 'upstream-watch' });
    await subscribe(upstream, 'edge/#', { qos: 1 });
    const arrived = collectUntil(upstream, (m) => m.topic === 'edge/up/2');
    const paused = await api<Bridge>('POST', '/api/v5/bridges/cloud/pause');
    expect(paused.body).toMatchObject({ paused: true, state: 'connected' });
    for (const n of [1, 2])
      await api('POST', '/api/v5/publish', { body: { topic: `up/${n}`, payload: `${n}`, qos: 1 } });
    await eventually(
      async () => (await api<Bridge>('GET', '/api/v5/bridges/cloud')).body.backlog === 2,
      'both messages cached while paused',
    );
    expect((await api<Bridge>('GET', '/api/v5/bridges/cloud')).body.sent).toBe(paused.body.sent);
    expect((await api<Bridge>('POST', '/api/v5/bridges/cloud/resume')).body.paused).toBe(false);
    expect((await arrived).map((m) => m.payload.toString())).toEqual(['1']); // then the sentinel up/2
    await eventually(
      async () => (await api<Bridge>('GET', '/api/v5/bridges/cloud')).body.backlog === 0,
      'backlog drained after resume',
    );
    expect((await api('POST', '/api/v5/bridges/none/pause')).status).toBe(404);
    upstream.end(true);
  });

  it('manages password-file users that MQTT clients then log in with', async () => {
    const added = await api('POST', '/api/v5/authentication/password_file/users', {
      body: { username: 'dave', password: 'dave-pw' },
    });
    expect(added).toMatchObject({ status: 201, body: { username: 'dave', is_admin: false } });
    const users = await api<Array<{ username: string }>>('GET', '/api/v5/authentication/password_file/users');
    expect(users.body.map((u) => u.username).sort()).toEqual(['admin', 'alice', 'dave']);
    (await connectV5(h.url, { clientId: 'dave-1', username: 'dave', password: 'dave-pw' })).end(true);
    expect((await connectError(h.url, { clientId: 'dave-2', username: 'dave', password: 'nope' })).code).toBe(0x86);
    const bad = await api<{ message: string }>('POST', '/api/v5/authentication/password_file/users', {
      body: { username: 'a:b', password: 'x' },
    });
    expect(bad.status).toBe(400);
    expect((await api('DELETE', '/api/v5/authentication/password_file/users/dave')).status).toBe(204);
    expect((await api('DELETE', '/api/v5/authentication/password_file/users/dave')).status).toBe(404);
  });

  it('creates, uses and deletes API keys through the API', async () => {
    const made = await api<{ key: string; secret: string }>('POST', '/api/v5/api_key', { body: { name: 'ci' } });
    expect(made.status).toBe(201);
    const auth = basic(made.body.key, made.body.secret);
    expect((await api('GET', '/api/v5/stats', { auth })).status).toBe(200);
    const list = await api<Array<Record<string, unknown>>>('GET', '/api/v5/api_key');
    expect(list.body.map((k) => k.name).sort()).toEqual(['ci', 'tests']);
    expect(JSON.stringify(list.body)).not.toContain(made.body.secret);
    expect((await api('POST', '/api/v5/api_key', { body: { name: 'ci' } })).status).toBe(409);
    expect((await api('DELETE', `/api/v5/api_key/${made.body.key}`)).status).toBe(204);
    expect((await api('GET', '/api/v5/stats', { auth })).status).toBe(401);
    expect((await api('DELETE', `/api/v5/api_key/${made.body.key}`)).status).toBe(404);
  });

  it('logs an admin in (cookie and Bearer), refuses cross-site state changes (CSRF), logs out', async () => {
    expect((await api('GET', '/api/v5/stats', { auth: basic('admin', 'admin-pw') })).status).toBe(200);
    const login = await api<{ token: string }>('POST', '/api/v5/login', {
      auth: '',
      body: { username: 'admin', password: 'admin-pw' },
    });
    expect(login.status).toBe(200);
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0];
    expect(cookie).toMatch(/^ph_session=/);
    expect(login.headers.get('set-cookie')).toMatch(/HttpOnly; SameSite=Strict/);
    expect((await api('GET', '/api/v5/stats', { auth: '', headers: { cookie } })).status).toBe(200);
    expect((await api('GET', '/api/v5/stats', { auth: `Bearer ${login.body.token}` })).status).toBe(200);
    const host = new URL(base).host;
    // a cookie alone cannot change state: a page on another site could make the browser send it
    const noOrigin = await api('POST', '/api/v5/publish', { auth: '', headers: { cookie }, body: { topic: 'c/1' } });
    expect(noOrigin).toMatchObject({ status: 403, body: { code: 'PH_HTTP_CSRF' } });
    const evil = await api('POST', '/api/v5/publish', {
      auth: '',
      headers: { cookie, origin: 'http://evil.example' },
      body: { topic: 'c/1' },
    });
    expect(evil.status).toBe(403);
    const crossSite = await api('DELETE', '/api/v5/clients/x', { headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.status).toBe(403); // even with a valid API key
    const same = await api('POST', '/api/v5/publish', {
      auth: '',
      headers: { cookie, origin: `http://${host}` },
      body: { topic: 'c/1' },
    });
    expect(same.status).toBe(200);
    expect(
      (await api('POST', '/api/v5/logout', { auth: '', headers: { cookie, origin: `http://${host}` } })).status,
    ).toBe(204);
    expect((await api('GET', '/api/v5/stats', { auth: '', headers: { cookie } })).status).toBe(401);
    const notAdmin = await api('POST', '/api/v5/login', { auth: '', body: { username: 'dave', password: 'x' } });
    expect(notAdmin.status).toBe(401);
  });

  it('keeps the latest dead letters and streams live messages as server-sent events (dashboard routes)', async () => {
    const push = new zmq.Push();
    push.connect(`tcp://127.0.0.1:${zmqPort}`);
    await push.send(['one-frame']);
    type Ring = { data: Array<Record<string, unknown>>; capacity: number };
    await eventually(
      async () => (await api<Ring>('GET', '/api/v5/dlq/messages')).body.data.length > 0,
      'a dead letter in the ring',
    );
    push.close();
    const ring = (await api<Ring>('GET', '/api/v5/dlq/messages?limit=1')).body;
    expect(ring.data[0]).toMatchObject({ gateway: 'zeromq.t', reason: 'malformed', payload: 'one-frame' });
    expect((await api('GET', '/api/v5/dlq/messages?limit=0')).status).toBe(400);
    expect((await api('GET', '/api/v5/dlq/messages?limit=101')).status).toBe(400);
    expect((await api('GET', '/api/v5/live')).body).toMatchObject({ code: 'PH_HTTP_BAD_REQUEST' });
    expect((await api('GET', '/api/v5/live?topic=a%2F%23%2Fb')).body).toMatchObject({ code: 'PH_TOPIC_INVALID' });
    expect((await api('GET', '/api/v5/live?topic=x', { auth: '' })).status).toBe(401);
    const abort = new AbortController();
    const res = await fetch(`${base}/api/v5/live?topic=live%2F%23`, {
      headers: { authorization: keyAuth },
      signal: abort.signal,
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    checkResponse('GET', '/api/v5/live', 200, undefined);
    const reader = res.body!.getReader();
    let text = '';
    const until = async (needle: string) => {
      while (!text.includes(needle)) text += new TextDecoder().decode((await reader.read()).value);
    };
    await until('event: ready');
    const c = await connectV5(h.url, { clientId: 'live-pub' });
    await c.publishAsync('other/x', 'not this');
    await c.publishAsync('live/1', Buffer.from([0xff, 0xfe]));
    await c.publishAsync('live/2', 'hello live');
    await until('hello live');
    const events = text
      .split('\n\n')
      .filter((e) => e.startsWith('event: message'))
      .map((e) => JSON.parse(e.slice(e.indexOf('data: ') + 6)) as Record<string, unknown>);
    expect(events.map((e) => e.topic)).toEqual(['live/1', 'live/2']);
    expect(events[0]).toMatchObject({ payload: '//4=', payload_encoding: 'base64', payload_size: 2 });
    expect(events[1]).toMatchObject({ payload: 'hello live', payload_encoding: 'plain', from_clientid: 'live-pub' });
    for (const e of events) expect(validate(spec.components.schemas.MessageView, e)).toEqual([]);
    abort.abort();
    c.end(true);
    // bounded: at most 8 viewers at once (http LIVE_DEFAULTS), the next one is a 429
    const many = new AbortController();
    const statuses: number[] = [];
    for (let i = 0; i < 10 && !statuses.includes(429); i++) {
      const r = await fetch(`${base}/api/v5/live?topic=x`, {
        headers: { authorization: keyAuth },
        signal: many.signal,
      });
      statuses.push(r.status);
      if (r.status !== 200) checkResponse('GET', '/api/v5/live', r.status, await r.json());
    }
    expect(statuses.at(-1)).toBe(429);
    expect(statuses.filter((x) => x === 200).length).toBeLessThanOrEqual(8);
    many.abort();
  });

  it('answers a reload this hub cannot do (started without a config file) with 400 and the reason', async () => {
    const r = await api('POST', '/api/v5/reload');
    expect(r).toMatchObject({ status: 400, body: { status: 'rejected', code: 'PH_RELOAD_NO_FILE' } });
  });

  it('exercised every route, and openapi.json documents exactly the routes the server has', () => {
    const routes = apiRoutes.map((r) => `${r.method} ${r.path}`).sort();
    const documented = Object.entries(spec.paths)
      .flatMap(([p, ops]) =>
        Object.keys(ops)
          .filter((m) => m !== 'parameters')
          .map((m) => `${m.toUpperCase()} ${p}`),
      )
      .filter((x) => x.startsWith('GET /api/v5/openapi.json') === false && !x.startsWith('GET /api/v1/'))
      .sort();
    expect(documented).toEqual(routes);
    expect(routes.filter((r) => !exercised.has(r))).toEqual([]);
  });
});

describe('HTTP API wrong-credentials limit', () => {
  afterAll(() => stopAllHubs());

  it('answers 401 for wrong credentials, then 429 with Retry-After for the address, even for a right key', async () => {
    const dir = tempDir();
    const h = await startHub({
      store: { type: 'memory', dir },
      http: { enable: true, bind: '127.0.0.1:0', auth_failures: 3, auth_failure_window: '1m', metrics_auth: true },
    });
    const key = new ApiKeyStore(join(dir, 'api-keys.json')).create('k');
    const base = `http://127.0.0.1:${h.hub.address('http').port}`;
    const api = apiCaller(base);
    // http.metrics_auth: /metrics needs credentials too
    expect((await fetch(`${base}/metrics`)).status).toBe(401);
    expect((await fetch(`${base}/metrics`, { headers: { authorization: basic(key.key, key.secret) } })).status).toBe(
      200,
    );
    for (let i = 0; i < 3; i++) {
      const r = await api('GET', '/api/v5/stats', { auth: basic(key.key, 'wrong') });
      expect(r).toMatchObject({ status: 401, body: { code: 'PH_HTTP_UNAUTHORIZED' } });
    }
    const limited = await api('GET', '/api/v5/stats', { auth: basic(key.key, key.secret) });
    expect(limited).toMatchObject({ status: 429, body: { code: 'PH_HTTP_RATE_LIMITED' } });
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await api('POST', '/api/v5/login', { body: { username: 'a', password: 'b' } })).status).toBe(429);
  });
});
