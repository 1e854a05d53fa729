/**
 * Programmatic overrides applied over a parsed config (CLI flags, tests): `{ "store.dir": "/tmp/x" }`.
 */
import { deepMerge, isPlainObject, setOwn } from './hocon-resolve.js';

/** Pseudo file name reported as the source of overridden paths. */
export const OVERRIDE_FILE = '<overrides>';

/**
 * `base` with every override written at its dotted path; objects merge like a later HOCON key would.
 * `base` is not changed: objects on each override's path are copied.
 */
export function applyOverrides(
  base: Record<string, unknown>,
  overrides: Record<string, unknown>,
): { value: Record<string, unknown>; overridden: string[][] } {
  let value = base;
  const overridden: string[][] = [];
  for (const [key, v] of Object.entries(overrides)) {
    const path = key.split('.').filter((s) => s.length > 0);
    if (path.length === 0) {
      if (isPlainObject(v)) value = deepMerge(value, v);
      continue;
    }
    value = setAt(value, path, v);
    overridden.push(path);
  }
  return { value, overridden };
}

function setAt(obj: Record<string, unknown>, path: string[], v: unknown): Record<string, unknown> {
  const copy = deepMerge({}, obj);
  const [head, ...rest] = path;
  const current = Object.hasOwn(copy, head) ? copy[head] : undefined;
  if (rest.length === 0) {
    setOwn(copy, head, isPlainObject(current) && isPlainObject(v) ? deepMerge(current, v) : v);
  } else {
    setOwn(copy, head, setAt(isPlainObject(current) ? current : {}, rest, v));
  }
  return copy;
}
