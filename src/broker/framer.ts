/**
 * Splits a byte stream into whole MQTT packets before they reach mqtt-packet's parser, so an oversized
 * packet is refused from its fixed header alone and never buffered ([MQTT-3.1.2-24] / v5 §3.2.2.3.6), and a
 * malformed Remaining Length is caught early ([MQTT-2.2.3-1]: at most 4 bytes).
 */
export type FrameResult =
  { kind: 'packet'; bytes: Buffer } | { kind: 'too_large'; size: number } | { kind: 'malformed'; reason: string };

export class PacketFramer {
  #pending: Buffer[] = [];
  #pendingBytes = 0;
  /** Bytes needed before the pending packet is complete (0 = header not complete yet). */
  #need = 0;

  constructor(public maxPacketSize: number) {}

  get buffered(): number {
    return this.#pendingBytes;
  }

  /**
   * Feed received bytes; calls onFrame for every complete packet. Stops at the first error result (false).
   * 'hold' stops after this packet and keeps the rest: push(EMPTY) later resumes with it.
   */
  push(chunk: Buffer, onFrame: (r: FrameResult) => boolean | 'hold'): void {
    if (this.#pendingBytes > 0) {
      if (this.#need > 0 && this.#pendingBytes + chunk.length < this.#need) {
        // still incomplete: keep the chunks, concatenate once when the packet is whole
        this.#pending.push(chunk);
        this.#pendingBytes += chunk.length;
        return;
      }
      this.#pending.push(chunk);
      chunk = Buffer.concat(this.#pending, this.#pendingBytes + chunk.length);
      this.#pending = [];
      this.#pendingBytes = 0;
      this.#need = 0;
    }
    let pos = 0;
    while (pos < chunk.length) {
      let mult = 1;
      let len = 0;
      let i = pos + 1;
      let complete = false;
      for (; i < chunk.length && i < pos + 5; i++) {
        const b = chunk[i];
        len += (b & 0x7f) * mult;
        mult *= 128;
        if ((b & 0x80) === 0) {
          complete = true;
          i++;
          break;
        }
      }
      if (!complete) {
        if (i >= pos + 5) {
          onFrame({ kind: 'malformed', reason: 'remaining length longer than 4 bytes' });
          return;
        }
        break; // header incomplete, wait for more
      }
      const total = i - pos + len;
      if (total > this.maxPacketSize) {
        onFrame({ kind: 'too_large', size: total });
        return;
      }
      if (pos + total > chunk.length) {
        this.#need = total;
        break;
      }
      const go = onFrame({ kind: 'packet', bytes: chunk.subarray(pos, pos + total) });
      if (!go) return;
      pos += total;
      if (go === 'hold') break;
    }
    if (pos < chunk.length) {
      const rest = chunk.subarray(pos);
      this.#pending.push(rest);
      this.#pendingBytes = rest.length;
    }
  }
}
