/**
 * Checks a downlink JSON sample against its IDL type before it reaches the Connector (pure), so a sample that
 * does not fit is dead-lettered with a reason naming the field: wrong JSON type, integer out of range, string
 * or sequence over its bound, wrong array length, unknown enumerator or member. Missing members are allowed
 * (the Connector gives them the type's defaults).
 */
import { allMembers, resolveAlias, type Member, type Primitive, type TypeModel, type TypeRef } from './idl/model.js';

// int64/uint64 are checked as JS numbers (exact to 2^53); the upper ends are the nearest doubles
const RANGES: Partial<Record<Primitive, [number, number]>> = {
  int8: [-128, 127],
  uint8: [0, 255],
  octet: [0, 255],
  int16: [-32768, 32767],
  uint16: [0, 65535],
  int32: [-2147483648, 2147483647],
  uint32: [0, 4294967295],
  int64: [-(2 ** 63), 2 ** 63],
  uint64: [0, 2 ** 64],
};

/** Returns the first problem as "path: expected …, got …", or undefined when the sample fits. */
export function checkSample(model: TypeModel, typeName: string, sample: unknown): string | undefined {
  return checkValue(model, { kind: 'named', name: typeName }, [], sample, typeName, 0);
}

function got(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? v.slice(0, 40) + '…' : v}"`;
  return typeof v === 'object' ? 'an object' : String(v);
}

function checkValue(
  model: TypeModel,
  type: TypeRef,
  dims: readonly number[],
  v: unknown,
  path: string,
  depth: number,
): string | undefined {
  if (depth > 64) return `${path}: nested too deeply`;
  const { type: t, dims: aliasDims } = resolveAlias(model, type);
  const allDims = [...dims, ...aliasDims];
  if (allDims.length > 0) {
    if (!Array.isArray(v) || v.length !== allDims[0])
      return `${path}: expected an array of ${allDims[0]}, got ${got(v)}`;
    for (let i = 0; i < v.length; i++) {
      const p = checkValue(model, t, allDims.slice(1), v[i], `${path}[${i}]`, depth + 1);
      if (p) return p;
    }
    return undefined;
  }
  switch (t.kind) {
    case 'primitive':
      return checkPrimitive(t.name, v, path);
    case 'string':
      if (typeof v !== 'string') return `${path}: expected a string, got ${got(v)}`;
      if (t.bound !== undefined && Buffer.byteLength(v) > t.bound)
        return `${path}: string longer than its bound ${t.bound}`;
      return undefined;
    case 'sequence':
      if (!Array.isArray(v)) return `${path}: expected an array, got ${got(v)}`;
      if (t.bound !== undefined && v.length > t.bound) return `${path}: ${v.length} elements, bound is ${t.bound}`;
      for (let i = 0; i < v.length; i++) {
        const p = checkValue(model, t.element, [], v[i], `${path}[${i}]`, depth + 1);
        if (p) return p;
      }
      return undefined;
    case 'named':
      return checkNamed(model, t.name, v, path, depth);
  }
}

function checkNamed(model: TypeModel, name: string, v: unknown, path: string, depth: number): string | undefined {
  const decl = model.decls.get(name);
  if (decl?.kind === 'enum') {
    const ok = decl.enumerators.some((e) => e.name === v || e.value === v);
    return ok ? undefined : `${path}: expected one of ${decl.enumerators.map((e) => e.name).join('|')}, got ${got(v)}`;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return `${path}: expected an object, got ${got(v)}`;
  const obj = v as Record<string, unknown>;
  let members: Member[];
  if (decl?.kind === 'struct') members = allMembers(model, decl);
  else if (decl?.kind === 'union') {
    members = decl.cases.map((c) => c.member);
    if (Object.keys(obj).length > 1) return `${path}: a union sets one member, got ${Object.keys(obj).length}`;
  } else return undefined; // a type only the XML knows: the Connector checks it
  const byName = new Map(members.map((m) => [m.name, m]));
  for (const [k, value] of Object.entries(obj)) {
    const m = byName.get(k);
    if (!m) return `${path}: ${name} has no member "${k}"`;
    if (value === null && m.optional) continue;
    const p = checkValue(model, m.type, m.dims, value, `${path}.${k}`, depth + 1);
    if (p) return p;
  }
  return undefined;
}

function checkPrimitive(p: Primitive, v: unknown, path: string): string | undefined {
  if (p === 'boolean') return typeof v === 'boolean' ? undefined : `${path}: expected true or false, got ${got(v)}`;
  if (p === 'char8' || p === 'char16') {
    return typeof v === 'string' && [...v].length === 1 ? undefined : `${path}: expected one character, got ${got(v)}`;
  }
  if (typeof v !== 'number' || !Number.isFinite(v)) return `${path}: expected a number, got ${got(v)}`;
  const range = RANGES[p];
  if (!range) return undefined; // floating point
  if (!Number.isInteger(v)) return `${path}: expected an integer (${p}), got ${v}`;
  if (v < range[0] || v > range[1]) return `${path}: ${v} is out of range for ${p} [${range[0]}, ${range[1]}]`;
  return undefined;
}
