/**
 * Converts strings to the number or boolean the schema asks for, as HOCON's reference implementation
 * does when a value is read (HOCON.md "Automatic type conversions"). It matters most for `${?ENV}`
 * substitutions, which always yield strings: `mqtt.max_inflight = ${?MAX_INFLIGHT}` must accept "64".
 */
import type { z } from 'zod';
import { defOf, unwrap, valuesOf } from './schema-walk.js';

const NUMBER_RE = /^\s*-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?\s*$/;
const BOOLEANS: Record<string, boolean> = { true: true, yes: true, on: true, false: false, no: false, off: false };

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function toNumber(s: string): number | undefined {
  return NUMBER_RE.test(s) ? Number(s) : undefined;
}

function toBoolean(s: string): boolean | undefined {
  return BOOLEANS[s.trim().toLowerCase()];
}

/** A string → the literal it spells, when a union of literals has no string option that matches it. */
function toLiteral(options: z.ZodType[], s: string): unknown {
  const literals = options.flatMap((o) => [...(valuesOf(unwrap(o).base) ?? [])]);
  if (literals.includes(s)) return s;
  const n = toNumber(s);
  if (n !== undefined && literals.includes(n)) return n;
  const b = toBoolean(s);
  if (b !== undefined && literals.includes(b)) return b;
  return s;
}

/** `value` with strings converted where the schema wants numbers or booleans; the input is not changed. */
export function coerceScalars(schema: z.ZodType, value: unknown, depth = 0): unknown {
  if (depth > 64) return value;
  const def = defOf(unwrap(schema).base);
  if (typeof value === 'string') {
    if (def.type === 'number') return toNumber(value) ?? value;
    if (def.type === 'boolean') return toBoolean(value) ?? value;
    if (def.type === 'union' && def.options) return toLiteral(def.options, value);
    return value;
  }
  if (def.type === 'object' && def.shape && isPlainObject(value)) {
    return mapEntries(value, (k, v) => {
      const child = Object.hasOwn(def.shape as object, k) ? def.shape?.[k] : def.catchall;
      return child ? coerceScalars(child, v, depth + 1) : v;
    });
  }
  if (def.type === 'record' && def.valueType && isPlainObject(value)) {
    const valueType = def.valueType;
    return mapEntries(value, (_k, v) => coerceScalars(valueType, v, depth + 1));
  }
  if (def.type === 'array' && def.element && Array.isArray(value)) {
    const element = def.element;
    return value.map((v) => coerceScalars(element, v, depth + 1));
  }
  return value;
}

function mapEntries(obj: Record<string, unknown>, fn: (k: string, v: unknown) => unknown): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    // defineProperty: a `__proto__` key stays an own key, as the parser made it.
    Object.defineProperty(out, k, { value: fn(k, v), enumerable: true, writable: true, configurable: true });
  }
  return out;
}
