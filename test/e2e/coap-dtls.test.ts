/**
 * CoAP over DTLS 1.2 (coaps://, certificate mode) with libcoap's OpenSSL and GnuTLS clients as the real peers:
 * publish, observe, retained read, and the bounded handshake table under a ClientHello flood from many ports.
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { closeAllClients, collect, connectV5, eventually, subscribe } from '../support/clients.js';
import type { CoapObserver } from '../support/coap-client.js';
import { coapsClient, coapsObserve, makeEcPki, type EcPki } from '../support/coaps-client.js';
import { makeTestPki } from '../support/certs.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { freeUdpPort } from '../support/net.js';
import { describeWithPeers } from '../support/peers.js';
import { tempDir } from '../support/tmp.js';

const observers: CoapObserver[] = [];
const sockets: Socket[] = [];
afterEach(async () => {
  closeAllClients();
  sockets.splice(0).forEach((s) => s.close());
  await Promise.all(observers.splice(0).map((o) => o.stop()));
  await stopAllHubs();
});

let ecPki: EcPki | undefined;
const pki = (): EcPki => (ecPki ??= makeEcPki());

async function hubWithDtls(
  dtls: Record<string, unknown> = {},
  coap: Record<string, unknown> = {},
): Promise<{ hub: StartedHub; url: string; port: number }> {
  const [plain, port] = [await freeUdpPort(), await freeUdpPort()];
  const dtlsConfig = { enable: true, bind: `127.0.0.1:${port}`, certfile: pki().serverCert, keyfile: pki().serverKey };
  const hub = await startHub({
    gateways: {
      coap: { edge: { bind: `127.0.0.1:${plain}`, mountpoint: 'coap/', dtls: { ...dtlsConfig, ...dtls }, ...coap } },
    },
  } as never);
  return { hub, url: `coaps://127.0.0.1:${port}`, port };
}

const metric = (hub: StartedHub, name: string, labels: Record<string, string>) =>
  hub.hub.metrics.value(name, { gateway: 'coap.edge', ...labels });

describeWithPeers(['coaps_client_openssl', 'openssl'], 'CoAP over DTLS with coap-client-openssl', () => {
  it('POST coaps://…/ps/sensors/c1 is published on coap/sensors/c1, answered 2.04 inside the session', async () => {
    const { hub, url } = await hubWithDtls();
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/#', { qos: 1 });
    const got = collect(app, 1);
    const r = await coapsClient('coap-client-openssl', [
      '-m',
      'post',
      '-e',
      '21.5',
      '-C',
      pki().caCert,
      '-v',
      '6',
      `${url}/ps/sensors/c1`,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).toMatch(/2\.04/);
    const [m] = await got;
    expect(m.topic).toBe('coap/sensors/c1');
    expect(m.payload.toString()).toBe('21.5');
    expect(await metric(hub, 'protohub_gateway_socket_events_total', { event: 'dtls_handshake' })).toBe(1);
  });

  it('observes over DTLS: MQTT publishes arrive as (CON) notifications in order; the session ends with the client', async () => {
    const { hub, url } = await hubWithDtls();
    const obs = coapsObserve('coap-client-openssl', `${url}/ps/cmd/dev1`, 30, ['-C', pki().caCert]);
    observers.push(obs);
    const app = await connectV5(hub.url);
    await eventually(async () => (await hub.hub.metrics.value('protohub_subscriptions')) > 0, 'observe registration');
    for (let i = 1; i <= 5; i++) await app.publishAsync('coap/cmd/dev1', `m${i}`, { qos: 1 });
    await eventually(() => obs.lines().length >= 5, 'five notifications', 20_000);
    expect(obs.lines()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    await obs.stop();
    // libcoap sends close_notify on exit: the connectionless client and its subscription go with the session
    await eventually(
      async () => (await hub.hub.metrics.value('protohub_subscriptions')) === 0,
      'subscription ended with the DTLS session',
      15_000,
    );
  });

  it('bounds handshakes: a ClientHello flood from many ports is counted and refused, then clients are served', async () => {
    const { hub, url, port } = await hubWithDtls({ max_handshakes: 2, handshake_timeout: '1s' });
    const hello = await captureClientHello();
    for (let i = 0; i < 6; i++) {
      const s = createSocket('udp4');
      sockets.push(s);
      await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
      s.send(hello, port, '127.0.0.1');
    }
    await eventually(
      async () => (await metric(hub, 'protohub_gateway_dropped_total', { reason: 'dtls_handshake_limit' })) >= 4,
      'flood refused past max_handshakes',
    );
    await eventually(
      async () => (await metric(hub, 'protohub_gateway_dropped_total', { reason: 'dtls_handshake_timeout' })) >= 2,
      'stalled handshakes expired',
    );
    const r = await coapsClient('coap-client-openssl', [
      '-m',
      'post',
      '-e',
      'after',
      '-C',
      pki().caCert,
      `${url}/ps/x`,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await metric(hub, 'protohub_gateway_socket_events_total', { event: 'dtls_handshake' })).toBe(1);
  });

  it('drops a replayed application record (anti-replay window) and publishes once', async () => {
    const { hub, port } = await hubWithDtls();
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/#', { qos: 1 });
    const got: string[] = [];
    app.on('message', (_t, p) => got.push(p.toString()));
    const proxy = await udpProxy(port);
    const r = await coapsClient('coap-client-openssl', [
      ...['-m', 'post', '-N', '-e', 'once', '-C', pki().caCert],
      `coaps://127.0.0.1:${proxy.port}/ps/replayed`,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    await eventually(() => got.length === 1, 'the publish');
    expect(await metric(hub, 'protohub_gateway_dropped_total', { reason: 'dtls_replay' })).toBe(0);
    const appRecords = proxy.fromClient.filter((d) => d[0] === 23);
    expect(appRecords.length).toBeGreaterThan(0);
    for (const d of appRecords) proxy.toServer(d);
    await eventually(
      async () => (await metric(hub, 'protohub_gateway_dropped_total', { reason: 'dtls_replay' })) >= appRecords.length,
      'replays dropped',
    );
    expect(got).toEqual(['once']);
  });

  it('connection mode over IPv6: connect, publish with clientid and token', async () => {
    const v6 = await freeUdpPort();
    const { hub } = await hubWithDtls({ bind: `[::1]:${v6}` }, { connection_required: true });
    const url = `coaps://[::1]:${v6}`;
    const ca = ['-C', pki().caCert];
    const connect = await coapsClient('coap-client-openssl', [
      '-m',
      'post',
      '-o',
      '-',
      ...ca,
      `${url}/mqtt/connection?clientid=lamp9`,
    ]);
    expect(connect.exitCode, connect.stderr).toBe(0);
    const token = connect.stdout.trim();
    expect(token).toMatch(/^[0-9a-f]{16}$/);
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/state/#', { qos: 1 });
    const got = collect(app, 1);
    const pub = await coapsClient('coap-client-openssl', [
      '-m',
      'post',
      '-e',
      'on',
      ...ca,
      `${url}/ps/state/lamp9?clientid=lamp9&token=${token}`,
    ]);
    expect(pub.exitCode, pub.stderr).toBe(0);
    expect((await got)[0].payload.toString()).toBe('on');
    // the first client's session ended with its close_notify; the broker session of lamp9 did not
    expect(await hub.hub.metrics.value('protohub_connections', { protocol: 'coap' })).toBe(1);
  });

  it('a CCM_8-only or PSK-only client gets a handshake_failure alert at once (counted), not silence', async () => {
    const { hub, port } = await hubWithDtls();
    for (const suite of [
      ['-cipher', 'ECDHE-ECDSA-AES128-CCM8'],
      ['-psk', '0102030405', '-cipher', 'PSK-AES128-GCM-SHA256'],
    ]) {
      const out = await sClient(['-dtls1_2', '-connect', `127.0.0.1:${port}`, ...suite]);
      expect(out).toMatch(/alert handshake failure/);
    }
    expect(await metric(hub, 'protohub_gateway_dropped_total', { reason: 'dtls_handshake_failed' })).toBe(2);
  });

  it('forgets a session idle for idle_timeout (the client vanished without close_notify)', async () => {
    const { hub, port } = await hubWithDtls({ idle_timeout: '1s' });
    const proxy = await udpProxy(port); // holds back the client's close_notify
    const r = await coapsClient('coap-client-openssl', [
      ...['-m', 'post', '-e', 'x', '-C', pki().caCert],
      `coaps://127.0.0.1:${proxy.port}/ps/idle`,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(await metric(hub, 'protohub_gateway_table_entries', { table: 'dtls_sessions' })).toBeLessThanOrEqual(1);
    await eventually(
      async () => (await metric(hub, 'protohub_gateway_socket_events_total', { event: 'dtls_idle' })) === 1,
      'idle session expired',
    );
    await eventually(
      async () => (await metric(hub, 'protohub_gateway_table_entries', { table: 'dtls_sessions' })) === 0,
      'sessions table empty',
    );
    expect(await metric(hub, 'protohub_gateway_socket_events_total', { event: 'dtls_closed_by_peer' })).toBe(0);
  });

  it('a ClientHello from the address of a session replaces it only when its handshake completes', async () => {
    const { hub, port } = await hubWithDtls({ handshake_timeout: '1s' });
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/#', { qos: 1 });
    const got: string[] = [];
    app.on('message', (_t, p) => got.push(p.toString()));
    const hello = await captureClientHello();
    const proxy = await udpProxy(port); // one source address towards the hub for every client behind it
    const post = (body: string) =>
      coapsClient('coap-client-openssl', [
        ...['-m', 'post', '-e', body, '-C', pki().caCert],
        `coaps://127.0.0.1:${proxy.port}/ps/reboot`,
      ]);
    expect((await post('one')).exitCode).toBe(0);
    // a spoofed ClientHello from the session's address: its handshake never completes, the session stays
    proxy.toServer(hello);
    await eventually(
      async () => (await metric(hub, 'protohub_gateway_dropped_total', { reason: 'dtls_handshake_timeout' })) === 1,
      'the spoofed handshake expired',
    );
    expect(await metric(hub, 'protohub_gateway_socket_events_total', { event: 'dtls_replaced' })).toBe(0);
    expect(await metric(hub, 'protohub_gateway_table_entries', { table: 'dtls_sessions' })).toBe(1);
    // a rebooted client at the same address completes its handshake: it replaces the old session
    expect((await post('two')).exitCode).toBe(0);
    expect(await metric(hub, 'protohub_gateway_socket_events_total', { event: 'dtls_replaced' })).toBe(1);
    await eventually(() => got.length === 2, 'both publishes');
    expect(got).toEqual(['one', 'two']);
  });

  it('blockwise over DTLS: a 3 KB retained POST in 512-byte blocks, read back with Block2', async () => {
    const { url } = await hubWithDtls();
    const body = Array.from({ length: 3072 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const file = join(tempDir(), 'body.txt');
    writeFileSync(file, body);
    const ca = ['-C', pki().caCert];
    const put = await coapsClient('coap-client-openssl', [
      '-m',
      'post',
      '-b',
      '512',
      '-f',
      file,
      ...ca,
      `${url}/ps/big?retain=true`,
    ]);
    expect(put.exitCode, put.stderr).toBe(0);
    const get = await coapsClient('coap-client-openssl', ['-m', 'get', '-o', '-', ...ca, `${url}/ps/big`]);
    expect(get.stdout).toBe(body);
  });

  it('drops datagrams that are not a ClientHello from an unknown peer (counted)', async () => {
    const { hub, port } = await hubWithDtls();
    const s = createSocket('udp4');
    sockets.push(s);
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', () => resolve()));
    s.send(Buffer.from([0x40, 0x01, 0x12, 0x34]), port, '127.0.0.1'); // a plaintext CoAP GET
    await eventually(
      async () => (await metric(hub, 'protohub_gateway_dropped_total', { reason: 'dtls_no_session' })) === 1,
      'plaintext datagram dropped',
    );
  });
});

describeWithPeers(['coaps_client_gnutls', 'openssl'], 'CoAP over DTLS with coap-client-gnutls and an RSA key', () => {
  it('PUT retained then GET reads it back over DTLS (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256)', async () => {
    const rsa = makeTestPki();
    const { url } = await hubWithDtls({ certfile: rsa.serverCert, keyfile: rsa.serverKey });
    const ca = ['-C', rsa.caCert];
    const put = await coapsClient('coap-client-gnutls', ['-m', 'put', '-e', 'on', ...ca, `${url}/ps/lamp?retain=true`]);
    expect(put.exitCode, put.stderr).toBe(0);
    const get = await coapsClient('coap-client-gnutls', ['-m', 'get', '-o', '-', ...ca, `${url}/ps/lamp`]);
    expect(get.stdout).toBe('on');
  });
});

/** The first datagram coap-client-openssl sends to a silent UDP socket: a real DTLS ClientHello. */
async function captureClientHello(): Promise<Buffer> {
  const sink = createSocket('udp4');
  sockets.push(sink);
  await new Promise<void>((resolve) => sink.bind(0, '127.0.0.1', () => resolve()));
  const first = new Promise<Buffer>((resolve) => sink.once('message', (m) => resolve(m)));
  const client = coapsClient('coap-client-openssl', ['-m', 'get', `coaps://127.0.0.1:${sink.address().port}/x`], 2000);
  const hello = await first;
  await client.catch(() => undefined);
  return hello;
}

