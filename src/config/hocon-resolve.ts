/**
 * Turns the parsed tree into plain values: resolves `${path}` against the whole merged document
 * (HOCON.md "Substitutions"), falls back to the environment, evaluates value concatenations, and
 * records the source position of every path.
 */
import {
  substitutionError,
  syntaxError,
  type HConcat,
  type HNode,
  type HObject,
  type HSubst,
  type SourcePosition,
} from './hocon-types.js';

const UNDEFINED = Symbol('undefined');
type Resolved = unknown;

export function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Own data property even for `__proto__`, so config keys can never touch a prototype. */
export function setOwn(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** New object: `over` deep-merged onto `under`; neither input is changed. */
export function deepMerge(under: Record<string, unknown>, over: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(under)) setOwn(out, k, v);
  for (const [k, v] of Object.entries(over)) {
    const base = Object.hasOwn(out, k) ? out[k] : undefined;
    setOwn(out, k, isPlainObject(base) && isPlainObject(v) ? deepMerge(base, v) : v);
  }
  return out;
}

export class Resolver {
  readonly #memo = new Map<HNode, Resolved>();
  readonly #active = new Set<HNode>();

  constructor(
    private readonly root: HObject,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  /** The value a node resolved to (after resolveRoot), for position bookkeeping. */
  resolvedValue(node: HNode): unknown {
    const v = this.#memo.get(node);
    return v === UNDEFINED ? undefined : v;
  }

  resolveRoot(): Record<string, unknown> {
    const v = this.resolve(this.root);
    return isPlainObject(v) ? v : {};
  }

  private resolve(node: HNode): Resolved {
    if (this.#memo.has(node)) return this.#memo.get(node);
    if (this.#active.has(node)) throw substitutionError(node.pos, 'substitution cycle: this value refers to itself');
    this.#active.add(node);
    try {
      const v = this.compute(node);
      this.#memo.set(node, v);
      return v;
    } finally {
      this.#active.delete(node);
    }
  }

  private compute(node: HNode): Resolved {
    switch (node.kind) {
      case 'scalar':
        return node.value;
      case 'object': {
        const out: Record<string, unknown> = {};
        for (const [k, child] of node.fields) {
          const v = this.resolve(child);
          if (v !== UNDEFINED) setOwn(out, k, v);
        }
        return out;
      }
      case 'array':
        return node.items.map((n) => this.resolve(n)).filter((v) => v !== UNDEFINED);
      case 'merge': {
        const under = this.resolve(node.under);
        const over = this.resolve(node.over) as Record<string, unknown>;
        return isPlainObject(under) ? deepMerge(under, over) : over;
      }
      case 'subst':
        return this.withPrevious(node, this.substitute(node));
      case 'concat':
        return this.withPrevious(node, this.concatenate(node));
    }
  }

  /**
   * An unset `${?X}` leaves the earlier value of the field in place; an object result merges with an
   * earlier object (HOCON.md "Duplicate keys and object merging").
   */
  private withPrevious(node: HSubst | HConcat, v: Resolved): Resolved {
    if (!node.prev) return v;
    if (v === UNDEFINED) return this.resolve(node.prev);
    if (!isPlainObject(v)) return v;
    const prev = this.resolve(node.prev);
    return isPlainObject(prev) ? deepMerge(prev, v) : v;
  }

  private substitute(s: HSubst): Resolved {
    if (!s.envOnly) {
      const found = this.lookup(s.path);
      if (found !== UNDEFINED) return found;
      // Included files' paths are fixed up to the include point; a miss there falls back to the root.
      if (s.path.length !== s.written.length) {
        const fromRoot = this.lookup(s.written);
        if (fromRoot !== UNDEFINED) return fromRoot;
      }
    }
    const name = s.written.join('.');
    // HOCON.md "Substitution fallback to environment variables".
    const fromEnv = this.env[name];
    if (fromEnv !== undefined) return fromEnv;
    if (s.optional) return UNDEFINED;
    throw substitutionError(s.pos, `cannot resolve \${${name}}: no such key and no environment variable ${name}`);
  }

  private lookup(path: string[]): Resolved {
    let node: HNode = this.root;
    let i = 0;
    for (; i < path.length && node.kind === 'object'; i++) {
      const next = node.fields.get(path[i]);
      if (!next) return UNDEFINED;
      node = next;
    }
    let value = this.resolve(node);
    for (; i < path.length; i++) {
      if (!isPlainObject(value) || !Object.hasOwn(value, path[i])) return UNDEFINED;
      value = value[path[i]];
    }
    return value;
  }

  /** HOCON.md "Value concatenation": all objects merge, all arrays append, otherwise one string. */
  private concatenate(node: HConcat): Resolved {
    const values: { v: Resolved; text: string }[] = [];
    let text = '';
    let pendingSpace = '';
    for (const part of node.parts) {
      if (part.kind === 'space') {
        if (values.length) pendingSpace += part.text;
        continue;
      }
      const v = this.resolve(part);
      if (v === UNDEFINED) continue;
      const piece = part.kind === 'scalar' ? part.text : stringOf(v);
      text += (values.length ? pendingSpace : '') + piece;
      pendingSpace = '';
      values.push({ v, text: piece });
    }
    if (values.length === 0) return UNDEFINED;
    if (values.length === 1) return values[0].v;
    if (values.every((x) => isPlainObject(x.v))) {
      return values
        .slice(1)
        .reduce<Record<string, unknown>>(
          (acc, x) => deepMerge(acc, x.v as Record<string, unknown>),
          values[0].v as Record<string, unknown>,
        );
    }
    if (values.every((x) => Array.isArray(x.v))) return values.flatMap((x) => x.v as unknown[]);
    if (values.some((x) => typeof x.v === 'object' && x.v !== null)) {
      throw syntaxError(
        node.pos,
        'cannot concatenate an object or array with a string; put a newline or comma between values',
      );
    }
    return text;
  }
}

function stringOf(v: unknown): string {
  return v === null ? 'null' : String(v);
}

export function pathKey(path: readonly (string | number)[]): string {
  return path.map(String).join('\u0000');
}

/** Bounds the paths marked below substitutions: a substituted value may be a large DAG. */
const MAX_MARKED = 100_000;

/**
 * Position of every path written in the tree; later writes win, like the values. Keys that arrived
 * through a substitution get the position of the substitution.
 */
export function collectPositions(root: HObject, resolvedOf: (node: HNode) => unknown): Map<string, SourcePosition> {
  const out = new Map<string, SourcePosition>();
  let marked = 0;
  const mark = (value: unknown, path: string[], pos: SourcePosition): void => {
    const entries = Array.isArray(value)
      ? value.map((v, i) => [String(i), v] as const)
      : isPlainObject(value)
        ? Object.entries(value)
        : [];
    for (const [k, v] of entries) {
      if (++marked > MAX_MARKED) return;
      out.set(pathKey([...path, k]), pos);
      mark(v, [...path, k], pos);
    }
  };
  // Records the positions of the paths below `path`; the caller records `path` itself.
  const visit = (node: HNode, path: string[]): void => {
    switch (node.kind) {
      case 'object':
        for (const [k, child] of node.fields) {
          const childPath = [...path, k];
          visit(child, childPath);
          out.set(pathKey(childPath), node.keyPos.get(k) ?? child.pos);
        }
        break;
      case 'array':
        node.items.forEach((child, i) => {
          const childPath = [...path, String(i)];
          visit(child, childPath);
          out.set(pathKey(childPath), child.pos);
        });
        break;
      case 'merge':
        visit(node.under, path);
        visit(node.over, path);
        break;
      case 'concat':
        if (node.prev) visit(node.prev, path);
        mark(resolvedOf(node), path, node.pos);
        for (const p of node.parts) if (p.kind === 'object') visit(p, path);
        break;
      case 'subst':
        if (node.prev) visit(node.prev, path);
        mark(resolvedOf(node), path, node.pos);
        break;
      default:
        break;
    }
  };
  out.set(pathKey([]), root.pos);
  visit(root, []);
  return out;
}
