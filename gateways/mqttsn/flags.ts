/** MQTT-SN 1.2 §5.3.4: the flags octet, every bit of it. */
import { MqttSnFrameError } from './errors.js';
import type { Flags, SnQoS, TopicIdType } from './frames.js';

const qosByBits: readonly SnQoS[] = [0, 1, 2, -1];

export function decodeFlags(v: number): Flags {
  const topicIdType = v & 0x03;
  // MQTT-SN 1.2 §5.3.4: TopicIdType 0b11 is reserved
  if (topicIdType === 3) throw new MqttSnFrameError('bad_flags', 'TopicIdType 0b11 is reserved');
  return {
    dup: (v & 0x80) !== 0,
    qos: qosByBits[(v >> 5) & 0x03]!,
    retain: (v & 0x10) !== 0,
    will: (v & 0x08) !== 0,
    cleanSession: (v & 0x04) !== 0,
    topicIdType: topicIdType as TopicIdType,
  };
}

export function encodeFlags(f: Flags): number {
  const qosBits = f.qos === -1 ? 3 : f.qos;
  return (
    (f.dup ? 0x80 : 0) |
    (qosBits << 5) |
    (f.retain ? 0x10 : 0) |
    (f.will ? 0x08 : 0) |
    (f.cleanSession ? 0x04 : 0) |
    f.topicIdType
  );
}
