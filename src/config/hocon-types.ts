/**
 * Shared types of the HOCON reader: source positions and the unresolved value tree that the parser builds
 * and the resolver turns into plain JSON-like values.
 */
import { ConfigError } from '../errors.js';

/** Where a value or key was written; line and col are 1-based. */
export interface SourcePosition {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

export type ScalarValue = string | number | boolean | null;

/** `keyPos` holds where each field's key was last written, the position reported for that path. */
export interface HObject {
  kind: 'object';
  fields: Map<string, HNode>;
  keyPos: Map<string, SourcePosition>;
  pos: SourcePosition;
}
export interface HArray {
  kind: 'array';
  items: HNode[];
  pos: SourcePosition;
}
/** `text` is the source spelling, used when the scalar takes part in a string concatenation. */
export interface HScalar {
  kind: 'scalar';
  value: ScalarValue;
  text: string;
  quoted: boolean;
  pos: SourcePosition;
}
/**
 * `${path}` / `${?path}`. `path` is absolute (fixed up for includes); `written` is the path as written, looked
 * up from the root when the fixed-up one is missing, and (joined by '.') in the environment after that.
 * `envOnly` marks a self-reference with nothing below it.
 */
export interface HSubst {
  kind: 'subst';
  path: string[];
  written: string[];
  optional: boolean;
  envOnly: boolean;
  pos: SourcePosition;
  prev?: HNode;
}
/** Whitespace between concatenated values; it only matters when the result is a string. */
export interface HSpace {
  kind: 'space';
  text: string;
}
/** Value concatenation: `${a}/b`, `[1] [2]`, `{a=1} {b=2}`, `hello world`. */
export interface HConcat {
  kind: 'concat';
  parts: (HNode | HSpace)[];
  pos: SourcePosition;
  prev?: HNode;
}
/** An object written over a value that is only known after substitution (merged if that is an object). */
export interface HMerge {
  kind: 'merge';
  under: HNode;
  over: HObject;
  pos: SourcePosition;
}

export type HNode = HObject | HArray | HScalar | HSubst | HConcat | HMerge;

export function syntaxError(pos: SourcePosition, message: string): ConfigError {
  const where = `${pos.file}:${pos.line}:${pos.col}`;
  return new ConfigError('PH_CONFIG_SYNTAX', `${where}: ${message}`, [`${where}: ${message}`]);
}

export function substitutionError(pos: SourcePosition, message: string): ConfigError {
  const where = `${pos.file}:${pos.line}:${pos.col}`;
  return new ConfigError('PH_CONFIG_SUBSTITUTION', `${where}: ${message}`, [`${where}: ${message}`]);
}
