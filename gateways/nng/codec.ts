/**
 * NNG body framing (pure). SP messages carry no topic, so, as NanoMQ's NNG bridge does, the topic is the body
 * prefix up to the first delimiter and the payload is the rest.
 */
import { ProtocolError, delimiter as compileDelimiter, topicText } from '../../src/gateway/index.js';

export interface SplitBody {
  address: string;
  payload: Buffer;
}

/** Throws ProtocolError PH_NNG_FRAMING when the body has no delimiter or the topic is not UTF-8. */
export function splitBody(body: Buffer, delimiter: string): SplitBody {
  const d = compileDelimiter(delimiter);
  const at = d.indexIn(body);
  if (at < 0) throw new ProtocolError('PH_NNG_FRAMING', `no ${JSON.stringify(delimiter)} delimiter after the topic`);
  const address = topicText(body.subarray(0, at));
  if (address === undefined) throw new ProtocolError('PH_NNG_FRAMING', 'topic is not valid UTF-8');
  return { address, payload: body.subarray(at + d.length) };
}

export function joinBody(address: string, payload: Buffer, delimiter: string): Buffer {
  return Buffer.concat([Buffer.from(address + delimiter), payload]);
}

export function errorReply(prefix: string, reason: string, error: string): Buffer {
  return Buffer.from(`${prefix}${reason}: ${error}`);
}
