/**
 * Typed LwM2M resource values (TS 1.1 Core Appendix C "Data Types"): what every content format decodes to and
 * encodes from. Integers stay `number` while safe and become `bigint` beyond 2^53 (a 64-bit TLV/CBOR integer).
 */
import { Lwm2mError } from './errors.js';
import { formatPath, parsePath, type Lwm2mPath } from './path.js';

export type ResourceType =
  'String' | 'Integer' | 'Unsigned' | 'Float' | 'Boolean' | 'Opaque' | 'Time' | 'Objlnk' | 'Corelnk' | 'None';

export const RESOURCE_TYPES: readonly ResourceType[] = [
  'String',
  'Integer',
  'Unsigned',
  'Float',
  'Boolean',
  'Opaque',
  'Time',
  'Objlnk',
  'Corelnk',
  'None',
];

/** An Objlnk value (TS 1.1 Core Appendix C: two 16-bit ids), printed "3:0" as in SenML `vlo` and LwM2M JSON `ov`. */
export interface Objlnk {
  readonly objectId: number;
  readonly instanceId: number;
}

export type Lwm2mValue = string | number | bigint | boolean | Buffer | Objlnk;

/** One resource or resource-instance value with its absolute path ("/3/0/1" or "/3/0/7/1"). */
export interface Lwm2mRecord {
  readonly path: string;
  readonly value: Lwm2mValue;
  /**
   * SenML / LwM2M JSON time of the value in seconds (base time + time, RFC 8428 §4.5.3), as sent: values below
   * 2^28 are relative to now. Absent when the payload carries no time.
   */
  readonly time?: number;
}

/** Resolves the declared type of a resource ("Opaque" when nothing is known, so no byte is lost). */
export type TypeResolver = (objectId: number, resourceId: number) => ResourceType | undefined;

export const untyped: TypeResolver = () => undefined;

export function isObjlnk(v: unknown): v is Objlnk {
  return typeof v === 'object' && v !== null && !Buffer.isBuffer(v) && 'objectId' in v && 'instanceId' in v;
}

export function parseObjlnk(text: string): Objlnk {
  const m = /^(\d{1,5}):(\d{1,5})$/.exec(text.trim());
  if (!m || Number(m[1]) > 65535 || Number(m[2]) > 65535)
    throw new Lwm2mError('PH_LWM2M_VALUE', `invalid Objlnk "${text}" (expected "objectId:instanceId")`);
  return { objectId: Number(m[1]), instanceId: Number(m[2]) };
}

export function formatObjlnk(v: Objlnk): string {
  return `${v.objectId}:${v.instanceId}`;
}

/** The type a JS value carries when no object definition says otherwise (used to encode untyped writes). */
export function inferType(v: Lwm2mValue): ResourceType {
  if (typeof v === 'boolean') return 'Boolean';
  if (typeof v === 'bigint') return 'Integer';
  if (typeof v === 'number') return Number.isInteger(v) ? 'Integer' : 'Float';
  if (Buffer.isBuffer(v)) return 'Opaque';
  if (isObjlnk(v)) return 'Objlnk';
  return 'String';
}

function bad(type: ResourceType, v: unknown): Lwm2mError {
  return new Lwm2mError('PH_LWM2M_VALUE', `value ${JSON.stringify(String(v))} is not a valid ${type}`);
}

/**
 * Coerces a JSON value from an MQTT command (or a text payload) into the declared type; the error names the type.
 * Opaque accepts base64 text as EMQX does.
 */
function exactInteger(text: string): number | bigint {
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : BigInt(text);
}

