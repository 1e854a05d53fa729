/**
 * Renders the configuration reference (Markdown) and the JSON Schema from the zod config schema, so the
 * docs cannot drift from what the loader accepts. Output is deterministic: schema declaration order.
 */
import { z } from 'zod';
import { defOf, unwrap, valuesOf } from './schema-walk.js';

export interface ConfigRow {
  path: string;
  type: string;
  default: string;
  range: string;
  description: string;
}

export interface ConfigSection {
  path: string;
  description?: string;
  rows: ConfigRow[];
}

const MAX_DEPTH = 16;
/** Messages of the duration/size/bind helpers in types.ts: "expected a duration like "30s" (0ms..100ms)". */
const UNIT_KINDS: [RegExp, string][] = [
  [/^expected a duration/, 'duration'],
  [/^expected a size/, 'size'],
  [/^expected "host:port"/, 'host:port'],
];
const RANGE_RE = /\((\d+)(ms)?\.\.(\d+)(ms)?(?: bytes)?\)/;

function jsonSchemaOf(schema: z.ZodType): Record<string, unknown> {
  try {
    return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  } catch {
    return {};
  }
}

/** duration/size/host:port for the types.ts helpers, with the range their error message states. */
function unitKind(pipe: z.ZodType): { type: string; range: string } | undefined {
  const issue = pipe.safeParse('\u0000not a value\u0000').error?.issues[0];
  const kind = UNIT_KINDS.find(([re]) => issue && re.test(issue.message));
  if (!kind || !issue) return undefined;
  const m = RANGE_RE.exec(issue.message);
  if (!m) return { type: kind[1], range: '' };
  const show = kind[1] === 'duration' ? humanMs : kind[1] === 'size' ? humanBytes : String;
  const lo = Number(m[1]);
  const hi = Number(m[3]);
  const unbounded = hi >= Number.MAX_SAFE_INTEGER;
  if (unbounded) return { type: kind[1], range: lo === 0 ? '' : `≥ ${show(lo)}` };
  return { type: kind[1], range: `${show(lo)} .. ${show(hi)}` };
}

