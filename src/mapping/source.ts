/**
 * Reads a mapping file into a plain value plus a position lookup for `file:line` in load errors. HOCON (`.conf`
 * and anything else) goes through the config reader; `.json` is parsed as plain JSON (no line numbers).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseHoconFile } from '../config/hocon.js';
import { ConfigError, MappingError } from '../errors.js';
import { MappingInvalidError } from './errors.js';
import type { PositionOf } from './types.js';

export interface MappingSource {
  value: unknown;
  positionOf?: PositionOf;
}

function readJson(path: string): MappingSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MappingError('PH_MAPPING_LOAD', `mapping ${path}: cannot read: ${(err as Error).message}`, {
      cause: err,
    });
  }
  try {
    return { value: JSON.parse(text) as unknown };
  } catch (err) {
    throw new MappingInvalidError(path, [`${path}: not valid JSON: ${(err as Error).message}`]);
  }
}

/** Throws MappingError PH_MAPPING_LOAD (missing/unreadable) or MappingInvalidError PH_MAPPING_INVALID (syntax). */
export function readMappingSource(path: string): MappingSource {
  if (path.endsWith('.json')) return readJson(path);
  let doc: ReturnType<typeof parseHoconFile>;
  try {
    doc = parseHoconFile(path);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    if (err.code === 'PH_CONFIG_SYNTAX' || err.code === 'PH_CONFIG_SUBSTITUTION') {
      throw new MappingInvalidError(path, err.issues.length > 0 ? err.issues : [err.message]);
    }
    throw new MappingError('PH_MAPPING_LOAD', `mapping ${path}: ${err.message}`, { cause: err });
  }
  // Report the main file as the user named it, not as the absolute path the reader resolved.
  const absolute = resolve(path);
  const positionOf: PositionOf = (p) => {
    const pos = doc.positionOf(p);
    return pos && { file: pos.file === absolute ? path : pos.file, line: pos.line };
  };
  return { value: doc.value, positionOf };
}
