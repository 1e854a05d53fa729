/**
 * Channels and their broker sessions. Connectionless (the default): a client is its UDP address; its device
 * session opens on the first request that needs one (client id from `clientid=` or `coap-<address>`, credentials
 * from `username=`/`password=`) and closes after `heartbeat` with no request and no observation. Connection mode
 * (`connection_required`): `POST mqtt/connection` opens it, and every request names `clientid` and `token`.
 */
import type { DeviceSession, DeviceWill } from '../../src/gateway/index.js';
import { CoapChannel, type PeerAddress } from './channel.js';
import type { EndpointCore } from './core.js';
import { deliver, endRelation } from './notifier.js';
import type { RequestQuery } from './uri.js';

export type SessionResult = { session: DeviceSession } | { refused: string; detail: string };

/** The channel a connectionless request belongs to, created on first sight (bounded by limits.max_clients). */
export function connectionlessChannel(
  core: EndpointCore,
  peer: PeerAddress,
  query: RequestQuery,
): CoapChannel | undefined {
  let channel = core.channels.get(peer.key);
  if (!channel) {
    if (core.channels.size >= core.config.limits.max_clients) return undefined;
    channel = new CoapChannel(peer.key, query.clientid || `coap-${peer.key}`, peer, core.now());
    core.channels.set(peer.key, channel);
  }
  channel.lastSeen = core.now();
  return channel;
}

/** The channel of a connection-mode request whose clientid and token match, else undefined (→ 4.01). */
export function connectedChannel(core: EndpointCore, peer: PeerAddress, query: RequestQuery): CoapChannel | undefined {
  if (!query.clientid || !query.token) return undefined;
  const channel = core.channels.get(query.clientid);
  if (!channel || channel.token !== query.token || !channel.session || channel.session.closed) return undefined;
  channel.peer = peer;
  channel.lastSeen = core.now();
  channel.session.touch();
  return channel;
}

/** Open (once) the device session of a channel. */
export function ensureSession(
  core: EndpointCore,
  channel: CoapChannel,
  query: RequestQuery,
  opts: { keepAlive: number; cleanStart: boolean; sessionExpiry: number; will?: DeviceWill },
): Promise<SessionResult> {
  if (channel.session && !channel.session.closed) return Promise.resolve({ session: channel.session });
  if (channel.connecting) return channel.connecting.then(toResult);
  const connecting = core.ports.devices
    .connect({
      clientId: channel.clientId,
      username: query.username,
      password: query.password === undefined ? undefined : Buffer.from(query.password, 'utf8'),
      peerAddress: channel.peer.address,
      peerPort: channel.peer.port,
      cleanStart: opts.cleanStart,
      sessionExpiry: opts.sessionExpiry,
      keepAlive: opts.keepAlive,
      will: opts.will,
      handler: {
        onDelivery: (d) => deliver(core, channel, d),
        onClose: (reason) => dropChannel(core, channel, reason),
      },
    })
    .then((r): DeviceSession | { refused: string; detail: string } => {
      channel.connecting = undefined;
      if (!r.ok) return { refused: r.reason, detail: r.detail };
      channel.session = r.session;
      r.session.startDelivery();
      return r.session;
    });
  channel.connecting = connecting;
  return connecting.then(toResult);
}

function toResult(r: DeviceSession | { refused: string; detail: string }): SessionResult {
  return 'refused' in r ? r : { session: r };
}

/** The broker ended the session (taken over, keep-alive expiry, broker stopping), or the gateway forgets it. */
export function dropChannel(core: EndpointCore, channel: CoapChannel, reason: string): void {
  if (channel.dropped) return;
  channel.dropped = true;
  for (const relation of [...channel.relations]) endRelation(core, relation, reason);
  channel.pendingBytes = 0;
  for (const d of channel.pending.splice(0)) {
    core.ports.metrics.dropped('client_gone');
    d.ack();
  }
  // CON notifications still being retransmitted to this client: give them up now
  for (const ctx of core.retransmit.dropPeer(channel.peer.key)) if (ctx.kind === 'notify') ctx.shared.settle();
  if (core.channels.get(channel.key) === channel) core.channels.delete(channel.key);
  core.block1.forgetPeer(channel.peer.key);
  core.ports.metrics.socketEvent(`client_${reason}`);
}

/** Close connectionless channels idle for `heartbeat` (no request, no observation). */
export function closeIdleChannels(core: EndpointCore, now: number): void {
  if (core.config.connection_required) return;
  for (const channel of core.channels.values()) {
    if (channel.relations.size > 0 || channel.connecting || now - channel.lastSeen < core.config.heartbeat) continue;
    channel.session?.close();
    core.channels.delete(channel.key);
  }
}