/** 3600000 → "1h": the largest unit that divides the value exactly, as a user would write it. */
function humanMs(ms: number): string {
  for (const [unit, size] of [
    ['d', 86_400_000],
    ['h', 3_600_000],
    ['m', 60_000],
    ['s', 1000],
  ] as const) {
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}

function humanBytes(n: number): string {
  for (const [unit, size] of [
    ['GB', 1024 ** 3],
    ['MB', 1024 ** 2],
    ['KB', 1024],
  ] as const) {
    if (n >= size && n % size === 0) return `${n / size}${unit}`;
  }
  return `${n}B`;
}

function describeType(base: z.ZodType, depth = 0): string {
  const def = defOf(base);
  const values = valuesOf(base);
  switch (def.type) {
    case 'union':
      return (def.options ?? []).map((o) => describeType(unwrap(o).base, depth + 1)).join(' | ');
    case 'literal':
      return [...(values ?? [])].map((v) => JSON.stringify(v)).join(' | ');
    case 'enum':
      return 'enum';
    case 'array':
      return depth > 3 || !def.element ? 'array' : `array of ${describeType(unwrap(def.element).base, depth + 1)}`;
    case 'record':
      return 'object (by name)';
    case 'object': {
      const keys = Object.keys(def.shape ?? {});
      return depth > 0 && keys.length <= 3 ? `{ ${keys.join(', ')} }` : 'object';
    }
    case 'number': {
      const js = jsonSchemaOf(base);
      return js.type === 'integer' ? 'integer' : 'number';
    }
    default:
      return def.type;
  }
}

function describeRange(base: z.ZodType): string {
  const def = defOf(base);
  const js = jsonSchemaOf(base);
  if (def.type === 'enum') return ((js.enum as unknown[]) ?? []).map((v) => JSON.stringify(v)).join(' | ');
  const parts: string[] = [];
  // z.number().int() carries the safe-integer limits; they are no user-facing bound.
  const bounded = (v: unknown): unknown =>
    typeof v === 'number' && Math.abs(v) >= Number.MAX_SAFE_INTEGER ? undefined : v;
  const lo = bounded(js.minimum) ?? (js.exclusiveMinimum !== undefined ? `>${String(js.exclusiveMinimum)}` : undefined);
  const hi = bounded(js.maximum) ?? (js.exclusiveMaximum !== undefined ? `<${String(js.exclusiveMaximum)}` : undefined);
  if (lo !== undefined && hi !== undefined) parts.push(`${String(lo)} .. ${String(hi)}`);
  else if (lo !== undefined) parts.push(`≥ ${String(lo)}`);
  else if (hi !== undefined) parts.push(`≤ ${String(hi)}`);
  if (js.minItems !== undefined) parts.push(`≥ ${String(js.minItems)} item(s)`);
  if (js.maxItems !== undefined) parts.push(`≤ ${String(js.maxItems)} item(s)`);
  if (js.minLength !== undefined) parts.push(`≥ ${String(js.minLength)} char(s)`);
  if (js.maxLength !== undefined) parts.push(`≤ ${String(js.maxLength)} char(s)`);
  if (js.format === 'starts_with' && typeof js.pattern === 'string')
    parts.push(`starts with \`${js.pattern.replace(/^\^|\.\*$/g, '').replace(/\\(.)/g, '$1')}\``);
  else if (typeof js.pattern === 'string') parts.push(`matches \`/${js.pattern}/\``);
  return parts.join(', ');
}

function renderDefault(u: ReturnType<typeof unwrap>): string {
  if (u.hasDefault) return `\`${JSON.stringify(u.defaultValue)}\``;
  return u.optional ? 'unset' : '**required**';
}

function cell(s: string): string {
  return s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
}

function walk(schema: z.ZodType, path: string, rows: ConfigRow[], depth: number): void {
  const u = unwrap(schema);
  const def = defOf(u.base);
  const unit = u.pipe ? unitKind(u.pipe) : undefined;
  rows.push({
    path,
    type: unit?.type ?? describeType(u.base),
    default: renderDefault(u),
    range: unit?.range ?? describeRange(u.base),
    description: u.description ?? '',
  });
  if (depth >= MAX_DEPTH) return;
  if (def.type === 'object' && def.shape) {
    for (const [k, child] of Object.entries(def.shape)) walk(child, `${path}.${k}`, rows, depth + 1);
  } else if (def.type === 'record' && def.valueType) {
    walkChildren(def.valueType, `${path}.<name>`, rows, depth + 1);
  } else if (def.type === 'array' && def.element) {
    walkChildren(def.element, `${path}[]`, rows, depth + 1);
  }
}

/** Record values and array items get rows only for their keys (the container row already says what they are). */
function walkChildren(schema: z.ZodType, path: string, rows: ConfigRow[], depth: number): void {
  const def = defOf(unwrap(schema).base);
  if (def.type === 'object' && def.shape) {
    for (const [k, child] of Object.entries(def.shape)) walk(child, `${path}.${k}`, rows, depth + 1);
  } else if (def.type === 'record' || def.type === 'array') {
    walk(schema, path, rows, depth);
  }
}

/** One section per top-level key; a key whose children are all named instances gets one per child. */
export function configSections(root: z.ZodType): ConfigSection[] {
  const sections: ConfigSection[] = [];
  for (const [key, child] of Object.entries(defOf(unwrap(root).base).shape ?? {})) {
    const u = unwrap(child);
    const shape = defOf(u.base).shape;
    const children = shape ? Object.entries(shape) : [];
    if (children.length > 0 && children.every(([, c]) => defOf(unwrap(c).base).type === 'record')) {
      for (const [sub, c] of children) {
        const rows: ConfigRow[] = [];
        walk(c, `${key}.${sub}`, rows, 1);
        // The first row is the container itself and carries its description.
        sections.push({ path: `${key}.${sub}`, rows });
      }
      continue;
    }
    const rows: ConfigRow[] = [];
    walk(child, key, rows, 0);
    // An object section's own row would only repeat the heading; a scalar or array section is its own row.
    const isObject = defOf(u.base).type === 'object';
    sections.push({ path: key, description: u.description, rows: isObject ? rows.slice(1) : rows });
  }
  return sections;
}

export function renderTable(rows: ConfigRow[]): string {
  const lines = ['| key | type | default | range | description |', '| --- | --- | --- | --- | --- |'];
  for (const r of rows) {
    lines.push(`| \`${r.path}\` | ${cell(r.type)} | ${cell(r.default)} | ${cell(r.range)} | ${cell(r.description)} |`);
  }
  return lines.join('\n');
}

/** The loader rejects keys that non-strict objects would strip; say so to editors too. */
function closeObjects(node: unknown): void {
  if (Array.isArray(node)) {
    node.forEach(closeObjects);
    return;
  }
  if (typeof node !== 'object' || node === null) return;
  const o = node as Record<string, unknown>;
  if (o.type === 'object' && o.properties && o.additionalProperties === undefined) o.additionalProperties = false;
  Object.values(o).forEach(closeObjects);
}

export function renderJsonSchema(root: z.ZodType): string {
  const js = z.toJSONSchema(root, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  closeObjects(js);
  return `${JSON.stringify({ $schema: js.$schema, title: 'protohub configuration', ...js }, null, 2)}\n`;
}
