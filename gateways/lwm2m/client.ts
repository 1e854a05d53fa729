/** One registered LwM2M endpoint: its registration, device session, queued commands and observations. */
import type { DeviceSession } from '../../src/gateway/index.js';
import type { Command } from './commands.js';
import type { RegistrationObjects } from './link-format.js';

export interface QueuedCommand {
  readonly cmd: Command;
  readonly reply: (result: Buffer) => void;
  /** Size of the command as it arrived, for the byte bound of the queue. */
  readonly bytes: number;
}

export interface PeerRef {
  readonly key: string;
  readonly address: string;
  readonly port: number;
}

export interface Lwm2mClient {
  readonly ep: string;
  readonly regId: string;
  peer: PeerRef;
  lwm2m: string;
  lt: number;
  b: string;
  sms?: string;
  queueMode: boolean;
  objects: RegistrationObjects;
  session?: DeviceSession;
  registeredAt: number;
  expiresAt: number;
  /** When the tick next looks at its expiry (its current entry in the lifetime heap). */
  expiryCheckAt: number;
  /** Queue mode: requests may go out until then (qmode_time_window after the last message from the device). */
  awakeUntil: number;
  /**
   * Commands not yet sent, in arrival order: waiting for a free NSTART slot (RFC 7252 §4.7) or for a queue-mode
   * device to wake (TS 1.1 Core §6.5). Bounded by max_queued_commands / max_queued_bytes.
   */
  readonly queued: QueuedCommand[];
  /** Payload bytes of the commands in `queued`. */
  queuedBytes: number;
  /** Requests sent to the device that are still outstanding interactions (RFC 7252 §4.7); at most NSTART. */
  outstanding: number;
  /** Observe commands accepted but not yet answered (queued or outstanding), counted against max_observations. */
  observesPending: number;
  /** reqPath → observation token (hex). */
  readonly observations: Map<string, string>;
  seqNum: number;
  closed: boolean;
}

/**
 * The multi-value format asked for and written (TS 1.1 Core §7.4): TLV from 1.0 clients (the one they must speak);
 * from later ones the most compact they declared with `ct`: LwM2M CBOR (TS 1.2 §7.4.6, 1.2 clients only), SenML
 * CBOR, SenML JSON, TLV, then LwM2M JSON (11543, superseded by SenML in 1.1 but what some clients still declare
 * alone); TLV when they declared none of these.
 */
export function bodyFormatOf(c: Lwm2mClient): number {
  if (c.lwm2m.startsWith('1.0')) return 11542;
  const ct = c.objects.contentFormats;
  const [major = 0, minor = 0] = c.lwm2m.split('.').map(Number);
  if (ct.includes(11544) && (major > 1 || minor >= 2)) return 11544;
  for (const f of [112, 110, 11542, 11543]) if (ct.includes(f)) return f;
  return 11542;
}

export function registrationEvent(c: Lwm2mClient, msgType: 'register' | 'update'): Buffer {
  return Buffer.from(
    JSON.stringify({
      msgType,
      data: {
        ep: c.ep,
        lt: c.lt,
        lwm2m: c.lwm2m,
        b: c.b,
        ...(c.sms !== undefined ? { sms: c.sms } : {}),
        alternatePath: c.objects.rootPath,
        objectList: c.objects.objectList,
      },
    }),
    'utf8',
  );
}
