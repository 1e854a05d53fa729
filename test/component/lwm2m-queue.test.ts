/**
 * Commands to one endpoint go through its bounded queue: at most NSTART requests outstanding (RFC 7252 §4.7),
 * overflow refused on up/resp and counted, a device that never answers gets 5.04 and frees its slot, QoS 1
 * commands are acknowledged only once answered, and queue mode (TS 1.1 Core §6.5) uses the same queue. A
 * Lwm2mGateway on a real broker (so the test can read its endpoint state and counters), an MQTT.js application
 * and the node-coap device over loopback UDP. No sleeps: every wait is for a message or a state change.
 */
import type { MqttClient } from 'mqtt';
import { afterEach, expect, it } from 'vitest';
import { Lwm2mGateway } from '../../gateways/lwm2m/instance.js';
import { lwm2mConfigSchema } from '../../gateways/lwm2m/schema.js';
import { InstanceDeviceSessions } from '../../src/gateway/device-sessions.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { closeAllClients, collect, connectV5, eventually, subscribe, type Received } from '../support/clients.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { CoapLwm2mDevice, type CoapDeviceOptions } from '../support/lwm2m-coap-client.js';
import { freeUdpPort } from '../support/net.js';

const cleanups: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  closeAllClients();
  for (const c of cleanups.splice(0).reverse()) await c();
  await stopAllHubs();
});

interface Rig {
  gw: Lwm2mGateway;
  app: MqttClient;
  device: CoapLwm2mDevice;
  dropped(reason: string): Promise<number>;
}

