/**
 * Registration interface requests (TS 1.1 Core §6.2, Table 6.2.1-1 / 6.2.2-1): Register `POST /rd?ep=…&lt=…&lwm2m=…
 * &b=…[&Q]` with object links, Update `POST /rd/{id}[?lt&b]` with optional links, De-register `DELETE /rd/{id}`.
 * Pure parsing; a bad request is a Lwm2mError PH_LWM2M_REGISTRATION that the endpoint answers with 4.00.
 */
import { Lwm2mError } from './errors.js';
import { registrationObjects, type RegistrationObjects } from './link-format.js';

export interface RegisterParams {
  readonly ep: string;
  /** Seconds (TS 1.1 Core §6.2.1: default 86400). */
  readonly lt: number;
  readonly lwm2m: string;
  readonly b: string;
  /** Queue mode: `b` contains Q (1.0, e.g. "UQ") or the 1.1 `Q` parameter. */
  readonly queueMode: boolean;
  readonly sms?: string;
  readonly objects: RegistrationObjects;
}

export interface UpdateParams {
  readonly lt?: number;
  readonly b?: string;
  readonly queueMode?: boolean;
  readonly sms?: string;
  readonly objects?: RegistrationObjects;
}

function fail(message: string): Lwm2mError {
  return new Lwm2mError('PH_LWM2M_REGISTRATION', message);
}

export function parseQuery(values: readonly string[]): Map<string, string> {
  const q = new Map<string, string>();
  for (const v of values) {
    const i = v.indexOf('=');
    q.set(i < 0 ? v : v.slice(0, i), i < 0 ? '' : v.slice(i + 1));
  }
  return q;
}

function lifetime(v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  if (!/^\d{1,10}$/.test(v)) throw fail(`lifetime "${v}" is not a number of seconds`);
  return Number(v);
}

function objectsOf(payload: Buffer): RegistrationObjects {
  return registrationObjects(payload.toString('utf8'));
}

export function parseRegister(query: readonly string[], payload: Buffer): RegisterParams {
  const q = parseQuery(query);
  const ep = q.get('ep');
  // TS 1.1 Core §6.2.1: the Endpoint Client Name is mandatory
  if (ep === undefined || ep === '') throw fail('Register without endpoint name (ep)');
  if (ep.length > 256 || /[#+/\u0000]/.test(ep))
    throw fail(`endpoint name "${ep.slice(0, 64)}" is not usable as a client id`);
  const b = q.get('b') ?? 'U';
  const lwm2m = q.get('lwm2m') ?? '1.0';
  if (!/^1\.[0-2](\.\d+)?$/.test(lwm2m)) throw fail(`unsupported LwM2M version "${lwm2m}"`);
  return {
    ep,
    lt: lifetime(q.get('lt')) ?? 86_400,
    lwm2m,
    b,
    queueMode: b.includes('Q') || q.has('Q'),
    sms: q.get('sms'),
    objects: objectsOf(payload),
  };
}

export function parseUpdate(query: readonly string[], payload: Buffer): UpdateParams {
  const q = parseQuery(query);
  const b = q.get('b');
  return {
    lt: lifetime(q.get('lt')),
    b,
    queueMode: b !== undefined ? b.includes('Q') || q.has('Q') : q.has('Q') ? true : undefined,
    sms: q.get('sms'),
    objects: payload.length > 0 ? objectsOf(payload) : undefined,
  };
}
