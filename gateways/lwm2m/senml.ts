/**
 * SenML for LwM2M 1.1: JSON (Content-Format 110, TS 1.1 Core §7.4.4 over RFC 8428 §4) and CBOR (112, §7.4.5 over
 * RFC 8428 §6). Both share one record model and one resolution (RFC 8428 §4.6): base name, base time and base
 * value apply to their record and every later one until replaced; names (bn + n) must be LwM2M paths to a resource
 * or resource instance. Malformed input throws Lwm2mError PH_LWM2M_SENML only.
 */
import { decode as cborDecode, encode as cborEncode } from 'cborg';
import { Lwm2mError } from './errors.js';
import { formatPath, parsePath, type Lwm2mPath } from './path.js';
import {
  decodedRecord,
  formatObjlnk,
  isObjlnk,
  parseObjlnk,
  resourcePath,
  valueToEncodeAt,
  type Lwm2mRecord,
  type Lwm2mValue,
  type TypeResolver,
} from './values.js';

/** A SenML record with the fields LwM2M uses; `vd` already decoded to bytes. */
interface SenmlRecord {
  bver?: number;
  bn?: string;
  bt?: number;
  bv?: number;
  n?: string;
  t?: number;
  v?: number | bigint;
  vs?: string;
  vb?: boolean;
  vd?: Buffer;
  vlo?: string;
}

type Kind = 'number' | 'string' | 'boolean' | 'bytes';

/**
 * The fields read, with their CBOR labels (RFC 8428 §6 Table 4; LwM2M 1.1 carries Objlnk under the text label
 * "vlo"). bu, u, bs, s and ut are valid SenML but carry nothing LwM2M uses, so they are skipped.
 */
const FIELDS: Record<keyof SenmlRecord, { label: number | string; kind: Kind }> = {
  bver: { label: -1, kind: 'number' },
  bn: { label: -2, kind: 'string' },
  bt: { label: -3, kind: 'number' },
  bv: { label: -5, kind: 'number' },
  n: { label: 0, kind: 'string' },
  v: { label: 2, kind: 'number' },
  vs: { label: 3, kind: 'string' },
  vb: { label: 4, kind: 'boolean' },
  t: { label: 6, kind: 'number' },
  vd: { label: 8, kind: 'bytes' },
  vlo: { label: 'vlo', kind: 'string' },
};

/** RFC 8428 §4.4: the version this decoder implements (the default of bver). */
const SENML_VERSION = 10;

function fail(message: string, cause?: unknown): Lwm2mError {
  return new Lwm2mError('PH_LWM2M_SENML', message, { cause });
}

/** Reads one record through `get` (a JSON object key or a CBOR label), checking each field's type. */
function readRecord(get: (f: keyof SenmlRecord) => unknown, keys: Iterable<unknown>, i: number, cbor: boolean) {
  for (const k of keys)
    if (typeof k === 'string' && k.endsWith('_'))
      // RFC 8428 §4.4: a must-understand field we do not understand
      throw fail(`SenML record ${i}: unsupported must-understand field "${k}"`);
  const r: SenmlRecord = {};
  for (const [field, { kind }] of Object.entries(FIELDS) as [keyof SenmlRecord, (typeof FIELDS)['n']][]) {
    const x = get(field);
    if (x === undefined) continue;
    const where = `SenML record ${i}: "${field}"`;
    if (kind === 'number') {
      if (typeof x === 'bigint' && field === 'v') r.v = x;
      else if (typeof x === 'number' && Number.isFinite(x)) (r as Record<string, unknown>)[field] = x;
      else throw fail(`${where} must be a number`);
    } else if (kind === 'bytes') {
      if (cbor && x instanceof Uint8Array) r.vd = Buffer.from(x);
      // RFC 8428 §4.3 / §5: base64url in JSON, padding optional
      else if (!cbor && typeof x === 'string' && /^[A-Za-z0-9_-]*={0,2}$/.test(x)) r.vd = Buffer.from(x, 'base64url');
      else throw fail(`${where} must be ${cbor ? 'a byte string' : 'base64url text'}`);
    } else if (typeof x !== kind) throw fail(`${where} must be a ${kind}`);
    else (r as Record<string, unknown>)[field] = x;
  }
  return r;
}

function parseObjlnkOr(text: string, name: string): Lwm2mValue {
  try {
    return parseObjlnk(text);
  } catch (err) {
    throw fail(`SenML record "${name}": vlo "${text}" is not an Objlnk`, err);
  }
}

