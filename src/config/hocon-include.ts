/**
 * File access of the HOCON reader: the top-level file and `include` (HOCON.md "Includes": relative names
 * resolve against the including file; a missing plain include is silently ignored, a missing
 * `required(...)` one is an error).
 */
import { readFileSync } from 'node:fs';
import { dirname, extname, isAbsolute, resolve } from 'node:path';
import { ConfigError } from '../errors.js';
import { syntaxError, type SourcePosition } from './hocon-types.js';
import type { ParseContext } from './hocon-parser.js';

const MAX_INCLUDE_DEPTH = 32;

/** File text, or undefined when there is no such file. Other I/O failures throw PH_CONFIG_READ. */
export function readTextFile(file: string, where?: SourcePosition): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    const prefix = where ? `${where.file}:${where.line}:${where.col}: ` : '';
    const message = `${prefix}cannot read ${file}: ${(err as Error).message}`;
    throw new ConfigError('PH_CONFIG_READ', message, [message], { cause: err });
  }
}

export interface IncludeRequest {
  from: string;
  name: string;
  required: boolean;
  pos: SourcePosition;
}

export function readInclude(req: IncludeRequest, ctx: ParseContext, parse: (text: string, file: string) => void): void {
  const named = isAbsolute(req.name) ? req.name : resolve(dirname(req.from), req.name);
  // HOCON.md "Include semantics: file formats and extensions": a name without extension tries .conf then .json.
  const candidates = extname(named) ? [named] : [named, `${named}.conf`, `${named}.json`];
  for (const file of candidates) {
    if (ctx.includeStack.includes(file)) {
      throw syntaxError(req.pos, `include cycle: ${[...ctx.includeStack, file].join(' -> ')}`);
    }
    if (ctx.includeStack.length >= MAX_INCLUDE_DEPTH) {
      throw syntaxError(req.pos, `includes nested deeper than ${MAX_INCLUDE_DEPTH} files`);
    }
    const text = readTextFile(file, req.pos);
    if (text === undefined) continue;
    ctx.files.push(file);
    ctx.includeStack.push(file);
    try {
      parse(text, file);
    } finally {
      ctx.includeStack.pop();
    }
    return;
  }
  if (!req.required) return;
  const message = `${req.pos.file}:${req.pos.line}:${req.pos.col}: required include "${req.name}" not found (${named})`;
  throw new ConfigError('PH_CONFIG_NOT_FOUND', message, [message]);
}
