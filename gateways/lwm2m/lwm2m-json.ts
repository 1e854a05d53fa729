/**
 * The LwM2M 1.0 JSON format, Content-Format 11543 (TS 1.0.2 §6.4.4; kept in TS 1.1 Core §7.4.7 for compatibility):
 * `{"bn":"/3/0/","e":[{"n":"0","sv":"…"},{"n":"6/0","v":1},{"n":"x","bv":true},{"n":"y","ov":"3:0"}]}`.
 * Opaque values travel base64 in `sv`. Malformed input throws Lwm2mError PH_LWM2M_JSON only.
 */
import { Lwm2mError } from './errors.js';
import { parsePath } from './path.js';
import {
  coerce,
  formatObjlnk,
  inferType,
  isObjlnk,
  type Lwm2mRecord,
  type Lwm2mValue,
  type TypeResolver,
} from './values.js';

function fail(message: string, cause?: unknown): Lwm2mError {
  return new Lwm2mError('PH_LWM2M_JSON', message, { cause });
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

export function decodeLwm2mJson(payload: Buffer, typeOf: TypeResolver): Lwm2mRecord[] {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch (err) {
    throw fail('LwM2M JSON payload is not JSON', err);
  }
  if (!isObject(doc) || !Array.isArray(doc.e)) throw fail('LwM2M JSON payload needs an "e" array');
  if (doc.bn !== undefined && typeof doc.bn !== 'string') throw fail('"bn" must be a string');
  const bn = (doc.bn as string | undefined) ?? '/';
  return doc.e.map((e: unknown, i) => {
    if (!isObject(e)) throw fail(`entry ${i} is not an object`);
    if (e.n !== undefined && typeof e.n !== 'string') throw fail(`entry ${i}: "n" must be a string`);
    const name = bn + ((e.n as string | undefined) ?? '');
    let path;
    try {
      path = parsePath(name);
    } catch (err) {
      throw fail(`entry ${i}: "${name}" is not an LwM2M path`, err);
    }
    if (path.instanceId === undefined || path.resourceId === undefined)
      throw fail(`entry ${i}: "${name}" does not name a resource`);
    const type = typeOf(path.objectId, path.resourceId);
    let raw: unknown;
    if (e.v !== undefined) raw = typeof e.v === 'number' ? e.v : fail(`entry ${i}: "v" must be a number`);
    else if (e.bv !== undefined) raw = typeof e.bv === 'boolean' ? e.bv : fail(`entry ${i}: "bv" must be a boolean`);
    else if (e.ov !== undefined) raw = typeof e.ov === 'string' ? e.ov : fail(`entry ${i}: "ov" must be a string`);
    else if (e.sv !== undefined) raw = typeof e.sv === 'string' ? e.sv : fail(`entry ${i}: "sv" must be a string`);
    else throw fail(`entry ${i} has no value`);
    if (raw instanceof Lwm2mError) throw raw;
    let value: Lwm2mValue;
    try {
      value = coerce(type ?? (e.ov !== undefined ? 'Objlnk' : inferType(raw as Lwm2mValue)), raw);
    } catch (err) {
      throw fail(`entry ${i} ("${name}"): ${(err as Error).message}`, err);
    }
    return { path: '/' + name.replace(/^\/+/, ''), value };
  });
}

export function encodeLwm2mJson(records: readonly Lwm2mRecord[], typeOf: TypeResolver): Buffer {
  const e = records.map((r) => {
    const p = parsePath(r.path);
    const type = (p.resourceId !== undefined ? typeOf(p.objectId, p.resourceId) : undefined) ?? inferType(r.value);
    const v = type === 'None' ? r.value : coerce(type, r.value);
    const n = r.path.replace(/^\/+/, '');
    if (typeof v === 'boolean') return { n, bv: v };
    if (typeof v === 'number') return { n, v };
    if (typeof v === 'bigint') return { n, v: Number(v) };
    if (Buffer.isBuffer(v)) return { n, sv: v.toString('base64') };
    if (isObjlnk(v)) return { n, ov: formatObjlnk(v) };
    return { n, sv: v };
  });
  return Buffer.from(JSON.stringify({ bn: '/', e }), 'utf8');
}