/** RFC 8428 §4.6 resolution into LwM2M records, typed by the object definitions. */
function toRecords(senml: readonly SenmlRecord[], typeOf: TypeResolver): Lwm2mRecord[] {
  let bn = '';
  let bt: number | undefined;
  let bv: number | undefined;
  return senml.map((r, i) => {
    if (r.bver !== undefined && r.bver > SENML_VERSION)
      throw fail(`SenML record ${i}: version ${r.bver} is newer than ${SENML_VERSION} (RFC 8428 §4.4)`);
    if (r.bn !== undefined) bn = r.bn; // §4.5.1: the base name applies until the next bn
    if (r.bt !== undefined) bt = r.bt;
    if (r.bv !== undefined) bv = r.bv;
    const name = bn + (r.n ?? '');
    const path = resourcePath(name, `SenML name "${name}"`, fail);
    let raw: Lwm2mValue;
    if (r.v !== undefined)
      // §4.5.2: the base value is added to the value
      raw = bv === undefined || bv === 0 ? r.v : Number(r.v) + bv;
    else if (r.vs !== undefined) raw = r.vs;
    else if (r.vb !== undefined) raw = r.vb;
    else if (r.vd !== undefined) raw = r.vd;
    else if (r.vlo !== undefined) raw = parseObjlnkOr(r.vlo, name);
    else throw fail(`SenML record "${name}" has no value`);
    return decodedRecord(path, raw, typeOf, (m, c) => fail(`SenML record "${name}": ${m}`, c), bt, r.t);
  });
}

/**
 * Names for encoding: the spec's own layout (TS 1.1 Core §7.4.4/§7.4.5 examples) puts the request path in `bn` of
 * the first record, "/3/0/" with names "0", "6/0"…, or the whole path in `bn` for a single resource; records that
 * are not all under the request path get absolute names.
 */
function names(records: readonly Lwm2mRecord[], base?: Lwm2mPath): { bn?: string; n: (string | undefined)[] } {
  const at = base ? formatPath(base) : undefined;
  if (at !== undefined && records.length === 1 && records[0]!.path === at) return { bn: at, n: [undefined] };
  if (at !== undefined && records.length > 0 && records.every((r) => r.path.startsWith(at + '/')))
    return { bn: at + '/', n: records.map((r) => r.path.slice(at.length + 1)) };
  return { n: records.map((r) => r.path) };
}

function fromRecords(records: readonly Lwm2mRecord[], typeOf: TypeResolver, base?: Lwm2mPath): SenmlRecord[] {
  const { bn, n } = names(records, base);
  return records.map((r, i) => {
    const v = valueToEncodeAt(r, parsePath(r.path), typeOf);
    const out: SenmlRecord = i === 0 && bn !== undefined ? { bn } : {};
    if (n[i] !== undefined) out.n = n[i];
    if (typeof v === 'boolean') out.vb = v;
    else if (typeof v === 'number' || typeof v === 'bigint') out.v = v;
    else if (Buffer.isBuffer(v)) out.vd = v;
    else if (isObjlnk(v)) out.vlo = formatObjlnk(v);
    else out.vs = v;
    if (r.time !== undefined) out.t = r.time;
    return out;
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
    return readRecord((f) => r[f], Object.keys(r), i, false);
  });
  return toRecords(records, typeOf);
}

export function encodeSenmlJson(records: readonly Lwm2mRecord[], typeOf: TypeResolver, base?: Lwm2mPath): Buffer {
  const json = fromRecords(records, typeOf, base).map((r) => ({
    ...r,
    v: typeof r.v === 'bigint' ? Number(r.v) : r.v,
    vd: r.vd?.toString('base64url'), // RFC 8428 §5: base64url without padding
  }));
  return Buffer.from(JSON.stringify(json), 'utf8');
}

/** Tag 4 (decimal fraction, RFC 8949 §3.4.4) as a number: some clients send bt and v that way. */
const TAGS: ((inner: unknown) => unknown)[] = [];
TAGS[4] = (inner) => {
  if (!Array.isArray(inner) || inner.length !== 2 || !inner.every((x) => typeof x === 'number'))
    throw new Error('tag 4 needs [exponent, mantissa]');
  const [exp, mantissa] = inner as [number, number];
  return exp < 0 ? mantissa / 10 ** -exp : mantissa * 10 ** exp;
};

export function decodeSenmlCbor(payload: Buffer, typeOf: TypeResolver): Lwm2mRecord[] {
  let doc: unknown;
  try {
    doc = cborDecode(payload, { useMaps: true, tags: TAGS });
  } catch (err) {
    throw fail(`SenML CBOR payload is not CBOR: ${(err as Error).message}`, err);
  }
  if (!Array.isArray(doc)) throw fail('SenML CBOR payload is not an array (RFC 8428 §6)');
  const records = doc.map((m, i): SenmlRecord => {
    if (!(m instanceof Map)) throw fail(`SenML CBOR record ${i} is not a map`);
    return readRecord((f) => m.get(FIELDS[f].label) as unknown, m.keys(), i, true);
  });
  return toRecords(records, typeOf);
}

export function encodeSenmlCbor(records: readonly Lwm2mRecord[], typeOf: TypeResolver, base?: Lwm2mPath): Buffer {
  const maps = fromRecords(records, typeOf, base).map((r) => {
    const m = new Map<number | string, unknown>();
    for (const [field, value] of Object.entries(r) as [keyof SenmlRecord, unknown][])
      if (value !== undefined) m.set(FIELDS[field].label, Buffer.isBuffer(value) ? new Uint8Array(value) : value);
    return m;
  });
  // keys in the spec's order (bn, n, value, t) rather than cborg's canonical sort, as TS 1.1 §7.4.5 shows them
  return Buffer.from(cborEncode(maps, { mapSorter: undefined }));
}
