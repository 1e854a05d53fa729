/**
 * The CoAP gateways' UDP socket with real datagrams on loopback: peers are told apart by address and port (the
 * PeerAddress is reused per port while the address matches), oversized datagrams are kept from the protocol.
 */
import { createSocket, type Socket } from 'node:dgram';
import { afterEach, describe, expect, it } from 'vitest';
import type { PeerAddress } from '../../gateways/coap/channel.js';
import { UdpSocket } from '../../gateways/coap/udp-socket.js';
import { GatewayMetrics } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { freeUdpPort } from '../support/net.js';

const open: Array<{ close(): unknown }> = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});

async function peerSocket(host: string, port: number): Promise<Socket> {
  const s = createSocket('udp4');
  await new Promise<void>((resolve) => s.bind(port, host, resolve));
  open.push({ close: () => new Promise<void>((r) => s.close(() => r())) });
  return s;
}

describe('CoAP UdpSocket', () => {
  it('gives each address and port its own PeerAddress, the same object again for the same peer', async () => {
    const seen: PeerAddress[] = [];
    const oversized: PeerAddress[] = [];
    const udp = await UdpSocket.bind({
      host: '127.0.0.1',
      port: 0,
      maxDatagramSize: 64,
      bindErrorCode: 'PH_COAP_BIND',
      metrics: new GatewayMetrics(new Metrics(), 'coap.t'),
      logger: silentLogger(),
      onDatagram: (peer) => seen.push(peer),
      onOversized: (peer) => oversized.push(peer),
    });
    open.push(udp);
    const local = await freeUdpPort();
    const a = await peerSocket('127.0.0.2', local);
    const b = await peerSocket('127.0.0.3', local);
    const send = (s: Socket, n = 4) => s.send(Buffer.alloc(n), udp.port, '127.0.0.1');
    send(a);
    await expect.poll(() => seen.length).toBe(1);
    send(a);
    await expect.poll(() => seen.length).toBe(2);
    send(b);
    await expect.poll(() => seen.length).toBe(3);
    send(b, 65);
    await expect.poll(() => oversized.length).toBe(1);
    expect(seen.map((p) => p.key)).toEqual([`127.0.0.2:${local}`, `127.0.0.2:${local}`, `127.0.0.3:${local}`]);
    expect(seen[2]).toMatchObject({ address: '127.0.0.3', port: local });
    expect(seen[1]).toBe(seen[0]); // the same peer again: reused, not rebuilt per datagram
    expect(oversized[0]?.key).toBe(`127.0.0.3:${local}`);
  });
});
