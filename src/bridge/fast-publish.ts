/**
 * The drain's QoS 1/2 PUBLISH without MQTT.js's per-message path. `client.publish()` costs, per message, an
 * options spread, a deep clone of the packet for its outgoing store (rfdc), a dozen `debug` calls, a topic-alias
 * pass and mqtt-packet's stream writer, which writes each PUBLISH as 5–7 small buffers: together about a third
 * of the hub's CPU in a backlog drain profile (bench/results/profile-bridge.md). Here a PUBLISH is encoded into
 * one buffer and a turn's PUBLISHes leave in one socket write, while MQTT.js keeps owning the rest of the
 * protocol: packet ids come from its id provider and the message is registered in `client.outgoing` and its
 * outgoing store exactly as `publish()` would, so its PUBACK / PUBREC→PUBREL / PUBCOMP handling runs unchanged
 * and calls `done` as before. Anything unusual (not connected, MQTT.js replaying its store, no packet id left,
 * properties mqtt-packet refuses) goes through `client.publish()`.
 *
 * Touches MQTT.js internals (`outgoing`, `outgoingStore`, `messageIdProvider`, `_storeProcessing(Queue)`, `stream`):
 * mqtt is pinned exactly in package.json and test/unit/deps-internals.test.ts checks those shapes. It pays for
 * itself: hub CPU per drained message 67–77 → 31–40 µs, drain to a live subscriber 13.4k → ~20k msg/s
 * (docs/performance.md, bench/results/profile-bridge.md).
 */
import mqttPacket from 'mqtt-packet';
import type { MqttClient } from 'mqtt';
import type { PublishProperties } from '../envelope.js';
import { EMPTY_PROPERTIES, encodePublish } from '../broker/publish-codec.js';

type Done = (err?: Error & { code?: unknown }) => void;

/** Encoded v5 property blocks (length varint + properties) of property objects seen before. */
const propertyBlocks = new WeakMap<object, Buffer>();

/** The v5 property block of `p` as mqtt-packet encodes it, or undefined when mqtt-packet refuses it. */
export function propertyBlock(p: PublishProperties | undefined): Buffer | undefined {
  if (!p) return EMPTY_PROPERTIES;
  const cached = propertyBlocks.get(p);
  if (cached) return cached;
  let frame: Buffer;
  try {
    frame = mqttPacket.generate(
      {
        cmd: 'publish',
        topic: 'a',
        payload: Buffer.alloc(0),
        qos: 0,
        dup: false,
        retain: false,
        properties: p,
      } as mqttPacket.IPublishPacket,
      { protocolVersion: 5 },
    );
  } catch {
    return undefined;
  }
  if (!Buffer.isBuffer(frame) || frame.length < 5) return undefined;
  let pos = 1;
  while (frame[pos] & 0x80) pos++; // Remaining Length varint
  const block = Buffer.from(frame.subarray(pos + 1 + 3)); // topic length (2) + "a"; QoS 0: no packet id; no payload
  propertyBlocks.set(p, block);
  return block;
}

export interface DrainMessage {
  topic: string;
  payload: Buffer;
  qos: 0 | 1 | 2;
  retain: boolean;
  properties?: PublishProperties;
}

/**
 * Sends PUBLISHes for one connected MQTT.js client, batching every PUBLISH of an event-loop tick into one
 * socket write (flushed on process.nextTick, i.e. before any I/O of the next turn).
 */
export class DrainPublisher {
  readonly #client: MqttClient;
  readonly #v5: boolean;
  #pending: Buffer[] = [];
  #scheduled = false;

  constructor(client: MqttClient) {
    this.#client = client;
    this.#v5 = client.options.protocolVersion === 5;
  }

  publish(msg: DrainMessage, done: Done): void {
    const c = this.#client;
    // MQTT.js replaying its own store (never, with the fresh client per connection the bridge uses)
    const replaying = c as unknown as { _storeProcessing?: boolean; _storeProcessingQueue?: unknown[] };
    const props = this.#v5 ? propertyBlock(msg.properties) : undefined;
    const id =
      msg.qos > 0 &&
      c.connected &&
      !c.disconnecting &&
      !replaying._storeProcessing &&
      !replaying._storeProcessingQueue?.length &&
      (!this.#v5 || props)
        ? c.messageIdProvider.allocate()
        : null;
    if (id === null) {
      this.#flush(); // keep the order of what is already batched
      c.publish(msg.topic, msg.payload, { qos: msg.qos, retain: msg.retain, properties: msg.properties }, (err) =>
        done(err as Error & { code?: unknown }),
      );
      return;
    }
    // what publish() registers: the ack handlers look the callback up here and delete the store entry
    c.outgoing[id] = { volatile: false, cmd: 'publish', cb: done as (err: Error) => void };
    c.outgoingStore.put(
      {
        cmd: 'publish',
        messageId: id,
        topic: msg.topic,
        payload: msg.payload,
        qos: msg.qos,
        retain: msg.retain,
        dup: false,
      } as mqttPacket.IPublishPacket,
      () => undefined,
    );
    this.#pending.push(encodePublish(msg.topic, msg.payload, msg.qos, msg.retain, false, id, props));
    if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(() => this.#flush());
    }
  }

  #flush(): void {
    this.#scheduled = false;
    if (this.#pending.length === 0) return;
    const frames = this.#pending;
    this.#pending = [];
    const stream = this.#client.stream;
    if (!stream || stream.destroyed) return; // the close handler detaches the drainer; the rows are resent later
    stream.write(frames.length === 1 ? frames[0] : Buffer.concat(frames));
  }
}
