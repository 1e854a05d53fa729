/**
 * SenML for LwM2M 1.1: JSON (Content-Format 110, TS 1.1 Core §7.4.4 over RFC 8428 §4) and CBOR (112, §7.4.5 over
 * RFC 8428 §6). Both share one record model; names are base name + name (RFC 8428 §4.5.1) and must be LwM2M paths
 * to a resource or resource instance. Malformed input throws Lwm2mError PH_LWM2M_SENML only.
 */
import { decode as cborDecode, encode as cborEncode } from 'cborg';
import { Lwm2mError } from './errors.js';
import { parsePath } from './path.js';
import {
  coerce,
  formatObjlnk,
  inferType,
  isObjlnk,
  parseObjlnk,
  type Lwm2mRecord,
  type Lwm2mValue,
  type TypeResolver,
} from './values.js';

/** A SenML record with the fields LwM2M uses; `vd` already decoded to bytes. */
interface SenmlRecord {
  bn?: string;
  n?: string;
  v?: number | bigint;
  vs?: string;
  vb?: boolean;
  vd?: Buffer;
  vlo?: string;
}

function fail(message: string, cause?: unknown): Lwm2mError {
  return new Lwm2mError('PH_LWM2M_SENML', message, { cause });
}

function toRecords(senml: readonly SenmlRecord[], typeOf: TypeResolver): Lwm2mRecord[] {
  let bn = '';
  const out: Lwm2mRecord[] = [];
  for (const r of senml) {
    if (r.bn !== undefined) bn = r.bn; // RFC 8428 §4.5.1: the base name applies until the next bn
    const name = bn + (r.n ?? '');
    let path;
    try {
      path = parsePath(name);
    } catch (err) {
      throw fail(`SenML name "${name}" is not an LwM2M path`, err);
    }
    if (path.instanceId === undefined || path.resourceId === undefined)
      throw fail(`SenML name "${name}" does not name a resource`);
    const type = typeOf(path.objectId, path.resourceId);
    let raw: Lwm2mValue;
    if (r.v !== undefined) raw = r.v;
    else if (r.vs !== undefined) raw = r.vs;
    else if (r.vb !== undefined) raw = r.vb;
    else if (r.vd !== undefined) raw = r.vd;
    else if (r.vlo !== undefined) raw = parseObjlnkOr(r.vlo);
    else throw fail(`SenML record "${name}" has no value`);
    let value: Lwm2mValue = raw;
    if (type !== undefined && type !== 'None' && !(typeof raw === 'bigint')) {
      try {
        value = coerce(type, raw);
      } catch (err) {
        throw fail(`SenML record "${name}": ${(err as Error).message}`, err);
      }
    }
    out.push({ path: name.startsWith('/') ? name : '/' + name, value });
  }
  return out;
}

function parseObjlnkOr(text: string): Lwm2mValue {
  try {
    return parseObjlnk(text);
  } catch (err) {
    throw fail(`SenML vlo "${text}" is not an Objlnk`, err);
  }
}

function fromRecords(records: readonly Lwm2mRecord[], typeOf: TypeResolver): SenmlRecord[] {
  return records.map((r) => {
    const p = parsePath(r.path);
    const type = (p.resourceId !== undefined ? typeOf(p.objectId, p.resourceId) : undefined) ?? inferType(r.value);
    const v = type === 'None' ? r.value : coerce(type, r.value);
    const n = r.path;
    if (typeof v === 'boolean') return { n, vb: v };
    if (typeof v === 'number' || typeof v === 'bigint') return { n, v };
    if (Buffer.isBuffer(v)) return { n, vd: v };
    if (isObjlnk(v)) return { n, vlo: formatObjlnk(v) };
    return { n, vs: v };
  });
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function decodeSenmlJson(payload: Buffer, typeOf: TypeResolver): Lwm2mRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw fail('SenML JSON payload is not JSON', err);
  }
  if (!Array.isArray(doc)) throw fail('SenML JSON payload is not an array (RFC 8428 §4)');
  const records = doc.map((r, i): SenmlRecord => {
    if (!isObject(r)) throw fail(`SenML record ${i} is not an object`);
    const str = (k: string): string | undefined => {
      const v = r[k];
      if (v !== undefined && typeof v !== 'string') throw fail(`SenML record ${i}: "${k}" must be a string`);
      return v;
    };
    if (r.v !== undefined && typeof r.v !== 'number') throw fail(`SenML record ${i}: "v" must be a number`);
    if (r.vb !== undefined && typeof r.vb !== 'boolean') throw fail(`SenML record ${i}: "vb" must be a boolean`);
    const vd = str('vd');
    return {
      bn: str('bn'),
      n: str('n'),
      v: r.v as number | undefined,
      vs: str('vs'),
      vb: r.vb as boolean | undefined,
      vd: vd === undefined ? undefined : Buffer.from(vd, 'base64url'), // RFC 8428 §4.3: base64url in JSON
      vlo: str('vlo'),
    };
  });
  return toRecords(records, typeOf);
}

