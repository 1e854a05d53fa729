/**
 * The little the DTLS listener reads of a datagram before the DTLS library sees it (sans-IO): the header of its
 * first record (RFC 6347 §4.1), to tell a ClientHello that opens a handshake from anything else. A datagram that
 * is not a DTLS 1.0/1.2 record yields undefined, never an exception.
 */

/** RFC 5246 §6.2.1 content types. */
export const ContentType = { ChangeCipherSpec: 20, Alert: 21, Handshake: 22, ApplicationData: 23 } as const;

const CLIENT_HELLO = 1; // RFC 5246 §7.4 HandshakeType.client_hello
const RECORD_HEADER = 13; // type(1) version(2) epoch(2) sequence_number(6) length(2), RFC 6347 §4.1
const HANDSHAKE_HEADER = 12; // msg_type(1) length(3) message_seq(2) fragment_offset(3) fragment_length(3), §4.2.2

export interface RecordHead {
  contentType: number;
  epoch: number;
  /** Set for an epoch-0 handshake record: the type of the handshake message it starts with. */
  handshakeType?: number;
}

export function firstRecord(bytes: Buffer): RecordHead | undefined {
  if (bytes.length < RECORD_HEADER) return undefined;
  const contentType = bytes[0]!;
  if (contentType < ContentType.ChangeCipherSpec || contentType > ContentType.ApplicationData) return undefined;
  // DTLS 1.0 is 0xfeff, DTLS 1.2 is 0xfefd (RFC 6347 §4.1: ones' complement of the version)
  if (bytes[1] !== 0xfe || (bytes[2] !== 0xff && bytes[2] !== 0xfd)) return undefined;
  const epoch = bytes.readUInt16BE(3);
  const length = bytes.readUInt16BE(11);
  if (RECORD_HEADER + length > bytes.length) return undefined;
  if (contentType !== ContentType.Handshake || epoch !== 0 || length < HANDSHAKE_HEADER) return { contentType, epoch };
  return { contentType, epoch, handshakeType: bytes[RECORD_HEADER]! };
}

/** A datagram whose first record is a plaintext ClientHello: the only thing that may open a DTLS session. */
export function isClientHello(bytes: Buffer): boolean {
  return firstRecord(bytes)?.handshakeType === CLIENT_HELLO;
}
