/**
 * Observe notifications (RFC 7641): every broker delivery to a client becomes a 2.05 notification on each of its
 * observations whose filter matches, in order, with increasing sequence numbers; CON or NON per `notify_type`.
 * A CON notification holds its slot in the observation's window until the ACK; the broker delivery is acked when
 * every observation it went to has settled it, so the device session's in-flight window is the back-pressure.
 */
import { topicMatches, type DeviceDelivery } from '../../src/gateway/index.js';
import { blockSize, szxFor } from './block-option.js';
import { SharedDelivery, type CoapChannel, type PeerAddress, type Relation } from './channel.js';
import { encodeCoap } from './codec.js';
import { contentFormatOf } from './content-format.js';
import type { EndpointCore } from './core.js';
import { Opt, Rsp, encodeUint, type CoapOption } from './message.js';
import { firstBlock } from './responder.js';

/** Where each observation's notifications go: the address that registered it (RFC 7641 §3.1). */
const relationPeers = new WeakMap<Relation, { peer: PeerAddress; channel: CoapChannel }>();

export function bindRelation(relation: Relation, peer: PeerAddress, channel: CoapChannel): void {
  relationPeers.set(relation, { peer, channel });
  channel.relations.add(relation);
}

/** A delivery from the channel's device session. */
export function deliver(core: EndpointCore, channel: CoapChannel, d: DeviceDelivery): void {
  const targets = [...channel.relations].filter((r) => topicMatches(r.filter, d.topic));
  if (targets.length === 0) {
    if (core.config.connection_required) return hold(core, channel, d);
    // Connectionless: no observation wants it any more (it ended between routing and now).
    core.ports.metrics.dropped('no_observer');
    d.ack();
    return;
  }
  const shared = new SharedDelivery(d, targets.length);
  for (const relation of targets) offer(core, relation, shared);
}

/**
 * Connection mode: the subscription lives in the session; its messages wait for the client to observe again,
 * bounded like an observation's queue (observe.max_queue, max_queue_bytes, queue_overflow; drops counted).
 */
function hold(core: EndpointCore, channel: CoapChannel, d: DeviceDelivery): void {
  const { max_queue, max_queue_bytes, queue_overflow } = core.config.observe;
  const full = () =>
    channel.pending.length > 0 &&
    (channel.pending.length >= max_queue || channel.pendingBytes + d.payload.length > max_queue_bytes);
  if (full() && queue_overflow === 'drop_newest') {
    core.ports.metrics.dropped('observe_queue_full');
    return d.ack();
  }
  while (full()) {
    const oldest = channel.pending.shift()!;
    channel.pendingBytes -= oldest.payload.length;
    core.ports.metrics.dropped('observe_queue_full');
    oldest.ack();
  }
  channel.pending.push(d);
  channel.pendingBytes += d.payload.length;
}

/** Hand the held deliveries that match a new observation to it, in order. */
export function flushPending(core: EndpointCore, channel: CoapChannel, relation: Relation): void {
  const keep: DeviceDelivery[] = [];
  for (const d of channel.pending.splice(0)) {
    if (topicMatches(relation.filter, d.topic)) offer(core, relation, new SharedDelivery(d, 1));
    else keep.push(d);
  }
  channel.pending.push(...keep);
  channel.pendingBytes = keep.reduce((n, d) => n + d.payload.length, 0);
}

const DAY_MS = 86_400_000;

function confirmable(core: EndpointCore, shared: SharedDelivery, relation: Relation): boolean {
  const t = core.config.notify_type;
  if (t === 'con' || (t === 'qos' && shared.delivery.qos > 0)) return true;
  // RFC 7641 §4.5: a server SHOULD send a CON notification at least every 24 hours to find observers that left.
  return core.now() - relation.lastConAt >= DAY_MS;
}

function offer(core: EndpointCore, relation: Relation, shared: SharedDelivery): void {
  const con = confirmable(core, shared, relation);
  const result = core.registry.offer(relation, shared, con, (evicted) => {
    core.ports.metrics.dropped('observe_queue_full');
    evicted.settle();
  });
  if (result === 'send') send(core, relation, shared, con);
}

/** Send items taken from the relation's queue (counted in flight) until a CON holds the window. */
function drain(core: EndpointCore, relation: Relation, item: SharedDelivery | undefined): void {
  while (item !== undefined) {
    const con = confirmable(core, item, relation);
    send(core, relation, item, con);
    if (con) return;
    item = core.registry.settle(relation);
  }
}