export function encodeSenmlJson(records: readonly Lwm2mRecord[], typeOf: TypeResolver): Buffer {
  const json = fromRecords(records, typeOf).map((r) => ({
    ...r,
    v: typeof r.v === 'bigint' ? Number(r.v) : r.v,
    vd: r.vd?.toString('base64url'),
  }));
  return Buffer.from(JSON.stringify(json), 'utf8');
}

/** RFC 8428 §6 Table 4 labels; LwM2M 1.1 (TS Core §7.4.5) carries Objlnk under the text label "vlo". */
const LABEL = { bn: -2, n: 0, v: 2, vs: 3, vb: 4, vd: 8 } as const;

export function decodeSenmlCbor(payload: Buffer, typeOf: TypeResolver): Lwm2mRecord[] {
  let doc: unknown;
  try {
    doc = cborDecode(payload, { useMaps: true });
  } catch (err) {
    throw fail(`SenML CBOR payload is not CBOR: ${(err as Error).message}`, err);
  }
  if (!Array.isArray(doc)) throw fail('SenML CBOR payload is not an array (RFC 8428 §6)');
  const records = doc.map((m, i): SenmlRecord => {
    if (!(m instanceof Map)) throw fail(`SenML CBOR record ${i} is not a map`);
    const get = <T>(k: number | string, ok: (x: unknown) => boolean, what: string): T | undefined => {
      const v: unknown = m.get(k);
      if (v !== undefined && !ok(v)) throw fail(`SenML CBOR record ${i}: label ${k} must be ${what}`);
      return v as T | undefined;
    };
    const isStr = (x: unknown): boolean => typeof x === 'string';
    const vd = get<Uint8Array>(LABEL.vd, (x) => x instanceof Uint8Array, 'a byte string');
    return {
      bn: get<string>(LABEL.bn, isStr, 'a text string'),
      n: get<string>(LABEL.n, isStr, 'a text string'),
      v: get<number | bigint>(LABEL.v, (x) => typeof x === 'number' || typeof x === 'bigint', 'a number'),
      vs: get<string>(LABEL.vs, isStr, 'a text string'),
      vb: get<boolean>(LABEL.vb, (x) => typeof x === 'boolean', 'a boolean'),
      vd: vd === undefined ? undefined : Buffer.from(vd),
      vlo: get<string>('vlo', isStr, 'a text string'),
    };
  });
  return toRecords(records, typeOf);
}

export function encodeSenmlCbor(records: readonly Lwm2mRecord[], typeOf: TypeResolver): Buffer {
  const maps = fromRecords(records, typeOf).map((r) => {
    const m = new Map<number | string, unknown>([[LABEL.n, r.n]]);
    if (r.v !== undefined) m.set(LABEL.v, r.v);
    if (r.vs !== undefined) m.set(LABEL.vs, r.vs);
    if (r.vb !== undefined) m.set(LABEL.vb, r.vb);
    if (r.vd !== undefined) m.set(LABEL.vd, new Uint8Array(r.vd));
    if (r.vlo !== undefined) m.set('vlo', r.vlo);
    return m;
  });
  return Buffer.from(cborEncode(maps));
}
