/**
 * ZeroMQ message framing (pure): a received multipart message ⇄ (address, payload).
 * multipart: frame 1 is the topic (what SUB filters on), the last frame the payload; frames in between are
 * ignored on receive. prefix: one frame `<topic><delimiter><payload>`, as single-frame PUB peers send it.
 */
import { ProtocolError, delimiter, topicText } from '../../src/gateway/index.js';
import type { ZeromqFraming } from './schema.js';

export interface Framed {
  address: string;
  payload: Buffer;
}

function topic(bytes: Buffer): string {
  const text = topicText(bytes);
  if (text === undefined) throw new ProtocolError('PH_ZMQ_FRAMING', 'topic is not valid UTF-8');
  return text;
}

/** Throws ProtocolError PH_ZMQ_FRAMING for a message that does not fit the framing. */
export function decodeFrames(frames: readonly Buffer[], framing: ZeromqFraming): Framed {
  if (framing.mode === 'multipart') {
    if (frames.length < 2)
      throw new ProtocolError('PH_ZMQ_FRAMING', `expected [topic, …, payload], got ${frames.length} frame(s)`);
    return { address: topic(frames[0]), payload: frames[frames.length - 1] };
  }
  if (frames.length !== 1)
    throw new ProtocolError('PH_ZMQ_FRAMING', `prefix framing expects 1 frame, got ${frames.length}`);
  const body = frames[0];
  const d = delimiter(framing.delimiter);
  const at = d.indexIn(body);
  if (at < 0)
    throw new ProtocolError('PH_ZMQ_FRAMING', `no ${JSON.stringify(framing.delimiter)} delimiter after the topic`);
  return { address: topic(body.subarray(0, at)), payload: body.subarray(at + d.length) };
}

export function encodeFrames(address: string, payload: Buffer, framing: ZeromqFraming): Buffer[] {
  if (framing.mode === 'multipart') return [Buffer.from(address), payload];
  return [Buffer.concat([Buffer.from(address + framing.delimiter), payload])];
}
