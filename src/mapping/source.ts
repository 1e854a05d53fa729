/**
 * Reads a mapping file into a plain value plus a position lookup for error lines.
 */
import { readFileSync } from 'node:fs';
import { MappingError } from '../errors.js';
import type { PositionOf } from './types.js';

export interface MappingSource {
  value: unknown;
  positionOf?: PositionOf;
}

export function readMappingSource(path: string): MappingSource {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new MappingError('PH_MAPPING_LOAD', `mapping ${path}: cannot read: ${(err as Error).message}`, { cause: err });
  }
  if (path.endsWith('.json')) {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (err) {
      throw new MappingError('PH_MAPPING_LOAD', `mapping ${path}: not valid JSON: ${(err as Error).message}`, { cause: err });
    }
  }
  throw new MappingError('PH_MAPPING_LOAD', `mapping ${path}: HOCON mapping files need src/config/hocon.ts (not available yet); use a .json file`);
}
