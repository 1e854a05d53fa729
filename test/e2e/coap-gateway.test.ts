import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { closeAllClients, collect, connectV5, eventually, subscribe } from '../support/clients.js';
import { coapClient, coapObserve, type CoapObserver } from '../support/coap-client.js';
import { startCoapEdge } from '../support/coap-hub.js';
import { stopAllHubs, type StartedHub } from '../support/hub.js';
import { describeWithPeers } from '../support/peers.js';
import { tempDir } from '../support/tmp.js';

const observers: CoapObserver[] = [];
afterEach(async () => {
  closeAllClients();
  await Promise.all(observers.splice(0).map((o) => o.stop()));
  await stopAllHubs();
});

async function hubWithCoap(coap: Record<string, unknown> = {}): Promise<{ hub: StartedHub; coapUrl: string }> {
  const { hub, url } = await startCoapEdge(coap);
  return { hub, coapUrl: url };
}

describeWithPeers(['coap_client'], 'CoAP gateway with libcoap coap-client', () => {
  it('POST ps/sensors/c1 is published on coap/sensors/c1 and answered 2.04', async () => {
    const { hub, coapUrl } = await hubWithCoap();
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/#', { qos: 1 });
    const got = collect(app, 1);
    const r = await coapClient(['-m', 'post', '-e', '21.5', `${coapUrl}/ps/sensors/c1`]);
    expect(r.exitCode, r.stderr).toBe(0);
    const [m] = await got;
    expect(m.topic).toBe('coap/sensors/c1');
    expect(m.payload.toString()).toBe('21.5');
    expect(m.packet.qos).toBe(1); // CON → QoS 1 (publish_qos = coap)
  });

  it('PUT with qos, retain and Content-Format: retained on MQTT with the content type; a plain GET reads it back', async () => {
    const { hub, coapUrl } = await hubWithCoap();
    const r = await coapClient([
      '-m',
      'put',
      '-t',
      '50',
      '-e',
      '{"on":true}',
      `${coapUrl}/ps/lamp/state?qos=0&retain=true`,
    ]);
    expect(r.exitCode, r.stderr).toBe(0);
    const app = await connectV5(hub.url);
    const got = collect(app, 1);
    await subscribe(app, 'coap/lamp/state', { qos: 0 });
    const [m] = await got;
    expect(m.packet.retain).toBe(true);
    expect(m.payload.toString()).toBe('{"on":true}');
    expect(m.packet.properties?.contentType).toBe('application/json');
    const read = await coapClient(['-m', 'get', '-o', '-', `${coapUrl}/ps/lamp/state`]);
    expect(read.stdout).toBe('{"on":true}');
    const missing = await coapClient(['-m', 'get', '-v', '6', `${coapUrl}/ps/nothing/here`]);
    expect(missing.stderr + missing.stdout).toMatch(/4\.04/);
  });

  it('a 3 KB POST in 512-byte blocks arrives whole', async () => {
    const { hub, coapUrl } = await hubWithCoap();
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/logs/#', { qos: 1 });
    const got = collect(app, 1);
    const body = Array.from({ length: 3072 }, (_, i) => String.fromCharCode(97 + (i % 26))).join('');
    const file = join(tempDir(), 'body.txt');
    writeFileSync(file, body);
    const r = await coapClient(['-m', 'post', '-b', '512', '-f', file, `${coapUrl}/ps/logs/dev1`]);
    expect(r.exitCode, r.stderr).toBe(0);
    const [m] = await got;
    expect(m.payload.toString()).toBe(body);
  });

  it('observes ps/cmd/dev1: what mosquitto-side MQTT publishes arrives as notifications, in order', async () => {
    const { hub, coapUrl } = await hubWithCoap();
    const obs = coapObserve(`${coapUrl}/ps/cmd/dev1`, 30);
    observers.push(obs);
    const app = await connectV5(hub.url);
    // The observation exists once the hub counts the CoAP client's subscription.
    await eventually(async () => (await hub.hub.metrics.value('protohub_subscriptions')) > 0, 'observe registration');
    for (let i = 1; i <= 5; i++) await app.publishAsync('coap/cmd/dev1', `m${i}`, { qos: 1 });
    await eventually(() => obs.lines().length >= 5, 'five notifications');
    expect(obs.lines()).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('a notification larger than the block size goes out with Block2 and arrives whole', async () => {
    const { hub, coapUrl } = await hubWithCoap({ max_block_size: '256B' });
    const obs = coapObserve(`${coapUrl}/ps/big/%23`, 30);
    observers.push(obs);
    const app = await connectV5(hub.url);
    await eventually(async () => (await hub.hub.metrics.value('protohub_subscriptions')) > 0, 'observe registration');
    const payload = 'x'.repeat(1000) + 'END';
    await app.publishAsync('coap/big/a', payload, { qos: 0 });
    await eventually(() => obs.lines().length >= 1, 'big notification');
    expect(obs.lines()[0]).toBe(payload);
  });

  it('connection mode: connect, publish, observe, heartbeat and disconnect with the token coap-client printed', async () => {
    const { hub, coapUrl } = await hubWithCoap({ connection_required: true });
    const connections = () => hub.hub.metrics.value('protohub_connections', { protocol: 'coap' });
    const noToken = await coapClient(['-m', 'post', '-e', 'x', '-v', '6', `${coapUrl}/ps/cmd/lamp`]);
    expect(noToken.stderr + noToken.stdout).toMatch(/4\.01/);
    const connect = await coapClient(['-m', 'post', '-o', '-', `${coapUrl}/mqtt/connection?clientid=lamp1`]);
    expect(connect.exitCode, connect.stderr).toBe(0);
    const token = connect.stdout.trim();
    expect(token).toMatch(/^[0-9a-f]{16}$/);
    expect(await connections()).toBe(1);
    const q = `clientid=lamp1&token=${token}`;
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/state/#', { qos: 1 });
    const got = collect(app, 1);
    const pub = await coapClient(['-m', 'post', '-e', 'on', `${coapUrl}/ps/state/lamp1?${q}`]);
    expect(pub.exitCode, pub.stderr).toBe(0);
    expect((await got)[0].payload.toString()).toBe('on');
    const obs = coapObserve(`${coapUrl}/ps/cmd/lamp1?${q}`, 30);
    observers.push(obs);
    await eventually(async () => (await hub.hub.metrics.value('protohub_subscriptions')) === 2, 'observation');
    await app.publishAsync('coap/cmd/lamp1', 'toggle', { qos: 1 });
    await eventually(() => obs.lines().includes('toggle'), 'notification');
    const beat = await coapClient(['-m', 'put', '-v', '6', `${coapUrl}/mqtt/connection?${q}`]);
    expect(beat.stderr + beat.stdout).toMatch(/2\.04/);
    const bye = await coapClient(['-m', 'delete', '-v', '6', `${coapUrl}/mqtt/connection?${q}`]);
    expect(bye.stderr + bye.stdout).toMatch(/2\.02/);
    await eventually(async () => (await connections()) === 0, 'disconnected');
  });

  it('publishes on the percent-decoded topic: ps/room%201/t%C3%A9mp → coap/room 1/témp', async () => {
    const { hub, coapUrl } = await hubWithCoap();
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/#', { qos: 1 });
    const got = collect(app, 1);
    const r = await coapClient(['-m', 'post', '-e', 'v', `${coapUrl}/ps/room%201/t%C3%A9mp`]);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((await got)[0].topic).toBe('coap/room 1/témp');
  });

  it('a Block1 POST over max_body_size is answered 4.13 and nothing is published', async () => {
    const { hub, coapUrl } = await hubWithCoap({ max_body_size: '1KB' });
    const app = await connectV5(hub.url);
    await subscribe(app, 'coap/#', { qos: 1 });
    const file = join(tempDir(), 'big.txt');
    writeFileSync(file, 'z'.repeat(3072));
    const r = await coapClient(['-m', 'post', '-b', '512', '-v', '6', '-f', file, `${coapUrl}/ps/big`]);
    expect(r.stderr + r.stdout).toMatch(/4\.13/);
    const tooLarge = { gateway: 'coap.edge', reason: 'too_large' };
    expect(await hub.hub.metrics.value('protohub_gateway_dropped_total', tooLarge)).toBe(1);
    expect(await collect(app, 1, { timeoutMs: 1000 }).catch(() => 'none')).toBe('none');
  });

  it('answers an unknown resource 4.04, a bad qos 4.00 and an unknown Content-Format 4.15', async () => {
    const { coapUrl } = await hubWithCoap();
    const notFound = await coapClient(['-m', 'post', '-e', 'x', '-v', '6', `${coapUrl}/nope`]);
    expect(notFound.stderr + notFound.stdout).toMatch(/4\.04/);
    const bad = await coapClient(['-m', 'post', '-e', 'x', '-v', '6', `${coapUrl}/ps/a?qos=7`]);
    expect(bad.stderr + bad.stdout).toMatch(/4\.00/);
    const format = await coapClient(['-m', 'post', '-e', 'x', '-t', '999', '-v', '6', `${coapUrl}/ps/a`]);
    expect(format.stderr + format.stdout).toMatch(/4\.15/);
  });
});
