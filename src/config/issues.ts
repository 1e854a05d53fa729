/**
 * Zod issues → "expected …, got …" sentences for people editing a config file, one per offending path.
 */
import type { z } from 'zod';
import { declaredKeys, defOf, schemaAt, unwrap, valuesOf } from './schema-walk.js';

export interface ConfigProblem {
  path: PropertyKey[];
  text: string;
}

type Issue = z.core.$ZodIssue;

/** Config path as a user writes it: `listeners.tcp.default.bind`, `authorization.rules[0].topics`. */
export function renderPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (/^[A-Za-z0-9_-]+$/.test(String(seg))) out += `${out ? '.' : ''}${String(seg)}`;
    else out += `${out ? '.' : ''}${JSON.stringify(String(seg))}`;
  }
  return out || '(root)';
}

export function describeValue(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 60 ? `${v.slice(0, 57)}...` : v);
  if (Array.isArray(v)) return v.length === 0 ? 'an empty array' : `an array of ${v.length}`;
  if (typeof v === 'object' && v !== null) {
    const keys = Object.keys(v);
    return keys.length === 0
      ? 'an empty object'
      : `an object { ${keys.slice(0, 5).join(', ')}${keys.length > 5 ? ', ...' : ''} }`;
  }
  return String(v);
}

const TYPE_NAMES: Record<string, string> = {
  record: 'an object',
  object: 'an object',
  array: 'an array',
  string: 'a string',
  number: 'a number',
  int: 'an integer',
  boolean: 'true or false',
  null: 'null',
  never: 'nothing',
  bigint: 'an integer',
};

function quoteAll(values: readonly unknown[]): string {
  return values.map((v) => JSON.stringify(v)).join(', ');
}

function bound(issue: Issue & { code: 'too_small' | 'too_big' }): string {
  const small = issue.code === 'too_small';
  const limit = Number(small ? (issue as { minimum: unknown }).minimum : (issue as { maximum: unknown }).maximum);
  const inclusive = issue.inclusive !== false;
  switch (issue.origin) {
    case 'string':
      return `a string of ${small ? 'at least' : 'at most'} ${limit} characters`;
    case 'array':
    case 'set':
      return `${small ? 'at least' : 'at most'} ${limit} item${limit === 1 ? '' : 's'}`;
    default:
      return `a number ${small ? '>' : '<'}${inclusive ? '=' : ''} ${limit}`;
  }
}

/** How the options of a union at `path` look to a user: `"all"`, `{ username }`, `a string`. */
function describeOptions(schema: z.ZodType, path: PropertyKey[]): string | undefined {
  const at = schemaAt(schema, path);
  if (!at) return undefined;
  const def = defOf(unwrap(at).base);
  if (def.type !== 'union' || !def.options) return undefined;
  return def.options
    .map((o) => {
      const base = unwrap(o).base;
      const keys = declaredKeys(base);
      if (keys) return `{ ${keys.join(', ')} }`;
      const values = valuesOf(base);
      if (values) return quoteAll([...values]);
      return TYPE_NAMES[defOf(base).type] ?? defOf(base).type;
    })
    .join(' or ');
}

function describeIssue(issue: Issue, schema: z.ZodType, prefix: PropertyKey[]): ConfigProblem[] {
  const path = [...prefix, ...issue.path];
  const got = describeValue(issue.input);
  const one = (text: string): ConfigProblem[] => [{ path, text }];
  switch (issue.code) {
    case 'invalid_type':
      if (issue.input === undefined)
        return one(`expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got nothing (required key missing)`);
      return one(`expected ${TYPE_NAMES[issue.expected] ?? issue.expected}, got ${got}`);
    case 'too_small':
    case 'too_big':
      return one(`expected ${bound(issue)}, got ${got}`);
    case 'invalid_value':
      return one(`expected ${issue.values.length === 1 ? '' : 'one of '}${quoteAll(issue.values)}, got ${got}`);
    case 'invalid_format': {
      const f = issue as { format: string; pattern?: string; prefix?: string; suffix?: string; includes?: string };
      const want =
        f.format === 'regex'
          ? `a string matching ${f.pattern}`
          : f.format === 'starts_with'
            ? `a string starting with ${JSON.stringify(f.prefix)}`
            : f.format === 'ends_with'
              ? `a string ending with ${JSON.stringify(f.suffix)}`
              : f.format === 'includes'
                ? `a string containing ${JSON.stringify(f.includes)}`
                : `a valid ${f.format}`;
      return one(`expected ${want}, got ${got}`);
    }
    case 'not_multiple_of':
      return one(`expected a multiple of ${String(issue.divisor)}, got ${got}`);
    case 'unrecognized_keys':
      return issue.keys.map((k) => unknownKey(schema, [...path, k]));
    case 'invalid_union': {
      const disc = issue as { discriminator?: string; options?: unknown[] };
      if (disc.discriminator && Array.isArray(disc.options)) {
        // Discriminated union: the path already ends at the discriminator key.
        const input = issue.input as Record<string, unknown> | undefined;
        const value = typeof input === 'object' && input !== null ? input[disc.discriminator] : undefined;
        return one(`expected one of ${quoteAll(disc.options)}, got ${describeValue(value)}`);
      }
      // A branch whose problems are all below this path matched the shape: its problems are the real ones.
      const deep = issue.errors.filter((b) => b.length > 0 && b.every((i) => i.path.length > 0));
      if (deep.length > 0) {
        const best = deep.reduce((a, b) => (b.length < a.length ? b : a));
        return best.flatMap((i) => describeIssue(i, schema, path));
      }
      return one(`expected ${describeOptions(schema, path) ?? 'a different value'}, got ${got}`);
    }
    case 'custom':
      return one(
        issue.message.startsWith('expected') ? `${issue.message}, got ${got}` : `${issue.message} (got ${got})`,
      );
    default:
      return one(`${issue.message}, got ${got}`);
  }
}

/** One problem per offending path; `schema` is the schema that produced `issues`. */
export function describeIssues(issues: readonly Issue[], schema: z.ZodType): ConfigProblem[] {
  return issues.flatMap((i) => describeIssue(i, schema, []));
}

/** Problems for keys that a non-strict object would silently drop (see findStrippedKeys). */
export function strippedKeyProblems(paths: PropertyKey[][], schema: z.ZodType): ConfigProblem[] {
  return paths.map((path) => unknownKey(schema, path));
}

function unknownKey(schema: z.ZodType, path: PropertyKey[]): ConfigProblem {
  const parent = schemaAt(schema, path.slice(0, -1));
  const allowed = parent ? declaredKeys(parent) : undefined;
  const expected = allowed?.length ? `one of the keys ${allowed.join(', ')}` : 'no other keys';
  return { path, text: `expected ${expected}, got unknown key ${JSON.stringify(String(path[path.length - 1]))}` };
}
