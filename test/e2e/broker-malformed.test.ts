/**
 * Malformed and forbidden packets after a valid CONNECT, written byte by byte (mqtt-packet would refuse to
 * encode most of them): each closes the connection with DISCONNECT 0x81/0x82 (v5) or a plain close (v3.1.1),
 * is counted in protohub_protocol_errors_total, and the hub keeps serving. Plus UNSUBSCRIBE semantics.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { closeAllClients, collectUntil, connectV5, payloadIs, RawClient, type Version } from '../support/clients.js';
import { startHub, stopAllHubs, type StartedHub } from '../support/hub.js';
import { removeTempDirs } from '../support/tmp.js';

let h: StartedHub;
beforeAll(async () => {
  h = await startHub();
});
afterEach(() => closeAllClients());
afterAll(async () => {
  await stopAllHubs();
  removeTempDirs();
});

const protocolErrors = () => h.hub.metrics.value('protohub_protocol_errors_total');
const ab = [0x61, 0x2f, 0x62]; // "a/b"

/** A bad topic string is a Malformed Packet (0x81); 0x90 "Topic Name invalid" says the same more precisely. */
const TOPIC_REASONS = [0x81, 0x82, 0x90];

/** Frames per case; v5 frames carry an empty property length byte where v3.1.1 has none. */
const cases: Array<{ name: string; frame: (v: Version) => number[]; reasons?: number[] }> = [
  {
    name: '[MQTT-3.3.1-4] PUBLISH with QoS 3',
    frame: (v) => [0x36, v === 5 ? 9 : 8, 0, 3, ...ab, 0, 1, ...(v === 5 ? [0] : []), 0x78],
  },
  {
    name: '[MQTT-3.3.1-2] PUBLISH QoS 0 with DUP=1',
    frame: (v) => [0x38, v === 5 ? 7 : 6, 0, 3, ...ab, ...(v === 5 ? [0] : []), 0x78],
  },
  {
    name: '[MQTT-1.5.4-2] topic containing U+0000',
    frame: (v) => [0x30, v === 5 ? 7 : 6, 0, 3, 0x61, 0x00, 0x62, ...(v === 5 ? [0] : []), 0x78],
    reasons: TOPIC_REASONS,
  },
  {
    name: '[MQTT-1.5.4-1] topic that is not well-formed UTF-8',
    frame: (v) => [0x30, v === 5 ? 7 : 6, 0, 3, 0x61, 0xff, 0x62, ...(v === 5 ? [0] : []), 0x78],
    reasons: TOPIC_REASONS,
  },
  {
    name: '[MQTT-3.8.3-2] SUBSCRIBE without any topic filter',
    frame: (v) => [0x82, v === 5 ? 3 : 2, 0, 1, ...(v === 5 ? [0] : [])],
  },
  {
    name: '[MQTT-3.8.1-1] SUBSCRIBE with reserved fixed-header flags 0000',
    frame: (v) => [0x80, v === 5 ? 8 : 7, 0, 1, ...(v === 5 ? [0] : []), 0, 3, ...ab, 0x01],
  },
  {
    name: '[MQTT-3.8.3-5] SUBSCRIBE options with reserved bits set',
    frame: (v) => [0x82, v === 5 ? 8 : 7, 0, 1, ...(v === 5 ? [0] : []), 0, 3, ...ab, 0xc1],
  },
  {
    name: '[MQTT-3.10.1-1] UNSUBSCRIBE with reserved fixed-header flags 0000',
    frame: (v) => [0xa0, v === 5 ? 8 : 7, 0, 1, ...(v === 5 ? [0] : []), 0, 3, ...ab].slice(0, v === 5 ? 10 : 9),
  },
];

describe.each([5, 4] as Version[])('malformed packets, protocol version %i', (v) => {
  it.each(cases)('$name closes the connection and is counted', async ({ frame, reasons }) => {
    const before = await protocolErrors();
    const { client } = await RawClient.connect(h.port, { clientId: `malformed-${v}` }, { version: v });
    client.sendBytes(Buffer.from(frame(v)));
    const got = await client.waitClose(3_000); // a conforming hub closes at once; this only bounds a hang
    if (v === 5) {
      const disconnect = got.find((p) => p.cmd === 'disconnect') as { reasonCode?: number } | undefined;
      expect(reasons ?? [0x81, 0x82]).toContain(disconnect?.reasonCode);
    }
    expect(got.filter((p) => p.cmd === 'suback' || p.cmd === 'unsuback')).toEqual([]);
    expect(await protocolErrors()).toBe(before + 1);
    const again = await RawClient.connect(h.port, { clientId: `after-malformed-${v}` }, { version: v });
    expect(v === 5 ? again.connack.reasonCode : again.connack.returnCode).toBe(0);
  });
});

describe('UNSUBSCRIBE', () => {
  it('[MQTT-3.10.4-1][MQTT-3.11.3-1] after UNSUBACK no more messages; v5 UNSUBACK 0x11 when nothing was subscribed', async () => {
    const { client } = await RawClient.connect(h.port, { clientId: 'unsub' });
    client.send({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [
        { topic: 'unsub/a', qos: 1 },
        { topic: 'unsub/b', qos: 1 },
      ],
    });
    await client.next('suback');
    client.send({ cmd: 'unsubscribe', messageId: 2, unsubscriptions: ['unsub/a', 'unsub/never'] });
    expect(await client.next('unsuback')).toMatchObject({ messageId: 2, granted: [0x00, 0x11] });
    const watcher = await connectV5(h.url, { clientId: 'unsub-watch' });
    await watcher.subscribeAsync('unsub/#', { qos: 1 });
    const routed = collectUntil(watcher, payloadIs('end'));
    await watcher.publishAsync('unsub/a', 'gone', { qos: 1 });
    await watcher.publishAsync('unsub/b', 'end', { qos: 1 });
    await routed;
    const p = await client.next<{ topic: string; messageId: number }>('publish');
    expect(p.topic).toBe('unsub/b'); // unsub/a was published first and must not have been delivered
    client.send({ cmd: 'puback', messageId: p.messageId });
  });
});
