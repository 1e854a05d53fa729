/**
 * OMA TLV, Content-Format 11542 (TS 1.1 Core §7.4.3; TS 1.0 §6.4.3). Sans-IO; any malformed input (a length that
 * runs past the buffer, a value whose size does not fit its type) throws Lwm2mError PH_LWM2M_TLV, nothing else.
 */
import { Lwm2mError } from './errors.js';
import { formatPath, type Lwm2mPath } from './path.js';
import {
  formatObjlnk,
  inferType,
  isObjlnk,
  type Lwm2mRecord,
  type Lwm2mValue,
  type ResourceType,
  type TypeResolver,
} from './values.js';

/** TS 1.1 Core §7.4.3 Table 7.4.3-1, bits 7-6 of the type byte. */
export const enum TlvKind {
  ObjectInstance = 0,
  ResourceInstance = 1,
  MultipleResource = 2,
  Resource = 3,
}

export interface TlvEntry {
  readonly kind: TlvKind;
  readonly id: number;
  readonly value: Buffer;
}

function fail(message: string): Lwm2mError {
  return new Lwm2mError('PH_LWM2M_TLV', message);
}

/** Splits one level of TLV entries; a nested value stays raw for the caller to split again. */
export function splitTlv(buf: Buffer): TlvEntry[] {
  const entries: TlvEntry[] = [];
  let at = 0;
  while (at < buf.length) {
    const type = buf[at]!;
    const kind = (type >> 6) as TlvKind;
    const idLen = type & 0x20 ? 2 : 1; // bit 5: 16-bit identifier
    const lenType = (type >> 3) & 0x03; // bits 4-3: 0 = length in bits 2-0, else 1..3 length bytes
    const headerLen = 1 + idLen + lenType;
    if (at + headerLen > buf.length) throw fail(`TLV header at byte ${at} truncated`);
    const id = idLen === 2 ? buf.readUInt16BE(at + 1) : buf[at + 1]!;
    let length = type & 0x07;
    if (lenType > 0) length = buf.readUIntBE(at + 1 + idLen, lenType);
    const start = at + headerLen;
    if (start + length > buf.length)
      throw fail(`TLV entry ${id} at byte ${at} claims ${length} bytes, only ${buf.length - start} left`);
    entries.push({ kind, id, value: buf.subarray(start, start + length) });
    at = start + length;
  }
  return entries;
}

function header(kind: TlvKind, id: number, length: number): Buffer {
  if (id > 0xffff) throw fail(`TLV identifier ${id} exceeds 16 bits`);
  if (length > 0xffffff) throw fail(`TLV value of ${length} bytes exceeds the 24-bit length`);
  const idLen = id > 0xff ? 2 : 1;
  const lenBytes = length < 8 ? 0 : length <= 0xff ? 1 : length <= 0xffff ? 2 : 3;
  const out = Buffer.alloc(1 + idLen + lenBytes);
  out[0] = (kind << 6) | (idLen === 2 ? 0x20 : 0) | (lenBytes << 3) | (lenBytes === 0 ? length : 0);
  out.writeUIntBE(id, 1, idLen);
  if (lenBytes > 0) out.writeUIntBE(length, 1 + idLen, lenBytes);
  return out;
}

export function tlvEntry(kind: TlvKind, id: number, value: Buffer): Buffer {
  return Buffer.concat([header(kind, id, value.length), value]);
}

/** TS 1.1 Core Appendix C: Integer/Time 1, 2, 4 or 8 bytes two's complement; Float 4 or 8 bytes IEEE 754. */
export function decodeTlvValue(type: ResourceType | undefined, v: Buffer): Lwm2mValue {
  switch (type) {
    case 'Integer':
    case 'Time':
    case 'Unsigned': {
      const signed = type !== 'Unsigned';
      if (v.length === 1) return signed ? v.readInt8(0) : v.readUInt8(0);
      if (v.length === 2) return signed ? v.readInt16BE(0) : v.readUInt16BE(0);
      if (v.length === 4) return signed ? v.readInt32BE(0) : v.readUInt32BE(0);
      if (v.length === 8) {
        const n = signed ? v.readBigInt64BE(0) : v.readBigUInt64BE(0);
        return Number.isSafeInteger(Number(n)) ? Number(n) : n;
      }
      throw fail(`${type} value of ${v.length} bytes (expected 1, 2, 4 or 8)`);
    }
    case 'Float':
      if (v.length === 4) return v.readFloatBE(0);
      if (v.length === 8) return v.readDoubleBE(0);
      throw fail(`Float value of ${v.length} bytes (expected 4 or 8)`);
    case 'Boolean':
      if (v.length !== 1 || v[0]! > 1) throw fail('Boolean value must be one byte 0 or 1');
      return v[0] === 1;
    case 'Objlnk':
      if (v.length !== 4) throw fail(`Objlnk value of ${v.length} bytes (expected 4)`);
      return { objectId: v.readUInt16BE(0), instanceId: v.readUInt16BE(2) };
    case 'String':
    case 'Corelnk':
      return v.toString('utf8');
    default:
      return Buffer.from(v); // Opaque, None, or unknown resource: keep every byte
  }
}

function intBytes(n: bigint, signed: boolean): Buffer {
  for (const size of [1, 2, 4, 8]) {
    const bits = BigInt(size * 8);
    const fits = signed ? n >= -(1n << (bits - 1n)) && n < 1n << (bits - 1n) : n >= 0n && n < 1n << bits;
    if (!fits) continue;
    const u = BigInt.asUintN(size * 8, n);
    const out = Buffer.alloc(size);
    for (let i = 0; i < size; i++) out[size - 1 - i] = Number((u >> BigInt(i * 8)) & 0xffn);
    return out;
  }
  throw fail(`integer ${n} does not fit 64 bits`);
}

