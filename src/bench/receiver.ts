/**
 * The frame visitor behind every bench connection: counts PUBLISH frames, builds QoS 1/2 acks straight from the
 * packet-id bytes into one batch per chunk, hands handshake packets (CONNACK, SUBACK) to a waiter and, in
 * latency mode, reads the send timestamp from the payload. No mqtt-packet parse per message.
 */
import type { FrameVisitor } from './frame-walker.js';
import { PACKET, type MqttVersion } from './packets.js';
import type { LatencyRecorder } from './latency-recorder.js';
import { nowMs } from './latency-recorder.js';

/** Acks per chunk are bounded by the chunk: a 4-byte ack per frame of at least 4 bytes, so one chunk's size. */
const ACK_BATCH_INITIAL = 16 * 1024;

export interface ControlWaiter {
  type: number;
  resolve(frame: Buffer): void;
}

export class CountingReceiver implements FrameVisitor {
  publishes = 0;
  /** Our QoS>0 PUBLISHes the peer has completed (PUBACK, or PUBCOMP for QoS 2). */
  completed = 0;
  firstPublishAt = 0;
  lastPublishAt = 0;
  /** Frames of a type this client never expects (counted, not fatal). */
  unexpected = 0;
  private acks = Buffer.allocUnsafe(ACK_BATCH_INITIAL);
  private ackLen = 0;
  private waiter: ControlWaiter | null = null;

  constructor(
    private readonly version: MqttVersion,
    private readonly latency: LatencyRecorder | null = null,
  ) {}

  /** Resolve with the next frame of `type` (handshake only; one waiter at a time). */
  waitFor(type: number): Promise<Buffer> {
    return new Promise((resolve) => {
      this.waiter = { type, resolve };
    });
  }

  /** Acks built since the last call, as one buffer to write, or null. */
  takeAcks(): Buffer | null {
    if (this.ackLen === 0) return null;
    const out = Buffer.from(this.acks.subarray(0, this.ackLen));
    this.ackLen = 0;
    return out;
  }

  onFrame(firstByte: number, buf: Buffer, bodyStart: number, end: number): void {
    const type = firstByte >> 4;
    if (type === PACKET.PUBLISH) {
      this.onPublish(firstByte, buf, bodyStart, end);
      return;
    }
    switch (type) {
      case PACKET.PUBACK: // QoS 1 done (MQTT 3.1.1 §4.3.2)
      case PACKET.PUBCOMP: // QoS 2 done (§4.3.3)
        this.completed++;
        return;
      case PACKET.PUBREC: // §4.3.3: answer PUBREC with PUBREL, same id
        this.pushAck(PACKET.PUBREL, buf[bodyStart], buf[bodyStart + 1]);
        return;
      case PACKET.PUBREL: // §4.3.3: answer PUBREL with PUBCOMP
        this.pushAck(PACKET.PUBCOMP, buf[bodyStart], buf[bodyStart + 1]);
        return;
      case PACKET.PINGRESP:
        return;
      default:
        if (this.waiter && this.waiter.type === type) {
          const w = this.waiter;
          this.waiter = null;
          w.resolve(Buffer.from(buf.subarray(bodyStart, end)));
        } else {
          this.unexpected++;
        }
    }
  }

  private onPublish(firstByte: number, buf: Buffer, bodyStart: number, end: number): void {
    this.publishes++;
    const qos = (firstByte >> 1) & 0x03;
    let p = bodyStart + 2 + ((buf[bodyStart] << 8) | buf[bodyStart + 1]); // past the topic name
    if (qos === 1)
      this.pushAck(PACKET.PUBACK, buf[p], buf[p + 1]); // [MQTT-4.3.2-2]
    else if (qos === 2) this.pushAck(PACKET.PUBREC, buf[p], buf[p + 1]); // [MQTT-4.3.3-2]
    if (this.latency === null) return;
    if (qos > 0) p += 2;
    if (this.version === 5) p += propertyBlockLength(buf, p);
    if (end - p >= 8) this.latency.record((nowMs() - buf.readDoubleLE(p)) * 1000);
  }

  /** Stamp arrival times once per chunk rather than per frame: chunk granularity is what the socket gives us. */
  markChunk(publishesBefore: number): void {
    if (this.publishes === publishesBefore) return;
    const t = nowMs();
    if (this.firstPublishAt === 0) this.firstPublishAt = t;
    this.lastPublishAt = t;
  }

  private pushAck(type: number, hi: number, lo: number): void {
    if (this.ackLen + 4 > this.acks.length) {
      const bigger = Buffer.allocUnsafe(this.acks.length * 2);
      this.acks.copy(bigger, 0, 0, this.ackLen);
      this.acks = bigger;
    }
    const a = this.acks;
    const i = this.ackLen;
    a[i] = (type << 4) | (type === PACKET.PUBREL ? 0x02 : 0); // [MQTT-3.6.1-1] PUBREL flags 0b0010
    a[i + 1] = 2;
    a[i + 2] = hi;
    a[i + 3] = lo;
    this.ackLen = i + 4;
  }
}

/** Bytes taken by an MQTT 5 property block (its length varint plus the properties), MQTT 5 §2.2.2. */
export function propertyBlockLength(buf: Buffer, at: number): number {
  let value = 0;
  let mult = 1;
  let i = at;
  for (let k = 0; k < 4; k++) {
    const b = buf[i++];
    value += (b & 0x7f) * mult;
    if ((b & 0x80) === 0) break;
    mult *= 128;
  }
  return i - at + value;
}
