/**
 * The SessionSink of a network connection: turns Pendings into PUBLISH packets for this client, honouring its
 * Receive Maximum, Maximum Packet Size and Topic Alias Maximum, and the listener's outbound buffer limit.
 */
import mqttPacket from 'mqtt-packet';
import { EMPTY_PROPERTIES, encodePublish } from './publish-codec.js';
import type { Connection } from './connection.js';
import { propertiesForDelivery, wireKey, type Pending } from './message.js';
import type { SessionSink } from './session.js';

/** Payloads up to this size use the shared encoded packet; bigger ones are encoded per client (no cache growth). */
const SHARED_WIRE_MAX = 64 * 1024;

export interface ClientLimits {
  receiveMaximum: number;
  /** Largest packet the client accepts (v5 CONNECT Maximum Packet Size); Infinity when unset. */
  maximumPacketSize: number;
  topicAliasMaximum: number;
}

export class ConnectionSink implements SessionSink {
  readonly receiveMaximum: number;
  readonly #aliases = new Map<string, number>();

  constructor(
    private readonly conn: Connection,
    private readonly limits: ClientLimits,
    private readonly outboundBuffer: number,
  ) {
    this.receiveMaximum = limits.receiveMaximum;
  }

  get connection(): Connection {
    return this.conn;
  }

  get writable(): boolean {
    return this.conn.state === 'connected' && this.conn.outboundBytes < this.outboundBuffer;
  }

  get readingPaused(): boolean {
    return this.conn.readingPaused;
  }

  /** QoS 0 is still written up to twice the soft limit while the publishers slow down; beyond, it is dropped. */
  get acceptsQos0(): boolean {
    return this.conn.state === 'connected' && this.conn.outboundBytes < 2 * this.outboundBuffer;
  }

  publish(p: Pending, packetId: number | undefined, dup: boolean): boolean {
    const conn = this.conn;
    const v5 = conn.protocolVersion === 5;
    const msg = p.msg;
    if (
      !msg.properties &&
      !(v5 && (p.subIds || this.limits.topicAliasMaximum > 0)) &&
      msg.payload.length <= SHARED_WIRE_MAX
    ) {
      return this.#publishShared(p, packetId, dup, v5);
    }
    let topic = msg.topic;
    let properties: Record<string, unknown> | undefined;
    let newAlias: number | undefined;
    if (v5) {
      const props = propertiesForDelivery(msg, Date.now());
      properties = props ? { ...props } : undefined;
      // [MQTT-3.3.4-3] every matching subscription identifier
      if (p.subIds && p.subIds.length > 0)
        (properties ??= {}).subscriptionIdentifier = p.subIds.length === 1 ? p.subIds[0] : p.subIds;
      if (this.limits.topicAliasMaximum > 0) {
        const alias = this.#aliases.get(topic);
        if (alias !== undefined) {
          (properties ??= {}).topicAlias = alias;
          topic = '';
        } else if (this.#aliases.size < this.limits.topicAliasMaximum) {
          // [MQTT-3.3.2-9] never more aliases than the client's Topic Alias Maximum
          newAlias = this.#aliases.size + 1;
          (properties ??= {}).topicAlias = newAlias;
        }
      }
    }
    const packet = {
      cmd: 'publish' as const,
      topic,
      payload: msg.payload,
      qos: p.qos,
      retain: p.retain,
      dup: dup && p.qos > 0, // [MQTT-3.3.1-2] DUP is 0 for QoS 0
      messageId: packetId,
      properties,
    };
    const buf = mqttPacket.generate(packet as mqttPacket.IPublishPacket, { protocolVersion: conn.protocolVersion });
    if (buf.length > this.limits.maximumPacketSize) {
      // [MQTT-3.1.2-25] never send a packet larger than the client's Maximum Packet Size: skip it
      if (p.qos === 0) conn.env.broker.metrics.dropped.inc({ reason: 'too_large' });
      return false;
    }
    if (newAlias !== undefined) this.#aliases.set(msg.topic, newAlias);
    conn.writeRaw(buf);
    conn.counters.sent.inc();
    return true;
  }

  /**
   * Fast path for fan-out: the same bytes go to every subscriber of this variant (protocol 4 or 5, QoS, RETAIN,
   * DUP), encoded once per message; only the packet id differs and is patched into a copy.
   */
  #publishShared(p: Pending, packetId: number | undefined, dup: boolean, v5: boolean): boolean {
    const conn = this.conn;
    const msg = p.msg;
    const d = dup && p.qos > 0;
    const key = wireKey(v5, p.qos, p.retain, d);
    const wire = (msg.wire ??= []);
    let buf = wire[key];
    if (!buf) {
      buf = encodePublish(
        msg.topic,
        msg.payload,
        p.qos,
        p.retain,
        d,
        p.qos > 0 ? 1 : undefined,
        v5 ? EMPTY_PROPERTIES : undefined,
      );
      wire[key] = buf;
    }
    if (buf.length > this.limits.maximumPacketSize) {
      if (p.qos === 0) conn.env.broker.metrics.dropped.inc({ reason: 'too_large' });
      return false;
    }
    if (p.qos > 0 && packetId !== undefined) {
      // layout: fixed header, topic (2 + n), packet id (2), [v5: property length 0x00], payload
      const copy = Buffer.allocUnsafe(buf.length);
      buf.copy(copy);
      copy.writeUInt16BE(packetId, buf.length - msg.payload.length - (v5 ? 1 : 0) - 2);
      buf = copy;
    }
    conn.writeRaw(buf);
    conn.counters.sent.inc();
    return true;
  }

  pubrel(packetId: number): void {
    this.conn.send({ cmd: 'pubrel', messageId: packetId });
  }
}
