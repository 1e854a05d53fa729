/**
 * Self-check of the broker test helpers against a reference broker (mosquitto): if these fail, a failing
 * conformance test says nothing about protohub.
 */
import { afterAll, afterEach, beforeAll, expect, it } from 'vitest';
import { describeWithPeers } from '../support/peers.js';
import { startMosquitto, type MosquittoInstance } from '../support/mosquitto.js';
import { closeAllClients, collect, collectUntil, connectV3, connectV5, RawClient } from '../support/clients.js';
import { mosquittoPub, mosquittoSub } from '../support/cli-clients.js';
import { removeTempDirs } from '../support/tmp.js';

describeWithPeers(['mosquitto', 'mosquitto_pub', 'mosquitto_sub'], 'broker test helpers vs mosquitto', () => {
  let mosq: MosquittoInstance;
  beforeAll(async () => {
    mosq = await startMosquitto();
  });
  afterEach(() => closeAllClients());
  afterAll(async () => {
    await mosq.stop();
    removeTempDirs();
  });

  it('MQTT.js helpers: collect and collectUntil', async () => {
    const sub = await connectV5(mosq.url);
    const pub = await connectV3(mosq.url);
    await sub.subscribeAsync('h/#', { qos: 1 });
    const two = collect(sub, 2);
    await pub.publishAsync('h/1', 'a', { qos: 1 });
    await pub.publishAsync('h/2', 'b', { qos: 1 });
    expect((await two).map((m) => m.payload.toString())).toEqual(['a', 'b']);
    const before = collectUntil(sub, 'h/end');
    await pub.publishAsync('h/3', 'c', { qos: 1 });
    await pub.publishAsync('h/end', '', { qos: 1 });
    expect((await before).map((m) => m.topic)).toEqual(['h/3']);
  });

  it('RawClient: CONNACK, SUBACK reason codes, PUBLISH QoS 1 round trip', async () => {
    const { client, connack } = await RawClient.connect(mosq.port, { clientId: 'raw1' });
    expect(connack.reasonCode).toBe(0);
    client.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'r/x', qos: 1 }] });
    expect((await client.next<{ granted: number[] }>('suback')).granted).toEqual([1]);
    client.send({
      cmd: 'publish',
      topic: 'r/x',
      payload: Buffer.from('p'),
      qos: 1,
      messageId: 2,
      retain: false,
      dup: false,
    });
    const [ack, msg] = await Promise.all([client.next('puback'), client.next<{ payload: Buffer }>('publish')]);
    expect(ack.cmd).toBe('puback');
    expect(msg.payload.toString()).toBe('p');
    client.sendBytes(Buffer.from([0xf0, 0x00])); // reserved packet type 15 in v3 framing / AUTH without props
    await client.waitClose();
  });

  it('mosquitto_sub/pub helpers: SUBACK readiness and hex payload parsing', async () => {
    const sub = mosquittoSub({ port: mosq.port, topics: ['c/#'], count: 1, qos: 1 });
    expect(await sub.subscribed).toEqual([1]);
    const pub = await mosquittoPub({ port: mosq.port, topic: 'c/1', message: 'hi there', qos: 1, version: 'mqttv311' });
    expect(pub.code).toBe(0);
    const res = await sub.done;
    expect(res.messages).toEqual([{ topic: 'c/1', payload: Buffer.from('hi there'), retain: false, qos: 1 }]);
  });
});