export function coerce(type: ResourceType, v: unknown): Lwm2mValue {
  switch (type) {
    case 'Integer':
    case 'Time':
    case 'Unsigned': {
      const text = typeof v === 'string' ? v.trim() : undefined;
      // beyond 2^53 a decimal string stays exact as a bigint (TS 1.1 Core Appendix C: 64-bit integers)
      const n = text !== undefined && /^-?\d+$/.test(text) ? exactInteger(text) : v;
      if (typeof n === 'bigint') {
        const [min, max] = type === 'Unsigned' ? [0n, 2n ** 64n - 1n] : [-(2n ** 63n), 2n ** 63n - 1n];
        if (n < min || n > max) throw bad(type, v);
        return n;
      }
      if (typeof n !== 'number' || !Number.isInteger(n)) throw bad(type, v);
      if (type === 'Unsigned' && n < 0) throw bad(type, v);
      return n;
    }
    case 'Float': {
      const n = typeof v === 'string' && v.trim() !== '' ? Number(v) : v;
      if (typeof n !== 'number' || Number.isNaN(n)) throw bad(type, v);
      return n;
    }
    case 'Boolean':
      if (typeof v === 'boolean') return v;
      if (v === 1 || v === '1' || v === 'true') return true;
      if (v === 0 || v === '0' || v === 'false') return false;
      throw bad(type, v);
    case 'Opaque':
      if (Buffer.isBuffer(v)) return v;
      if (typeof v === 'string') return Buffer.from(v, 'base64');
      throw bad(type, v);
    case 'Objlnk':
      if (isObjlnk(v)) return v;
      if (typeof v === 'string') return parseObjlnk(v);
      throw bad(type, v);
    case 'String':
    case 'Corelnk':
    case 'None':
      if (typeof v === 'string') return v;
      if (typeof v === 'number' || typeof v === 'boolean') return String(v);
      throw bad(type, v);
  }
}

/**
 * A value a decoder read, in the resource's declared type (the value as sent when the type is unknown or None, and
 * a 64-bit integer beyond 2^53 stays a bigint); `fail` wraps a mismatch in the format's own error.
 */
export function decodedValue(
  raw: Lwm2mValue,
  type: ResourceType | undefined,
  fail: (message: string, cause: unknown) => Error,
): Lwm2mValue {
  if (type === undefined || type === 'None' || typeof raw === 'bigint') return raw;
  try {
    return coerce(type, raw);
  } catch (err) {
    throw fail((err as Error).message, err);
  }
}

/** The value an encoder writes for a record: its declared type, or the JS value's own type for unknown resources. */
export function valueToEncode(record: Lwm2mRecord, type: ResourceType | undefined): Lwm2mValue {
  const t = type ?? inferType(record.value);
  return t === 'None' ? record.value : coerce(t, record.value);
}

type FormatFail = (message: string, cause?: unknown) => Error;

/** A decoded record's name as a resource (or resource instance) path; `what` heads the format's error otherwise. */
export function resourcePath(name: string, what: string, fail: FormatFail): Lwm2mPath & { resourceId: number } {
  let path: Lwm2mPath;
  try {
    path = parsePath(name);
  } catch (err) {
    throw fail(`${what} is not an LwM2M path`, err);
  }
  if (path.instanceId === undefined || path.resourceId === undefined) throw fail(`${what} does not name a resource`);
  return path as Lwm2mPath & { resourceId: number };
}

/**
 * A decoded record: the value in its declared type and time = base time + time when either is given (LwM2M JSON
 * TS 1.0 §6.4.4, SenML RFC 8428 §4.5.3; values below 2^28 are relative to now, the consumer resolves them).
 */
export function decodedRecord(
  path: Lwm2mPath & { resourceId: number },
  raw: Lwm2mValue,
  typeOf: TypeResolver,
  fail: (message: string, cause: unknown) => Error,
  bt: number | undefined,
  t: number | undefined,
): Lwm2mRecord {
  const value = decodedValue(raw, typeOf(path.objectId, path.resourceId), fail);
  const time = bt === undefined && t === undefined ? undefined : (bt ?? 0) + (t ?? 0);
  return { path: formatPath(path), value, ...(time === undefined ? {} : { time }) };
}

/** The value an encoder writes for a record at `path` (parsed from `record.path`), typed when it is a resource. */
export function valueToEncodeAt(record: Lwm2mRecord, path: Lwm2mPath, typeOf: TypeResolver): Lwm2mValue {
  return valueToEncode(record, path.resourceId !== undefined ? typeOf(path.objectId, path.resourceId) : undefined);
}

/** JSON form for `up/resp` / `up/notify` content: Opaque as base64, Objlnk as "3:0", bigint as its digits. */
export function toJsonValue(v: Lwm2mValue): string | number | boolean {
  if (Buffer.isBuffer(v)) return v.toString('base64');
  if (typeof v === 'bigint') return Number.isSafeInteger(Number(v)) ? Number(v) : v.toString();
  if (isObjlnk(v)) return formatObjlnk(v);
  return v;
}
