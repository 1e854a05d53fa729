/**
 * Exactly once across a restart: the packet id of an inbound QoS 2 message awaiting PUBREL is persisted with
 * the session, so a DUP resend after the hub restarted is acknowledged but not delivered a second time.
 */
import type mqttPacket from 'mqtt-packet';
import { afterAll, describe, expect, it } from 'vitest';
import { closeAllClients, collectUntil, connectClient, RawClient } from '../support/clients.js';
import { startHub, stopAllHubs } from '../support/hub.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(async () => {
  await closeAllClients();
  await stopAllHubs();
  removeTempDirs();
});

describe('QoS 2 across a restart', () => {
  it.for([5, 4] as const)(
    '[MQTT-4.3.3-10] v%i: a DUP resend after restart is not delivered twice; PUBREL then completes',
    async (v) => {
      const dir = tempDir();
      const config = { store: { type: 'sqlite' as const, dir } };
      const first = await startHub(config);
      const sub = await connectClient(first.url, {
        protocolVersion: 5,
        clientId: `q2r-sub-${v}`,
        clean: false,
        properties: { sessionExpiryInterval: 3600 },
      });
      await sub.subscribeAsync('q2r/t', { qos: 2 });
      await sub.endAsync();
      const connect = {
        clientId: `q2r-pub-${v}`,
        clean: false,
        ...(v === 5 ? { properties: { sessionExpiryInterval: 3600 } } : {}),
      };
      const { client: pub } = await RawClient.connect(first.port, connect, { version: v });
      const publish = {
        cmd: 'publish' as const,
        topic: 'q2r/t',
        payload: Buffer.from('exactly-once'),
        qos: 2 as const,
        messageId: 42,
        retain: false,
        dup: false,
      };
      pub.send(publish);
      expect(await pub.next('pubrec')).toMatchObject({ messageId: 42 });
      await first.stop();

      const second = await startHub({ ...config, listeners: { tcp: { default: { bind: '127.0.0.1:0' } } } });
      const { client: again, connack } = await RawClient.connect(second.port, connect, { version: v });
      expect(connack.sessionPresent).toBe(true);
      again.send({ ...publish, dup: true });
      expect(await again.next('pubrec')).toMatchObject({ messageId: 42 });
      again.send({ cmd: 'pubrel', messageId: 42 });
      const comp = await again.next<mqttPacket.IPubcompPacket>('pubcomp');
      expect(comp.messageId).toBe(42);
      if (v === 5) expect(comp.reasonCode ?? 0).toBe(0); // known id, not 0x92
      // the sentinel is QoS 2 as well: MQTT.js emits QoS 2 messages only at PUBREL, so mixing QoS would reorder them
      again.send({ ...publish, messageId: 43, payload: Buffer.from('end') });
      await again.next('pubrec');
      again.send({ cmd: 'pubrel', messageId: 43 });
      await again.next('pubcomp');

      let got!: ReturnType<typeof collectUntil>;
      // the collector is attached before CONNECT: queued messages arrive right after CONNACK
      await connectClient(
        second.url,
        { protocolVersion: 5, clientId: `q2r-sub-${v}`, clean: false, properties: { sessionExpiryInterval: 3600 } },
        (c) => {
          got = collectUntil(c, (m) => m.payload.toString() === 'end');
        },
      );
      expect((await got).map((m) => m.payload.toString())).toEqual(['exactly-once']); // once, then the sentinel
    },
  );
});