function send(core: EndpointCore, relation: Relation, shared: SharedDelivery, con: boolean): void {
  const where = relationPeers.get(relation);
  if (!where) return shared.settle();
  const d = shared.delivery;
  const contentFormat = contentFormatOf(d.properties?.contentType);
  const options: CoapOption[] = [{ number: Opt.Observe, value: encodeUint(relation.nextSeq()) }];
  if (contentFormat !== undefined) options.push({ number: Opt.ContentFormat, value: encodeUint(contentFormat) });
  let payload = d.payload;
  // RFC 7959 §2.4: the size the client negotiated for this observation, capped by ours
  const szx = Math.min(relation.blockSzx, szxFor(core.config.max_block_size));
  // RFC 7959 §3.4: the notification carries the first block; the client GETs the rest of this representation.
  if (payload.length > blockSize(szx))
    payload = firstBlock(core, where.peer.key, relation.resourceKey, payload, szx, contentFormat, options);
  const messageId = core.nextMessageId(where.peer.key);
  const bytes = encodeCoap({
    type: con ? 'CON' : 'NON',
    code: Rsp.Content,
    messageId,
    token: relation.token,
    options,
    payload,
  });
  core.send(where.peer, bytes);
  core.ports.metrics.message('downlink', d.payload.length);
  if (con) relation.lastConAt = core.now();
  if (con)
    core.retransmit.track(
      where.peer.key,
      messageId,
      bytes,
      { kind: 'notify', peer: where.peer, relation, shared },
      core.now(),
    );
  else {
    relation.rememberNon(messageId);
    shared.settle();
  }
}

/** An ACK or RST from a client (empty message or not): settles a notification or a separate response. */
export function onAckOrReset(core: EndpointCore, peerKey: string, messageId: number, reset: boolean): void {
  const ctx = core.retransmit.settle(peerKey, messageId);
  if (ctx?.kind === 'notify') {
    if (reset) return endRelation(core, ctx.relation, 'reset', ctx.shared);
    ctx.shared.settle();
    if (core.registry.get(ctx.relation.peer, ctx.relation.token) === ctx.relation)
      drain(core, ctx.relation, core.registry.settle(ctx.relation));
    return;
  }
  if (ctx || !reset) return;
  // RFC 7641 §3.6: a RST to a NON notification cancels its observation
  for (const relation of core.registry.ofPeer(peerKey))
    if (relation.sentNon(messageId)) return endRelation(core, relation, 'reset');
}

/** A CON notification was never acknowledged (RFC 7641 §4.5: the client is no longer interested). */
export function onNotificationFailed(core: EndpointCore, relation: Relation, shared: SharedDelivery): void {
  endRelation(core, relation, 'timeout', shared);
}

/**
 * Connection mode keeps the subscription in the session (EMQX #9525 lost it with the observation), so an
 * observation ending any other way than Observe 1 (or the client going away) loses no message either: what it had
 * queued, and the notification the client never acknowledged or rejected, wait in the channel for its next
 * observation.
 */
function keepsMessages(core: EndpointCore, reason: string): boolean {
  return core.config.connection_required && (reason === 'timeout' || reason === 'reset' || reason === 'reregistered');
}

/**
 * End an observation: the broker subscription goes too unless another observation of the same client uses the
 * same filter, or connection mode keeps it. Queued notifications are dropped (counted) and their deliveries acked,
 * or in connection mode handed back to the channel; `unsettled` is the CON notification whose exchange failed.
 */
export function endRelation(core: EndpointCore, relation: Relation, reason: string, unsettled?: SharedDelivery): void {
  const removed = core.registry.remove(relation);
  const where = relationPeers.get(relation);
  // a relation replaced by a re-registration is no longer in the registry but still has to leave its channel
  if (!removed && !where?.channel.relations.has(relation)) {
    unsettled?.settle();
    return;
  }
  const keep = keepsMessages(core, reason) && where !== undefined;
  if (unsettled) {
    // QoS 0 is at most once: a notification nobody acknowledged is dropped like one lost on the wire
    const held = keep && unsettled.delivery.qos > 0 ? unsettled.release() : (unsettled.settle(), undefined);
    if (held) hold(core, where!.channel, held);
    else if (reason === 'timeout') core.ports.metrics.dropped('notify_timeout');
  }
  relation.queueBytes = 0;
  for (const item of relation.queue.splice(0)) {
    const held = keep ? item.release() : (item.settle(), undefined);
    if (held) hold(core, where!.channel, held);
    else if (!keep) core.ports.metrics.dropped('observe_cancelled');
  }
  core.ports.metrics.socketEvent(`observe_end_${reason}`);
  if (!where) return;
  const channel = where.channel;
  channel.relations.delete(relation);
  const stillUsed = [...channel.relations].some((r) => r.filter === relation.filter);
  // Connection mode: only an explicit Observe 1 ends the subscription.
  const keepSubscription = core.config.connection_required && reason !== 'deregistered';
  if (!stillUsed && !keepSubscription && channel.session && !channel.session.closed)
    channel.session.unsubscribe([relation.filter]);
  channel.lastSeen = core.now();
}

export { SharedDelivery };
