/**
 * The UDP socket of a CoAP-based gateway (CoAP, LwM2M): bind on IPv4, or IPv6 dual-stack for an IPv6 address, a
 * bind failure as a GatewayError, the optional SO_RCVBUF/SO_SNDBUF size, datagrams over the size limit kept away
 * from the protocol (counted, or handed to `onOversized`), and socket errors after bind counted, not fatal.
 */
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { GatewayError, type GatewayMetrics, type Logger } from '../../src/gateway/index.js';
import { peerAddress, type PeerAddress } from './channel.js';
import { guarded } from './guard.js';

export interface UdpSocketOptions {
  host: string;
  port: number;
  maxDatagramSize: number;
  /** Socket buffer size; undefined leaves the OS default. */
  socketBuffer?: number;
  /** PH_* code of the start-up error when the address cannot be bound. */
  bindErrorCode: string;
  metrics: GatewayMetrics;
  logger: Logger;
  onDatagram(peer: PeerAddress, bytes: Buffer): void;
  /** A datagram over maxDatagramSize (the handler counts it); dropped and counted here when absent. */
  onOversized?(peer: PeerAddress, bytes: Buffer): void;
}

/**
 * Peers are IP literals (from rinfo): answer dgram's per-send address lookup without going through dns.lookup,
 * which it otherwise calls for every datagram sent (about 1 % of a NON publish's CPU). Names still resolve.
 */
const ipLiteralLookup = ((hostname: string, options: unknown, callback: (...a: unknown[]) => void) => {
  const family = isIP(hostname);
  if (family !== 0) return process.nextTick(callback, null, hostname, family);
  return dnsLookup(hostname, options as never, callback as never);
}) as unknown as typeof dnsLookup;

/** Most ports whose PeerAddress is kept for reuse (a flood from many ports only starts the table over). */
const PEER_CACHE = 65_536;

export class UdpSocket {
  lastError?: string;

  private constructor(
    private readonly socket: Socket,
    private readonly o: UdpSocketOptions,
  ) {}

  static async bind(o: UdpSocketOptions): Promise<UdpSocket> {
    const socket = createSocket({
      type: o.host.includes(':') ? 'udp6' : 'udp4',
      ipv6Only: false,
      lookup: ipLiteralLookup,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (err) => {
        socket.close();
        reject(
          new GatewayError(o.bindErrorCode, `cannot bind UDP ${o.host}:${o.port}: ${err.message}`, { cause: err }),
        );
      });
      socket.bind({ address: o.host, port: o.port }, () => resolve());
    });
    socket.removeAllListeners('error');
    const udp = new UdpSocket(socket, o);
    if (o.socketBuffer !== undefined) {
      try {
        socket.setRecvBufferSize(o.socketBuffer);
        socket.setSendBufferSize(o.socketBuffer);
      } catch (err) {
        o.logger.warn({ err }, 'cannot set the UDP socket buffer size');
      }
    }
    socket.on('error', (err) => {
      // e.g. ICMP port unreachable reported on some platforms
      udp.lastError = err.message;
      o.metrics.socketEvent('socket_error');
    });
    // the PeerAddress of the last address seen on each port, reused while it matches: its key string is built and
    // hashed once, not for every datagram and every table it is looked up in (channels, dedup); bounded
    const peers = new Map<number, PeerAddress>();
    // a throw in the protocol code costs this datagram, not the process (see guard.ts)
    socket.on(
      'message',
      guarded('datagram', o, (bytes: Buffer, rinfo: { address: string; port: number }) => {
        let peer = peers.get(rinfo.port);
        if (!peer || peer.address !== rinfo.address) {
          if (peers.size >= PEER_CACHE) peers.clear();
          peers.set(rinfo.port, (peer = peerAddress(rinfo.address, rinfo.port)));
        }
        if (bytes.length <= o.maxDatagramSize) return o.onDatagram(peer, bytes);
        if (o.onOversized) return o.onOversized(peer, bytes);
        o.metrics.dropped('datagram_too_large');
      }),
    );
    return udp;
  }

  /** The port actually bound (useful when configured with port 0). */
  get port(): number {
    return this.socket.address().port;
  }

  send(peer: { address: string; port: number }, bytes: Buffer): void {
    if (bytes.length > this.o.maxDatagramSize) {
      this.o.metrics.dropped('datagram_too_large');
      return;
    }
    this.socket.send(bytes, peer.port, peer.address);
  }

  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
