/**
 * Connections share one mqtt-packet parser per protocol version (memory per idle connection). A malformed
 * frame on one connection must never disturb the parsing of another's.
 */
import net from 'node:net';
import mqtt from 'mqtt';
import { afterAll, describe, expect, it } from 'vitest';
import { startHub, stopAllHubs } from '../support/hub.js';

afterAll(() => stopAllHubs());

function sendAndClose(port: number, bytes: number[]): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const s = net.connect(port, '127.0.0.1', () => s.write(Buffer.from(bytes)));
    s.on('data', (d) => chunks.push(d));
    s.on('error', () => undefined);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

describe('shared parser isolation', () => {
  it('[MQTT-3.1.2-2] a CONNECT with a bad protocol level, then valid v5/v4 clients on fresh connections', async () => {
    const h = await startHub();
    for (let round = 0; round < 3; round++) {
      const refused = await sendAndClose(h.port, [0x10, 12, 0, 4, 0x4d, 0x51, 0x54, 0x54, 6, 2, 0, 60, 0, 0]);
      expect([...refused]).toEqual([0x20, 2, 0, 1]); // CONNACK 0x01 unacceptable protocol version
      for (const protocolVersion of [5, 4] as const) {
        const c = await mqtt.connectAsync(h.url, { protocolVersion, reconnectPeriod: 0 });
        await c.subscribeAsync('iso/t', { qos: 1 });
        const got = new Promise<string>((r) => c.once('message', (_t, p) => r(p.toString())));
        await c.publishAsync('iso/t', `r${round}v${protocolVersion}`, { qos: 1 });
        expect(await got).toBe(`r${round}v${protocolVersion}`);
        await c.endAsync();
      }
    }
  });

  it('a malformed SUBSCRIBE from one client does not affect a connected client of the same version', async () => {
    const h = await startHub();
    const good = await mqtt.connectAsync(h.url, { protocolVersion: 4, reconnectPeriod: 0 });
    await good.subscribeAsync('iso/u', { qos: 0 });
    // CONNECT v4 then a SUBSCRIBE with reserved options bits set (malformed) in the same write
    const connect = [0x10, 13, 0, 4, 0x4d, 0x51, 0x54, 0x54, 4, 2, 0, 60, 0, 1, 0x62];
    const badSubscribe = [0x82, 7, 0, 1, 0, 2, 0x69, 0x73, 0xc1];
    await sendAndClose(h.port, [...connect, ...badSubscribe]);
    const got = new Promise<string>((r) => good.once('message', (_t, p) => r(p.toString())));
    await good.publishAsync('iso/u', 'still fine');
    expect(await got).toBe('still fine');
    await good.endAsync();
  });
});
