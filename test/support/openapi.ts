/**
 * Checks API responses against src/http/openapi.json: finds the operation for a method and concrete path,
 * takes the schema of the response status, and validates the body with a small JSON Schema subset (type,
 * properties, required, additionalProperties, items, enum, oneOf, $ref, pattern, minimum, maxLength,
 * format date-time). Small on purpose: the document uses only these keywords, and `unknownKeywords` makes a
 * new keyword fail loudly rather than be ignored. Records which operations were exercised.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

type Schema = Record<string, unknown>;
interface Operation {
  responses: Record<string, { content?: { 'application/json'?: { schema: Schema } } }>;
}

export const spec = JSON.parse(
  readFileSync(fileURLToPath(new URL('../../src/http/openapi.json', import.meta.url)), 'utf8'),
) as { paths: Record<string, Record<string, Operation>>; components: { schemas: Record<string, Schema> } };

const KNOWN = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'oneOf',
  '$ref',
  'pattern',
  'minimum',
  'maxLength',
  'format',
  'description',
]);

/** Problems of `value` against `schema`, as `path: message` strings (empty = valid). */
export function validate(schema: Schema, value: unknown, path = '$'): string[] {
  for (const k of Object.keys(schema)) if (!KNOWN.has(k)) return [`${path}: validator does not know keyword ${k}`];
  if (schema.$ref) {
    const name = String(schema.$ref).replace('#/components/schemas/', '');
    const target = spec.components.schemas[name];
    if (!target) return [`${path}: unknown $ref ${String(schema.$ref)}`];
    return validate(target, value, path);
  }
  if (schema.oneOf) {
    const ok = (schema.oneOf as Schema[]).filter((s) => validate(s, value, path).length === 0).length;
    return ok === 1 ? [] : [`${path}: matches ${ok} of oneOf`];
  }
  const errs: string[] = [];
  const type = schema.type as string | undefined;
  const actual = Array.isArray(value) ? 'array' : value === null ? 'null' : typeof value;
  if (type) {
    const ok =
      type === 'integer' ? Number.isInteger(value) : type === 'number' ? typeof value === 'number' : actual === type;
    if (!ok) return [`${path}: expected ${type}, got ${actual}`];
  }
  if (schema.enum && !(schema.enum as unknown[]).includes(value))
    errs.push(`${path}: ${JSON.stringify(value)} not in enum`);
  if (typeof value === 'string') {
    if (schema.pattern && !new RegExp(String(schema.pattern)).test(value))
      errs.push(`${path}: does not match ${String(schema.pattern)}`);
    if (schema.maxLength !== undefined && value.length > Number(schema.maxLength)) errs.push(`${path}: too long`);
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) errs.push(`${path}: not a date-time`);
  }
  if (typeof value === 'number' && schema.minimum !== undefined && value < Number(schema.minimum))
    errs.push(`${path}: below minimum`);
  if (actual === 'array' && schema.items)
    (value as unknown[]).forEach((v, i) => errs.push(...validate(schema.items as Schema, v, `${path}[${i}]`)));
  if (actual === 'object') {
    const obj = value as Record<string, unknown>;
    const props = (schema.properties ?? {}) as Record<string, Schema>;
    for (const r of (schema.required ?? []) as string[]) if (!(r in obj)) errs.push(`${path}: missing ${r}`);
    for (const [k, v] of Object.entries(obj)) {
      if (props[k]) errs.push(...validate(props[k], v, `${path}.${k}`));
      else if (schema.additionalProperties === false) errs.push(`${path}: unexpected property ${k}`);
      else if (typeof schema.additionalProperties === 'object')
        errs.push(...validate(schema.additionalProperties as Schema, v, `${path}.${k}`));
    }
  }
  return errs;
}

/** The OpenAPI path template a concrete path belongs to (raw, percent-encoded segments). */
export function templateOf(path: string): string | undefined {
  const segs = path.split('?')[0].split('/');
  return Object.keys(spec.paths).find((t) => {
    const ts = t.split('/');
    return ts.length === segs.length && ts.every((s, i) => /^\{\w+\}$/.test(s) || s === segs[i]);
  });
}

export const exercised = new Set<string>();

/** Validate one response; throws with every problem listed. Records `METHOD template status`. */
export function checkResponse(method: string, path: string, status: number, body: unknown): void {
  const template = templateOf(path);
  if (!template) throw new Error(`${method} ${path}: no path in openapi.json`);
  const op = spec.paths[template][method.toLowerCase()];
  if (!op) throw new Error(`${method} ${template}: no operation in openapi.json`);
  const r = op.responses[String(status)];
  if (!r) throw new Error(`${method} ${template}: status ${status} not documented`);
  exercised.add(`${method} ${template}`);
  const schema = r.content?.['application/json']?.schema;
  if (!schema) {
    if (body !== undefined) throw new Error(`${method} ${template} ${status}: body where none is documented`);
    return;
  }
  const errs = validate(schema, body);
  if (errs.length) throw new Error(`${method} ${template} ${status}:\n  ${errs.join('\n  ')}`);
}