async function rig(
  ep: string,
  extra: Record<string, unknown>,
  register: string[] = ['lt=300'],
  deviceOptions: Partial<CoapDeviceOptions> = {},
): Promise<Rig> {
  const hub = await startHub();
  const udp = await freeUdpPort();
  const config = lwm2mConfigSchema.parse({ bind: `127.0.0.1:${udp}`, ...extra });
  const metrics = new Metrics();
  const gm = new GatewayMetrics(metrics, 'lwm2m.q');
  const gw = new Lwm2mGateway(config, {
    name: 'q',
    id: 'lwm2m.q',
    logger: silentLogger(),
    metrics: gm,
    devices: new InstanceDeviceSessions(hub.hub.broker, 'lwm2m', 'lwm2m.q', config, gm),
  });
  await gw.start();
  cleanups.push(() => gw.stop());
  const app = await connectV5(hub.url);
  await subscribe(app, `lwm2m/${ep}/up/#`, { qos: 1 });
  const device = new CoapLwm2mDevice(udp, { lwm2m: '1.1', ct: [110], ...deviceOptions });
  await device.open();
  cleanups.push(() => device.close());
  device.resources.set('/3/0/9', 87);
  device.resources.set('/3/0/0', 'ACME');
  device.resources.set('/3303/0/5700', 21.5);
  expect(await device.register(ep, register)).toBe('2.01');
  return {
    gw,
    app,
    device,
    dropped: (reason) => metrics.value('protohub_gateway_dropped_total', { gateway: 'lwm2m.q', reason }),
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- test assertions walk arbitrary JSON
type Json = any;
const json = (m: Received): Json => JSON.parse(m.payload.toString()) as Json;
const read = (reqID: number, path = '/3/0/9') => JSON.stringify({ reqID, msgType: 'read', data: { path } });

it('NSTART 1: one request outstanding, the rest queued in order, overflow refused with 5.03 and counted', async () => {
  const { gw, app, device, dropped } = await rig('ns', { max_queued_commands: 2 });
  device.hold = true;
  const refused = collect(app, 1, { filter: (m) => m.topic === 'lwm2m/ns/up/resp' });
  for (const id of [1, 2, 3, 4]) app.publish('lwm2m/ns/dn', read(id), { qos: 1 });
  // 1 goes out, 2 and 3 wait for its slot, 4 finds the queue full
  const r4 = json((await refused)[0]!);
  expect(r4).toMatchObject({ reqID: 4, msgType: 'read', data: { reqPath: '/3/0/9', code: '5.03' } });
  expect(r4.data.reason).toMatch(/command queue of the endpoint is full \(2 waiting/);
  expect(await dropped('command_queue_full')).toBe(1);
  expect(gw.list()[0]).toMatchObject({ outstanding: 1, queuedCommands: 2 });
  // a round trip from the device after the refusal: anything the server had sent before would be here by now
  expect(await device.update()).toBe('2.04');
  expect(device.seen.filter((q) => q.method === 'GET')).toHaveLength(1);

  const answers = collect(app, 3, { filter: (m) => m.topic === 'lwm2m/ns/up/resp' });
  device.hold = false;
  device.answerHeld(); // answering 1 frees the slot: 2, then 3 follow one at a time
  expect((await answers).map((m) => [json(m).reqID, json(m).data.code])).toEqual([
    [1, '2.05'],
    [2, '2.05'],
    [3, '2.05'],
  ]);
  expect(device.seen.filter((q) => q.method === 'GET')).toHaveLength(3);
  expect(gw.list()[0]).toMatchObject({ outstanding: 0, queuedCommands: 0 });
});

it('NSTART 2 lets two requests out at once', async () => {
  const { gw, app, device } = await rig('n2', { transmission: { nstart: 2 } });
  device.hold = true;
  for (const id of [1, 2, 3]) app.publish('lwm2m/n2/dn', read(id), { qos: 1 });
  await eventually(() => device.seen.length === 2, 'two requests at the device');
  expect(gw.list()[0]).toMatchObject({ outstanding: 2, queuedCommands: 1 });
  const answers = collect(app, 3, { filter: (m) => m.topic === 'lwm2m/n2/up/resp' });
  device.hold = false;
  device.answerHeld();
  expect((await answers).map((m) => json(m).reqID)).toEqual([1, 2, 3]);
});

it('a device that never answers: 5.04 on up/resp, counted, and its slot is free for the next command', async () => {
  const { app, device, dropped } = await rig('mute', {
    request_timeout: '1s',
    transmission: { ack_timeout: '200ms', max_retransmit: 1 },
  });
  device.neverAnswer.add('/3/0/9');
  const resp = collect(app, 2, { filter: (m) => m.topic === 'lwm2m/mute/up/resp', timeoutMs: 15_000 });
  app.publish('lwm2m/mute/dn', read(1), { qos: 1 });
  app.publish('lwm2m/mute/dn', read(2, '/3/0/0'), { qos: 1 });
  // the device answers /3/0/0 at once, so had 2 gone out beside 1 its 2.05 would come before 1's 5.04
  const both = (await resp).map(json);
  expect(both.map((r) => [r.reqID, r.data.code])).toEqual([
    [1, '5.04'],
    [2, '2.05'],
  ]);
  expect(both[0].data).toMatchObject({
    reqPath: '/3/0/9',
    codeMsg: 'gateway_timeout',
    reason: 'no acknowledgement after 2 transmissions',
  });
  expect(await dropped('request_timeout')).toBe(1);
  // retransmitted (max_retransmit 1) but not repeated after the timeout: one request, seen once by the device
  expect(device.seen.map((q) => q.path)).toEqual(['/3/0/9', '/3/0/0']);
  expect(both[1].data.content).toEqual([{ path: '/3/0/0', value: 'ACME' }]);
});

it('an empty ACK ends the outstanding interaction (RFC 7252 §4.7): the next command goes out; no response → 5.04', async () => {
  const { app, device, dropped } = await rig('slow', { request_timeout: '1s' }, ['lt=300'], { emptyAckAfterMs: 20 });
  device.neverAnswer.add('/3/0/9'); // acknowledged (empty ACK), answer never sent
  const resp = collect(app, 2, { filter: (m) => m.topic === 'lwm2m/slow/up/resp', timeoutMs: 15_000 });
  app.publish('lwm2m/slow/dn', read(1), { qos: 1 });
  app.publish('lwm2m/slow/dn', read(2, '/3/0/0'), { qos: 1 });
  const got = (await resp).map(json);
  expect(got.map((r) => [r.reqID, r.data.code])).toEqual([
    [2, '2.05'],
    [1, '5.04'],
  ]);
  expect(got[1].data).toMatchObject({ reqPath: '/3/0/9', reason: 'no answer within 1s' });
  expect(await dropped('request_timeout')).toBe(1);
});

it('QoS 1 commands are acknowledged to the broker only once answered: inflight_window holds the rest', async () => {
  const { app, device, dropped } = await rig('q1', {
    inflight_window: 1,
    max_queued_commands: 1,
    translators: { command: { topic: 'dn/#', qos: 1 } },
  });
  device.hold = true;
  for (const id of [1, 2, 3, 4]) app.publish('lwm2m/q1/dn', read(id), { qos: 1 });
  await eventually(() => device.seen.length === 1, 'the first request at the device');
  const answers = collect(app, 4, { filter: (m) => m.topic === 'lwm2m/q1/up/resp' });
  device.hold = false;
  device.answerHeld();
  // with early acks the gateway queue (1) would have overflowed; the broker kept 3 of them instead
  expect((await answers).map((m) => [json(m).reqID, json(m).data.code])).toEqual([
    [1, '2.05'],
    [2, '2.05'],
    [3, '2.05'],
    [4, '2.05'],
  ]);
  expect(await dropped('command_queue_full')).toBe(0);
});

it('queue mode: commands wait in the same queue while the device sleeps and go out when it wakes', async () => {
  const { gw, app, device, dropped } = await rig('sleepy', { qmode_time_window: '300ms', max_queued_commands: 1 }, [
    'lt=300',
    'b=UQ',
  ]);
  await eventually(() => gw.list()[0]?.awake === false, 'the device asleep after its window');
  const refused = collect(app, 1, { filter: (m) => m.topic === 'lwm2m/sleepy/up/resp' });
  app.publish('lwm2m/sleepy/dn', read(12), { qos: 1 });
  await eventually(() => gw.list()[0]?.queuedCommands === 1, 'the command held');
  app.publish('lwm2m/sleepy/dn', read(13), { qos: 1 });
  expect(json((await refused)[0]!)).toMatchObject({
    reqID: 13,
    data: { code: '5.03', reason: expect.stringMatching(/sleeping endpoint is full/) },
  });
  expect(await dropped('command_queue_full')).toBe(1);
  expect(device.seen).toEqual([]); // nothing reached the sleeping device

  const resp = collect(app, 1, { filter: (m) => m.topic === 'lwm2m/sleepy/up/resp' });
  expect(await device.update()).toBe('2.04'); // TS 1.1 Core §6.5: any message wakes it
  expect(json((await resp)[0]!)).toMatchObject({
    reqID: 12,
    data: { code: '2.05', content: [{ path: '/3/0/9', value: 87 }] },
  });
  expect(device.seen.map((q) => [q.method, q.path])).toEqual([['GET', '/3/0/9']]);
});

it('a command larger than a datagram for a sleeping device: 4.13 at once, acknowledged, and its wake-up does not crash', async () => {
  const { gw, app, device, dropped } = await rig('big', { qmode_time_window: '300ms' }, ['lt=300', 'b=UQ']);
  await eventually(() => gw.list()[0]?.awake === false, 'the device asleep after its window');
  const results = collect(app, 2, { filter: (m) => m.topic === 'lwm2m/big/up/resp' });
  // 70 KB of Opaque: more than any UDP datagram can carry (the review's crash: process exit on the wake-up)
  const value = Buffer.alloc(70_000, 1).toString('base64');
  await app.publishAsync(
    'lwm2m/big/dn',
    JSON.stringify({ reqID: 1, msgType: 'write', data: { path: '/5/0/0', value } }),
    {
      qos: 1,
    },
  );
  await app.publishAsync('lwm2m/big/dn', read(2), { qos: 1 });
  await eventually(() => gw.list()[0]?.queuedCommands === 1, 'the read held for the sleeping device');
  expect(await device.update()).toBe('2.04');
  const [tooLarge, answered] = (await results).map(json);
  expect(tooLarge).toMatchObject({ reqID: 1, data: { code: '4.13', codeMsg: 'request_entity_too_large' } });
  expect(answered).toMatchObject({ reqID: 2, data: { code: '2.05', content: [{ path: '/3/0/9', value: 87 }] } });
  expect(await dropped('request_too_large')).toBe(1);
  expect(device.seen.map((q) => [q.method, q.path])).toEqual([['GET', '/3/0/9']]);
  expect(gw.list()[0]).toMatchObject({ outstanding: 0, queuedCommands: 0 });
});