/**
 * A loopback UDP relay between one DTLS client and the hub that keeps what the client sent, and holds back its
 * alerts (close_notify) so the session outlives the client for a replay.
 */
async function udpProxy(target: number): Promise<{ port: number; fromClient: Buffer[]; toServer(d: Buffer): void }> {
  const front = createSocket('udp4');
  const back = createSocket('udp4');
  sockets.push(front, back);
  await new Promise<void>((resolve) => front.bind(0, '127.0.0.1', () => resolve()));
  await new Promise<void>((resolve) => back.bind(0, '127.0.0.1', () => resolve()));
  const fromClient: Buffer[] = [];
  let client: { address: string; port: number } | undefined;
  front.on('message', (d, rinfo) => {
    client = rinfo;
    fromClient.push(d);
    if (d[0] !== 21) back.send(d, target, '127.0.0.1');
  });
  back.on('message', (d) => client && front.send(d, client.port, client.address));
  return { port: front.address().port, fromClient, toServer: (d) => back.send(d, target, '127.0.0.1') };
}

/** `openssl s_client` with no input; resolves with everything it printed, rejects if it has not ended in 15 s. */
function sClient(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('openssl', ['s_client', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    const timer = setTimeout(
      () => (child.kill('SIGKILL'), reject(new Error(`s_client still waiting: ${out}`))),
      15_000,
    );
    child.on('close', () => (clearTimeout(timer), resolve(out)));
  });
}
