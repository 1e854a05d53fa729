/** One registered LwM2M endpoint: its registration, device session, queued commands and observations. */
import type { DeviceSession } from '../../src/gateway/index.js';
import type { Command } from './commands.js';
import type { RegistrationObjects } from './link-format.js';

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
  /** Queue mode: requests may go out until then (qmode_time_window after the last message from the device). */
  awakeUntil: number;
  readonly queued: Array<{ cmd: Command; reply: (result: Buffer) => void }>;
  /** reqPath → observation token (hex). */
  readonly observations: Map<string, string>;
  seqNum: number;
  closed: boolean;
}

/** TS 1.1 Core §7.4: 1.0 clients must speak TLV; 1.1 clients get the best format they declared with `ct`. */
export function bodyFormatOf(c: Lwm2mClient): number {
  if (c.lwm2m.startsWith('1.0')) return 11542;
  const ct = c.objects.contentFormats;
  if (ct.includes(112)) return 112;
  if (ct.includes(110)) return 110;
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
