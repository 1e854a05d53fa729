/**
 * The one command-line parser of the hub's commands and bench scripts, on top of node:util.parseArgs. It adds
 * what parseArgs leaves to the caller: typed numbers with ranges, comma lists, and usage errors worded for a
 * person ("--only needs a value", "--runs must be an integer in 1..100, got x") instead of a TypeError.
 *
 * parseArgs runs non-strict and this module judges its tokens, because strict mode would take `--only --quick`
 * as a missing value only by parsing its English error text.
 */
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';

export type OptionKind = 'string' | 'boolean' | 'number' | 'list';

export interface OptionSpec {
  readonly kind: OptionKind;
  /** One-letter alias, e.g. 'c' for -c. */
  readonly short?: string;
  /** number: inclusive range and whether fractions are allowed (default: integers only). */
  readonly min?: number;
  readonly max?: number;
  readonly fraction?: boolean;
  /** string: the only accepted values. */
  readonly choices?: readonly string[];
}

type ValueOf<O extends OptionSpec> = O['kind'] extends 'boolean'
  ? boolean
  : O['kind'] extends 'number'
    ? number
    : O['kind'] extends 'list'
      ? string[]
      : string;

export type OptionValues<S extends Record<string, OptionSpec>> = { -readonly [K in keyof S]?: ValueOf<S[K]> };

export interface ParsedCommandLine<S extends Record<string, OptionSpec>> {
  values: OptionValues<S>;
  /** Arguments that are not options, including everything after `--`. */
  positionals: string[];
}

export interface ParseOptions {
  /** Accept positional arguments (default: refuse them). */
  positionals?: boolean;
  /** Error code of the UsageError thrown (default PH_CLI_USAGE). */
  code?: string;
}

/** Parse `argv` by `spec`; throws UsageError naming the option for anything unknown, missing or out of range. */
export function parseCommandLine<S extends Record<string, OptionSpec>>(
  argv: readonly string[],
  spec: S,
  opts: ParseOptions = {},
): ParsedCommandLine<S> {
  const code = opts.code ?? 'PH_CLI_USAGE';
  const fail = (message: string): never => {
    throw new UsageError(code, message);
  };
  const options: Record<string, { type: 'string' | 'boolean'; short?: string }> = {};
  for (const [name, o] of Object.entries(spec)) {
    options[name] = { type: o.kind === 'boolean' ? 'boolean' : 'string', ...(o.short ? { short: o.short } : {}) };
  }
  const { tokens } = parseArgs({ args: [...argv], options, strict: false, allowPositionals: true, tokens: true });
  const values: Record<string, unknown> = {};
  const positionals: string[] = [];
  let afterTerminator = false;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') {
      afterTerminator = true;
      continue;
    }
    if (t.kind === 'positional') {
      if (!opts.positionals) fail(`unexpected argument ${t.value}`);
      positionals.push(t.value);
      continue;
    }
    const o = Object.hasOwn(spec, t.name) ? spec[t.name] : undefined;
    if (!o) fail(`unknown option ${t.rawName}`);
    const flag = t.rawName;
    if (o!.kind === 'boolean') {
      if (t.value !== undefined) fail(`${flag} takes no value`);
      values[t.name] = true;
      continue;
    }
    // parseArgs takes the next argument as the value even when it is another option: `--only --quick`.
    if (
      t.value === undefined ||
      (!t.inlineValue && t.value.startsWith('-') && t.value.length > 1 && !isNumber(t.value))
    )
      fail(`${flag} needs a value`);
    values[t.name] = convert(flag, t.value!, o!, fail);
  }
  if (afterTerminator && !opts.positionals && positionals.length > 0) fail(`unexpected argument ${positionals[0]}`);
  return { values: values as OptionValues<S>, positionals };
}

function isNumber(text: string): boolean {
  return text.trim() !== '' && Number.isFinite(Number(text));
}

function convert(flag: string, raw: string, o: OptionSpec, fail: (m: string) => never): unknown {
  switch (o.kind) {
    case 'number': {
      const n = Number(raw);
      const min = o.min ?? -Infinity;
      const max = o.max ?? Infinity;
      const whole = o.fraction ? 'a number' : 'an integer';
      if (!isNumber(raw) || (!o.fraction && !Number.isInteger(n)) || n < min || n > max)
        fail(
          `${flag} must be ${whole}${Number.isFinite(min) || Number.isFinite(max) ? ` in ${min}..${max}` : ''}, got ${raw}`,
        );
      return n;
    }
    case 'list': {
      const items = raw.split(',').map((s) => s.trim());
      if (items.some((s) => s === '')) fail(`${flag} needs a comma-separated list without empty items, got ${raw}`);
      return items;
    }
    default:
      if (o.choices && !o.choices.includes(raw)) fail(`${flag} must be one of ${o.choices.join(', ')}, got ${raw}`);
      return raw;
  }
}
