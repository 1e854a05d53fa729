/**
 * LwM2M CBOR, Content-Format 11544 (TS 1.2 Core §7.4.6): nested CBOR maps keyed by path ids, where a key may also be
 * an array of ids standing for several levels at once (`{[3,0]: {0: "ACME", 7: {0: 3800}}}`); leaves are the values.
 * Objlnk travels as text "3:0", Opaque as a byte string, Time as an integer (tag 1 accepted).
 * Malformed input throws Lwm2mError PH_LWM2M_CBOR only.
 */
import { decode as cborDecode, encode as cborEncode } from 'cborg';
import { Lwm2mError } from './errors.js';
import { fromIds, parsePath, pathIds } from './path.js';
import {
  decodedValue,
  formatObjlnk,
  isObjlnk,
  valueToEncodeAt,
  type Lwm2mRecord,
  type Lwm2mValue,
  type TypeResolver,
} from './values.js';

function fail(message: string, cause?: unknown): Lwm2mError {
  return new Lwm2mError('PH_LWM2M_CBOR', message, { cause });
}

const MAX_DEPTH = 4;

/** Tag 1 (epoch-based time, RFC 8949 §3.4.2) is unwrapped to its number; other tags are refused by cborg. */
const EPOCH_TAG: ((inner: unknown) => unknown)[] = [];
EPOCH_TAG[1] = (inner) => inner;

/** A CBOR leaf as an LwM2M value: byte strings are Opaque, numbers/booleans/text as they are. */
function leaf(value: unknown, at: string): Lwm2mValue {
  if (value instanceof Uint8Array) return Buffer.from(value);
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean' || typeof value === 'string')
    return value;
  throw fail(`value at ${at} has an unsupported CBOR type`);
}

export function decodeLwm2mCbor(payload: Buffer, typeOf: TypeResolver): Lwm2mRecord[] {
  let doc: unknown;
  try {
    // tag 1 (epoch time) is unwrapped to its number; other tags are refused by cborg
    doc = cborDecode(payload, { useMaps: true, tags: EPOCH_TAG });
  } catch (err) {
    throw fail(`LwM2M CBOR payload is not CBOR: ${(err as Error).message}`, err);
  }
  if (!(doc instanceof Map)) throw fail('LwM2M CBOR payload is not a map (TS 1.2 Core §7.4.6)');
  const out: Lwm2mRecord[] = [];
  const walk = (node: Map<unknown, unknown>, prefix: number[]): void => {
    for (const [key, value] of node) {
      const keyIds = Array.isArray(key) ? key : [key];
      if (
        keyIds.length === 0 ||
        !keyIds.every((k) => typeof k === 'number' && Number.isInteger(k) && k >= 0 && k <= 65535)
      )
        throw fail(`key ${JSON.stringify(String(key))} is not a path id or an array of ids`);
      const ids = [...prefix, ...(keyIds as number[])];
      if (ids.length > MAX_DEPTH) throw fail(`path /${ids.join('/')} is deeper than a resource instance`);
      if (value instanceof Map) {
        walk(value, ids);
        continue;
      }
      if (ids.length < 3) throw fail(`value at /${ids.join('/')} is not under a resource`);
      const path = fromIds(ids);
      const at = `/${ids.join('/')}`;
      const v = decodedValue(leaf(value, at), typeOf(path.objectId, path.resourceId!), (m, c) =>
        fail(`value at ${at}: ${m}`, c),
      );
      out.push({ path: at, value: v });
    }
  };
  walk(doc, []);
  return out;
}

export function encodeLwm2mCbor(records: readonly Lwm2mRecord[], typeOf: TypeResolver): Buffer {
  const root = new Map<number, unknown>();
  for (const r of records) {
    const p = parsePath(r.path);
    const ids = pathIds(p);
    if (ids.length < 3) throw fail(`record path ${r.path} is not a resource`);
    const v = valueToEncodeAt(r, p, typeOf);
    const cell: unknown = Buffer.isBuffer(v) ? new Uint8Array(v) : isObjlnk(v) ? formatObjlnk(v) : v;
    let node = root;
    for (const id of ids.slice(0, -1)) {
      let next = node.get(id);
      if (!(next instanceof Map)) {
        next = new Map<number, unknown>();
        node.set(id, next);
      }
      node = next as Map<number, unknown>;
    }
    node.set(ids[ids.length - 1]!, cell);
  }
  // cborg writes the shortest float that keeps the value; integers stay integers
  return Buffer.from(cborEncode(root));
}
