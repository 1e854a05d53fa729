/**
 * The mqtt-packet parsers shared by all network connections (connection.ts): used for every packet the fast
 * decoders of publish-codec.ts do not take (CONNECT, SUBSCRIBE, AUTH, ...).
 */
import mqttPacket, { type Packet } from 'mqtt-packet';
import type { Connection } from './connection.js';

/**
 * Parsers shared by all connections, one per protocol version: frames arrive whole (PacketFramer), so a
 * parser never holds state between two calls, and a per-connection parser (an EventEmitter with a buffer list,
 * ~1 KB) is memory an idle connection does not need (~5.8 KB RSS per idle connection at 10k, docs/performance.md).
 * Relies on mqtt-packet's Parser internals `settings`, `_list` and `error` (pinned exactly in package.json,
 * checked by test/unit/deps-internals.test.ts).
 */
const sharedParsers = new Map<number, ReturnType<typeof mqttPacket.parser>>();
let parsingFor: Connection | undefined;

export function parseFrame(conn: Connection, bytes: Buffer): void {
  const version = conn.state === 'awaiting_connect' ? 0 : conn.protocolVersion;
  let parser = sharedParsers.get(version);
  if (!parser) {
    parser = mqttPacket.parser({ protocolVersion: version || 4 });
    parser.on('packet', (p: Packet) => parsingFor?.onPacket(p));
    parser.on('error', (err: Error) => parsingFor?.onParseError(err));
    sharedParsers.set(version, parser);
  }
  const previous = parsingFor;
  parsingFor = conn;
  try {
    parser.parse(bytes);
  } finally {
    parsingFor = previous;
    const internals = parser as unknown as {
      settings: { protocolVersion: number };
      _list: { length: number };
      error: unknown;
    };
    // a CONNECT makes mqtt-packet adopt the client's settings; the shared parser must not keep them
    internals.settings = { protocolVersion: version || 4 };
    // after an error or with bytes left over the parser's internal cursor is unreliable: replace it, so one
    // connection's bad frame can never affect the next connection's
    if (internals.error || internals._list.length > 0) sharedParsers.delete(version);
  }
}
