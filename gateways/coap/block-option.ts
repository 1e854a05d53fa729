/**
 * The Block1/Block2 option value (RFC 7959 §2.2): NUM | M | SZX packed in a uint of 0–3 bytes.
 */
import { decodeUint, encodeUint } from './message.js';

export interface BlockOption {
  /** Block number: which block of `size` bytes this is. */
  readonly num: number;
  /** More blocks follow. */
  readonly more: boolean;
  /** Size exponent: block size = 2 ** (szx + 4), 16…1024 bytes. */
  readonly szx: number;
}

export function blockSize(szx: number): number {
  return 1 << (szx + 4);
}

/** The largest SZX whose block size is at most `bytes` (bytes ≥ 16). */
export function szxFor(bytes: number): number {
  let szx = 0;
  while (szx < 6 && blockSize(szx + 1) <= bytes) szx++;
  return szx;
}

/** undefined when the value is longer than 3 bytes or uses the reserved SZX 7 (RFC 7959 §2.2). */
export function decodeBlock(value: Buffer): BlockOption | undefined {
  if (value.length > 3) return undefined;
  const v = decodeUint(value);
  const szx = v & 0x07;
  if (szx === 7) return undefined;
  return { num: v >>> 4, more: (v & 0x08) !== 0, szx };
}

export function encodeBlock(b: BlockOption): Buffer {
  return encodeUint(b.num * 16 + (b.more ? 8 : 0) + b.szx);
}
