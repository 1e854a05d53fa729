/**
 * HOCON reader with source positions: `parseHoconFile` / `parseHoconText` return plain values plus
 * `positionOf(path)`, so config and mapping loaders can report `file:line` for any key.
 *
 * Supported (HOCON.md): objects with `=`, `:` or no separator before `{`; dotted keys; arrays; quoted,
 * unquoted and triple-quoted strings; numbers, booleans, null; `#` and `//` comments; merging of repeated
 * keys (objects deep-merge, later wins); `+=`; value concatenation; `include "f"`, `include file("f")`,
 * `include required("f")`; `${path}` / `${?path}` with environment fallback and self-references.
 * An include name without extension tries `.conf` then `.json`.
 * Not supported: `include url(...)` / `classpath(...)`, `.properties` files, keys with unquoted spaces.
 *
 * Errors are ConfigError: PH_CONFIG_SYNTAX, PH_CONFIG_SUBSTITUTION, PH_CONFIG_NOT_FOUND, PH_CONFIG_READ,
 * each message starting with `file:line:col:`.
 */
import { resolve as resolvePath } from 'node:path';
import { ConfigError } from '../errors.js';
import { parseInto, type ParseContext } from './hocon-parser.js';
import { readTextFile } from './hocon-include.js';
import { collectPositions, pathKey, Resolver } from './hocon-resolve.js';
import type { HObject, SourcePosition } from './hocon-types.js';

export type { SourcePosition } from './hocon-types.js';

export interface HoconOptions {
  /** Environment for `${VAR}` fallback and `${?VAR}`; defaults to process.env. */
  env?: NodeJS.ProcessEnv;
}

export interface HoconDocument {
  value: Record<string, unknown>;
  /** Where `path` was written; for a path that does not exist, its nearest existing ancestor's position. */
  positionOf(path: (string | number)[]): { file: string; line: number; col: number } | undefined;
  /** Every file read (the main one first, then includes in the order read). */
  files: readonly string[];
}

export function parseHoconFile(file: string, opts: HoconOptions = {}): HoconDocument {
  const abs = resolvePath(file);
  const text = readTextFile(abs);
  if (text === undefined) {
    const message = `config file not found: ${abs}`;
    throw new ConfigError('PH_CONFIG_NOT_FOUND', message, [message]);
  }
  return parseHoconText(text, abs, opts);
}

export function parseHoconText(text: string, file: string, opts: HoconOptions = {}): HoconDocument {
  const root: HObject = { kind: 'object', fields: new Map(), keyPos: new Map(), pos: { file, line: 1, col: 1 } };
  const ctx: ParseContext = { includeStack: [resolvePath(file)], files: [file] };
  let value: Record<string, unknown>;
  let resolver: Resolver;
  try {
    parseInto(root, text, file, [], ctx);
    resolver = new Resolver(root, opts.env ?? process.env);
    value = resolver.resolveRoot();
  } catch (err) {
    // Pathologically deep input exhausts the stack; that is still a config problem, not a crash.
    if (err instanceof RangeError) {
      const message = `${file}: configuration nested or chained too deeply`;
      throw new ConfigError('PH_CONFIG_SYNTAX', message, [message], { cause: err });
    }
    throw err;
  }
  const positions = collectPositions(root, (node) => resolver.resolvedValue(node));
  return {
    value,
    files: ctx.files,
    positionOf(path) {
      for (let n = path.length; n >= 0; n--) {
        const pos: SourcePosition | undefined = positions.get(pathKey(path.slice(0, n)));
        if (pos) return { file: pos.file, line: pos.line, col: pos.col };
      }
      return undefined;
    },
  };
}
