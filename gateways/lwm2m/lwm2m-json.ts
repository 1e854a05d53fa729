/**
 * The LwM2M 1.0 JSON format, Content-Format 11543 (TS 1.0.2 §6.4.4; kept in TS 1.1 Core §7.4.7 for compatibility):
 * `{"bn":"/3/0/","e":[{"n":"0","sv":"…"},{"n":"6/0","v":1},{"n":"x","bv":true},{"n":"y","ov":"3:0"}],"bt":…}`.
 * Names are relative to `bn`, or to the request path when `bn` is absent (TS 1.0 §6.4.4 Table 17 "relative to the
 * request URI"). Opaque values travel base64 in `sv`; `bt` + `t` give the time of historical notifications.
 * Malformed input throws Lwm2mError PH_LWM2M_JSON only.
 */
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

function fail(message: string, cause?: unknown): Lwm2mError {
  return new Lwm2mError('PH_LWM2M_JSON', message, { cause });
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

/** "/3/0/" + "6/0" → "/3/0/6/0"; a missing name stands for the base itself. */
function join(base: string, n: string | undefined): string {
  if (n === undefined || n === '') return base.replace(/\/+$/, '') || '/';
  return base.endsWith('/') ? base + n : `${base}/${n}`;
}

function entryValue(e: Record<string, unknown>, i: number): Lwm2mValue {
  const want = (key: string, type: 'number' | 'boolean' | 'string'): unknown => {
    if (typeof e[key] !== type) throw fail(`entry ${i}: "${key}" must be a ${type}`);
    return e[key];
  };
  if (e.v !== undefined) return want('v', 'number') as number;
  if (e.bv !== undefined) return want('bv', 'boolean') as boolean;
  if (e.ov !== undefined) {
    const text = want('ov', 'string') as string;
    try {
      return parseObjlnk(text);
    } catch (err) {
      throw fail(`entry ${i}: "ov" ${JSON.stringify(text)} is not an Objlnk`, err);
    }
  }
  if (e.sv !== undefined) return want('sv', 'string') as string;
  throw fail(`entry ${i} has no value`);
}

export function decodeLwm2mJson(payload: Buffer, typeOf: TypeResolver, requestPath?: Lwm2mPath): Lwm2mRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw fail('LwM2M JSON payload is not JSON', err);
  }
  if (!isObject(doc) || !Array.isArray(doc.e)) throw fail('LwM2M JSON payload needs an "e" array');
  if (doc.bn !== undefined && typeof doc.bn !== 'string') throw fail('"bn" must be a string');
  if (doc.bt !== undefined && typeof doc.bt !== 'number') throw fail('"bt" must be a number');
  const bn = (doc.bn as string | undefined) ?? (requestPath ? formatPath(requestPath) + '/' : '/');
  const bt = doc.bt as number | undefined;
  return doc.e.map((e: unknown, i): Lwm2mRecord => {
    if (!isObject(e)) throw fail(`entry ${i} is not an object`);
    if (e.n !== undefined && typeof e.n !== 'string') throw fail(`entry ${i}: "n" must be a string`);
    if (e.t !== undefined && typeof e.t !== 'number') throw fail(`entry ${i}: "t" must be a number`);
    const n = e.n as string | undefined;
    // without bn an absolute name is taken as written (what clients that omit bn send in practice)
    const name = doc.bn === undefined && n?.startsWith('/') ? n : join(bn, n);
    const path = resourcePath(name, `entry ${i}: "${name}"`, fail);
    return decodedRecord(
      path,
      entryValue(e, i),
      typeOf,
      (m, c) => fail(`entry ${i} ("${name}"): ${m}`, c),
      bt,
      e.t as number | undefined,
    );
  });
}

export function encodeLwm2mJson(records: readonly Lwm2mRecord[], typeOf: TypeResolver, base?: Lwm2mPath): Buffer {
  const prefix = base && base.instanceId !== undefined ? formatPath(base) + '/' : '/';
  const bn = records.every((r) => r.path.startsWith(prefix)) ? prefix : '/';
  const e = records.map((r) => {
    const v = valueToEncodeAt(r, parsePath(r.path), typeOf);
    const n = r.path.slice(bn.length);
    const t = r.time === undefined ? {} : { t: r.time };
    if (typeof v === 'boolean') return { n, bv: v, ...t };
    if (typeof v === 'number') return { n, v, ...t };
    if (typeof v === 'bigint') return { n, v: Number(v), ...t };
    if (Buffer.isBuffer(v)) return { n, sv: v.toString('base64'), ...t };
    if (isObjlnk(v)) return { n, ov: formatObjlnk(v), ...t };
    return { n, sv: v, ...t };
  });
  return Buffer.from(JSON.stringify({ bn, e }), 'utf8');
}
