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

export interface RecordSlice extends RecordHead {
  /** 48-bit record sequence number (exact in a JS number). */
  sequence: number;
  /** The whole record, header included. */
  bytes: Buffer;
}

/** The records of a datagram, in order; undefined when one is malformed or truncated (RFC 6347 §4.1). */
export function splitRecords(bytes: Buffer): RecordSlice[] | undefined {
  const out: RecordSlice[] = [];
  for (let at = 0; at < bytes.length;) {
    const rest = bytes.subarray(at);
    const head = firstRecord(rest);
    if (!head) return undefined;
    const end = RECORD_HEADER + rest.readUInt16BE(11);
    out.push({ ...head, sequence: rest.readUIntBE(5, 6), bytes: rest.subarray(0, end) });
    at += end;
  }
  return out;
}

const WINDOW = 64;
const WINDOW_MASK = (1n << BigInt(WINDOW)) - 1n;

/**
 * RFC 6347 §4.1.2.6 anti-replay window of one epoch: a record is fresh when newer than any seen, or within the
 * last 64 and not seen. Marked only after the record authenticated, so forged sequence numbers move nothing.
 */
export class ReplayWindow {
  private top = -1;
  /** Bit i set: sequence number top - i was seen. */
  private seen = 0n;

  fresh(sequence: number): boolean {
    if (sequence > this.top) return true;
    const age = this.top - sequence;
    return age < WINDOW && ((this.seen >> BigInt(age)) & 1n) === 0n;
  }

  mark(sequence: number): void {
    if (sequence > this.top) {
      const shift = sequence - this.top;
      this.seen = shift >= WINDOW ? 1n : ((this.seen << BigInt(shift)) | 1n) & WINDOW_MASK;
      this.top = sequence;
    } else if (this.top - sequence < WINDOW) this.seen |= 1n << BigInt(this.top - sequence);
  }
}

/** RFC 5246 §7.2 AlertDescription.handshake_failure. */
export const HANDSHAKE_FAILURE = 40;

/**
 * A fatal alert in a plaintext epoch-0 record (RFC 5246 §7.2, RFC 6347 §4.1), for a handshake that cannot go on:
 * werift-dtls sends none itself, and without it a client would retransmit its ClientHello until it gives up.
 */
export function fatalAlert(description: number): Buffer {
  // type, DTLS 1.2, epoch 0, sequence 0, length 2; level fatal (2), description
  return Buffer.from([ContentType.Alert, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, description]);
}