export function encodeTlvValue(type: ResourceType | undefined, value: Lwm2mValue): Buffer {
  const t = type === undefined || type === 'None' ? inferType(value) : type;
  switch (t) {
    case 'Integer':
    case 'Time':
    case 'Unsigned':
      if (typeof value !== 'number' && typeof value !== 'bigint') throw fail(`${t} needs a number`);
      if (typeof value === 'number' && !Number.isInteger(value)) throw fail(`${t} needs an integer, got ${value}`);
      return intBytes(BigInt(value), t !== 'Unsigned');
    case 'Float': {
      if (typeof value !== 'number') throw fail('Float needs a number');
      const single = Math.fround(value) === value || Number.isNaN(value);
      const out = Buffer.alloc(single ? 4 : 8);
      if (single) out.writeFloatBE(value, 0);
      else out.writeDoubleBE(value, 0);
      return out;
    }
    case 'Boolean':
      return Buffer.from([value === true ? 1 : 0]);
    case 'Objlnk': {
      if (!isObjlnk(value)) throw fail('Objlnk needs {objectId, instanceId}');
      const out = Buffer.alloc(4);
      out.writeUInt16BE(value.objectId, 0);
      out.writeUInt16BE(value.instanceId, 2);
      return out;
    }
    case 'Opaque':
      return Buffer.isBuffer(value) ? value : Buffer.from(String(value), 'utf8');
    default:
      if (Buffer.isBuffer(value)) return value;
      return Buffer.from(isObjlnk(value) ? formatObjlnk(value) : String(value), 'utf8');
  }
}

/**
 * Decodes a TLV payload answered for `base` (the request path) into flat records. Object-level payloads carry
 * Object Instance entries; instance- and resource-level payloads carry (multiple) resources (TS 1.1 Core §7.4.3).
 */
export function decodeTlv(buf: Buffer, base: Lwm2mPath, typeOf: TypeResolver): Lwm2mRecord[] {
  const out: Lwm2mRecord[] = [];
  const objectId = base.objectId;
  const resources = (entries: TlvEntry[], instanceId: number): void => {
    for (const e of entries) {
      const prefix = `/${objectId}/${instanceId}/${e.id}`;
      const type = typeOf(objectId, e.id);
      if (e.kind === TlvKind.Resource) out.push({ path: prefix, value: decodeTlvValue(type, e.value) });
      else if (e.kind === TlvKind.MultipleResource) {
        for (const ri of splitTlv(e.value)) {
          if (ri.kind !== TlvKind.ResourceInstance)
            throw fail(`resource ${prefix} holds a non resource-instance entry`);
          out.push({ path: `${prefix}/${ri.id}`, value: decodeTlvValue(type, ri.value) });
        }
      } else if (e.kind === TlvKind.ResourceInstance && base.resourceId !== undefined) {
        const p = `/${objectId}/${instanceId}/${base.resourceId}/${e.id}`;
        out.push({ path: p, value: decodeTlvValue(typeOf(objectId, base.resourceId), e.value) });
      } else throw fail(`unexpected TLV entry kind ${e.kind} inside ${formatPath(base)}`);
    }
  };
  const top = splitTlv(buf);
  if (top.length > 0 && top.every((e) => e.kind === TlvKind.ObjectInstance)) {
    for (const inst of top) resources(splitTlv(inst.value), inst.id);
  } else if (top.some((e) => e.kind === TlvKind.ObjectInstance)) {
    throw fail('TLV mixes object instances with resources');
  } else {
    // Resources without an instance wrapper belong to the requested instance (single-instance objects use 0).
    resources(top, base.instanceId ?? 0);
  }
  return out;
}

/**
 * Encodes records under `base` (the request path): resources at instance level, wrapped in Object Instance entries
 * when `base` names only the object (Create / Write on an object).
 */
export function encodeTlv(records: readonly Lwm2mRecord[], base: Lwm2mPath, typeOf: TypeResolver): Buffer {
  const byInstance = new Map<number, Map<number, Array<{ ri?: number; value: Lwm2mValue }>>>();
  for (const r of records) {
    const ids = r.path
      .split('/')
      .filter((s) => s !== '')
      .map(Number);
    const [oid, iid, rid, riid] = ids;
    if (oid !== base.objectId || iid === undefined || rid === undefined)
      throw fail(`record path ${r.path} is not a resource under ${formatPath(base)}`);
    const inst = byInstance.get(iid) ?? new Map<number, Array<{ ri?: number; value: Lwm2mValue }>>();
    byInstance.set(iid, inst);
    const list = inst.get(rid) ?? [];
    inst.set(rid, list);
    list.push({ ri: riid, value: r.value });
  }
  const instanceBody = (inst: Map<number, Array<{ ri?: number; value: Lwm2mValue }>>): Buffer =>
    Buffer.concat(
      [...inst].map(([rid, vals]) => {
        const type = typeOf(base.objectId, rid);
        if (vals.length === 1 && vals[0]!.ri === undefined)
          return tlvEntry(TlvKind.Resource, rid, encodeTlvValue(type, vals[0]!.value));
        const inner = vals.map((v) => {
          if (v.ri === undefined) throw fail(`resource /${base.objectId}/*/${rid} mixes single and multiple values`);
          return tlvEntry(TlvKind.ResourceInstance, v.ri, encodeTlvValue(type, v.value));
        });
        return tlvEntry(TlvKind.MultipleResource, rid, Buffer.concat(inner));
      }),
    );
  if (base.instanceId === undefined)
    return Buffer.concat(
      [...byInstance].map(([iid, inst]) => tlvEntry(TlvKind.ObjectInstance, iid, instanceBody(inst))),
    );
  return Buffer.concat([...byInstance.values()].map(instanceBody));
}
