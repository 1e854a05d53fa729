/**
 * Splits a TCP byte stream into MQTT frames by walking fixed headers only (first byte + Remaining Length),
 * without parsing bodies: the receiver decides what, if anything, to read from each frame.
 */
import { ProtocolError } from '../errors.js';

export interface FrameVisitor {
  /**
   * One complete frame: buf[bodyStart, end) is its variable header + payload. The bytes are valid only during
   * the call (the walker may reuse a joined buffer afterwards).
   */
  onFrame(firstByte: number, buf: Buffer, bodyStart: number, end: number): void;
}

/** Largest frame the walker buffers; beyond it the stream is treated as corrupt rather than grown without end. */
export const DEFAULT_MAX_FRAME = 16 * 1024 * 1024;

export class FrameWalker {
  private tail: Buffer | null = null;

  constructor(
    private readonly visitor: FrameVisitor,
    private readonly maxFrame = DEFAULT_MAX_FRAME,
  ) {}

  /** Bytes held back because they end in an incomplete frame. */
  get pendingBytes(): number {
    return this.tail ? this.tail.length : 0;
  }

  /** Feed one chunk; calls the visitor for every frame it completes. Throws PH_BENCH_FRAME_MALFORMED on garbage. */
  push(chunk: Buffer): void {
    const buf = this.tail ? Buffer.concat([this.tail, chunk]) : chunk;
    this.tail = null;
    const len = buf.length;
    let pos = 0;
    while (len - pos >= 2) {
      // Remaining Length: at most 4 bytes of 7 bits each (MQTT 3.1.1 §2.2.3, MQTT 5 §1.5.5)
      let value = 0;
      let mult = 1;
      let i = pos + 1;
      let complete = false;
      for (let k = 0; k < 4 && i < len; k++) {
        const b = buf[i++];
        value += (b & 0x7f) * mult;
        if ((b & 0x80) === 0) {
          complete = true;
          break;
        }
        mult *= 128;
      }
      if (!complete) {
        if (i - pos - 1 >= 4)
          throw new ProtocolError('PH_BENCH_FRAME_MALFORMED', 'Remaining Length longer than 4 bytes');
        break; // header split across chunks
      }
      if (value > this.maxFrame) {
        throw new ProtocolError('PH_BENCH_FRAME_MALFORMED', `frame of ${value} bytes exceeds ${this.maxFrame}`);
      }
      const end = i + value;
      if (end > len) break; // body split across chunks
      this.visitor.onFrame(buf[pos], buf, i, end);
      pos = end;
    }
    // copy the (small) remainder so a large chunk is not kept alive by a subarray
    if (pos < len) this.tail = Buffer.from(buf.subarray(pos));
  }

  reset(): void {
    this.tail = null;
  }
}
