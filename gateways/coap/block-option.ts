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

/**
 * The same position expressed in blocks of `szx` (≤ the block's own SZX): block NUM of size 2^(SZX+4) starts at
 * byte NUM × size, which is block NUM × 2^(SZX − szx) of the smaller size. RFC 7959 §2.4/§2.5: after a size
 * reduction the block numbers continue from the bytes already transferred (§3.2, the atomic PUT with
 * negotiation: 1:0/1/128 is answered 1:0/1/32 and the client goes on with 1:4/1/32).
 */
export function atSize(block: BlockOption, szx: number): BlockOption {
  if (szx >= block.szx) return block;
  return { num: block.num * (1 << (block.szx - szx)), more: block.more, szx };
}
