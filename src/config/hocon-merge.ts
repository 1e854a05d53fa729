/**
 * Field assignment with HOCON merge rules, applied while parsing (HOCON.md "Duplicate keys and object
 * merging", "Self-referential substitutions", "The += field separator").
 */
import type { HArray, HNode, HObject, HSubst, SourcePosition } from './hocon-types.js';

export interface AssignOptions {
  /** Position of the key, the one reported for the field ("the line of the offending key"). */
  pos: SourcePosition;
  /** Absolute path of the field, to recognise self-references. */
  path: string[];
  append: boolean;
}

function newObject(pos: SourcePosition): HObject {
  return { kind: 'object', fields: new Map(), keyPos: new Map(), pos };
}

/**
 * Walk `a.b` of `a.b.c = v`, creating objects on the way. HOCON.md "Paths as keys": `a.b.c = v` is
 * `a { b { c = v } }`, so it merges with what `a` and `a.b` already hold.
 */
export function descend(target: HObject, segments: string[], pos: SourcePosition): HObject {
  let cur = target;
  for (const seg of segments) {
    const existing = cur.fields.get(seg);
    if (existing?.kind === 'object') {
      cur = existing;
      continue;
    }
    if (existing?.kind === 'merge') {
      cur = existing.over;
      continue;
    }
    const child = newObject(pos);
    cur.keyPos.set(seg, pos);
    if (existing && (existing.kind === 'subst' || existing.kind === 'concat')) {
      // The earlier value is known only after substitution; if it is an object the two merge.
      cur.fields.set(seg, { kind: 'merge', under: existing, over: child, pos });
    } else {
      // A scalar or array under the key is replaced by the object.
      cur.fields.set(seg, child);
    }
    cur = child;
  }
  return cur;
}

export function assignField(target: HObject, key: string, value: HNode, opts: AssignOptions): void {
  const existing = target.fields.get(key);
  let v = value;
  if (opts.append) {
    // HOCON.md "+=": `a += x` is `a = ${?a} [x]`, the earlier value being the one below in the merge stack.
    const wrapped: HArray = { kind: 'array', items: [value], pos: opts.pos };
    v = existing ? { kind: 'concat', parts: [existing, wrapped], pos: opts.pos } : wrapped;
  } else {
    v = replaceSelfReferences(value, opts.path, existing);
  }
  target.keyPos.set(key, opts.pos);
  if (v === existing) return;
  if (v.kind === 'object') {
    if (existing?.kind === 'object') {
      mergeObjects(existing, v);
      return;
    }
    if (existing?.kind === 'merge') {
      mergeObjects(existing.over, v);
      return;
    }
    if (existing && (existing.kind === 'subst' || existing.kind === 'concat')) {
      target.fields.set(key, { kind: 'merge', under: existing, over: v, pos: opts.pos });
      return;
    }
  } else if ((v.kind === 'subst' || v.kind === 'concat') && existing) {
    // Kept for `${?X}` left unset (the earlier value stays) and for object results (they merge with it).
    v.prev = existing;
  }
  target.fields.set(key, v);
}

/** Deep-merge `src` into `dst`, the fields of `src` winning. */
export function mergeObjects(dst: HObject, src: HObject): void {
  for (const [k, v] of src.fields) {
    assignField(dst, k, v, { pos: src.keyPos.get(k) ?? v.pos, path: [], append: false });
  }
}

function samePath(a: string[], b: string[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * HOCON.md "Self-referential substitutions": `path = ${path} ...` reads the value the field had before
 * this assignment, not the final one (which would be a cycle).
 */
function replaceSelfReferences(value: HNode, path: string[], existing: HNode | undefined): HNode {
  if (path.length === 0) return value;
  const swap = (s: HSubst): HNode | HSubst | undefined => {
    if (!samePath(s.path, path)) return s;
    if (existing) return existing;
    if (s.optional) return undefined;
    return { ...s, envOnly: true };
  };
  if (value.kind === 'subst') {
    return swap(value) ?? { kind: 'concat', parts: [], pos: value.pos };
  }
  if (value.kind === 'concat') {
    const parts = [];
    for (const p of value.parts) {
      if (p.kind !== 'subst') {
        parts.push(p);
        continue;
      }
      const r = swap(p);
      if (r) parts.push(r);
    }
    return { ...value, parts };
  }
  return value;
}
