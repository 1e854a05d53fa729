/**
 * Read-only introspection of zod 4 schemas, for what zod itself does not report: keys that non-strict
 * objects silently strip, the schema at a config path (to name allowed keys and union options), and the
 * defaults and ranges shown in the generated docs.
 *
 * Only zod's public `schema.def` is read (typed as zod's core `$Zod*Def` interfaces); until issue 9 this
 * reached into `schema._zod`. zod is pinned exactly anyway, and test/unit/deps-internals.test.ts checks the def
 * fields listed in `Def` below, naming the zod upgrade that changed them.
 */
import type { z } from 'zod';

/** The parts of zod's internal definition this module reads. */
interface Def {
  type: string;
  innerType?: z.ZodType;
  in?: z.ZodType;
  shape?: Record<string, z.ZodType>;
  catchall?: z.ZodType;
  valueType?: z.ZodType;
  element?: z.ZodType;
  options?: z.ZodType[];
  getter?: () => z.ZodType;
  defaultValue?: unknown;
  /** literal */
  values?: unknown[];
  /** enum: key → value */
  entries?: Record<string, unknown>;
}

export function defOf(schema: z.ZodType): Def {
  return (schema as unknown as { def: Def }).def;
}

/** The values a literal or enum schema accepts, else undefined. */
export function valuesOf(schema: z.ZodType): unknown[] | undefined {
  const def = defOf(schema);
  if (def.type === 'literal') return def.values;
  if (def.type === 'enum') return Object.values(def.entries ?? {});
  return undefined;
}

const WRAPPERS = new Set(['optional', 'nullable', 'default', 'prefault', 'readonly', 'catch', 'nonoptional']);

export interface Unwrapped {
  /** The schema under optional/default/prefault/... wrappers and pipes (input side). */
  base: z.ZodType;
  /** The pipe, when the value is transformed after `base` validates it (durations, sizes, binds). */
  pipe?: z.ZodType;
  description?: string;
  hasDefault: boolean;
  defaultValue?: unknown;
  optional: boolean;
}

/** Strip wrappers, keeping the outermost description and default. */
export function unwrap(schema: z.ZodType): Unwrapped {
  const out: Unwrapped = { base: schema, hasDefault: false, optional: false };
  let cur = schema;
  for (let guard = 0; guard < 50; guard++) {
    out.description ??= cur.description;
    const def = defOf(cur);
    if ((def.type === 'default' || def.type === 'prefault') && !out.hasDefault) {
      out.hasDefault = true;
      out.defaultValue = def.defaultValue;
    }
    if (def.type === 'optional') out.optional = true;
    if (WRAPPERS.has(def.type) && def.innerType) {
      cur = def.innerType;
      continue;
    }
    if (def.type === 'pipe' && def.in) {
      out.pipe ??= cur;
      cur = def.in;
      continue;
    }
    if (def.type === 'lazy' && def.getter) {
      cur = def.getter();
      continue;
    }
    break;
  }
  out.base = cur;
  return out;
}

/** Keys an object schema declares, or undefined when `schema` is not an object. */
export function declaredKeys(schema: z.ZodType): string[] | undefined {
  const def = defOf(unwrap(schema).base);
  return def.type === 'object' && def.shape ? Object.keys(def.shape) : undefined;
}

/** The schema describing the value at `path`, following object keys, record values and array items. */
export function schemaAt(root: z.ZodType, path: readonly PropertyKey[]): z.ZodType | undefined {
  let cur: z.ZodType | undefined = root;
  for (const seg of path) {
    if (!cur) return undefined;
    const def = defOf(unwrap(cur).base);
    if (def.type === 'object' && def.shape)
      cur = Object.hasOwn(def.shape, String(seg)) ? def.shape[String(seg)] : def.catchall;
    else if (def.type === 'record') cur = def.valueType;
    else if (def.type === 'array') cur = def.element;
    else return undefined;
  }
  return cur;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * Paths of keys that a non-strict object would silently drop. Strict objects are left to zod, which
 * reports them itself; union members are followed only when exactly one accepts the value.
 */
export function findStrippedKeys(schema: z.ZodType, value: unknown, path: PropertyKey[] = []): PropertyKey[][] {
  const def = defOf(unwrap(schema).base);
  const found: PropertyKey[][] = [];
  if (def.type === 'object' && def.shape && isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) {
      if (Object.hasOwn(def.shape, k)) found.push(...findStrippedKeys(def.shape[k], v, [...path, k]));
      else if (def.catchall) found.push(...findStrippedKeys(def.catchall, v, [...path, k]));
      else found.push([...path, k]);
    }
  } else if (def.type === 'record' && def.valueType && isPlainObject(value)) {
    for (const [k, v] of Object.entries(value)) found.push(...findStrippedKeys(def.valueType, v, [...path, k]));
  } else if (def.type === 'array' && def.element && Array.isArray(value)) {
    value.forEach((v, i) => found.push(...findStrippedKeys(def.element as z.ZodType, v, [...path, i])));
  } else if (def.type === 'union' && def.options) {
    const accepting = def.options.filter((o) => o.safeParse(value).success);
    if (accepting.length === 1) found.push(...findStrippedKeys(accepting[0], value, path));
  }
  return found;
}
