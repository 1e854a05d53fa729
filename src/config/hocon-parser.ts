/**
 * HOCON parser: tokens → unresolved value tree (hocon-types.ts). Repeated keys merge as they are read
 * (HOCON.md "Duplicate keys and object merging"), includes are parsed in place, substitutions stay
 * unresolved until the whole tree is known (hocon-resolve.ts).
 */
import { tokenize, type Token } from './hocon-lexer.js';
import { assignField, descend } from './hocon-merge.js';
import {
  syntaxError,
  type HArray,
  type HNode,
  type HObject,
  type HScalar,
  type HSpace,
  type SourcePosition,
} from './hocon-types.js';
import { readInclude } from './hocon-include.js';

const MAX_DEPTH = 200;
const NUMBER_RE = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

export interface ParseContext {
  /** Files currently being included, outermost first, to reject include cycles. */
  includeStack: string[];
  /** Every file read, in order. */
  files: string[];
}

export function parseInto(target: HObject, text: string, file: string, basePath: string[], ctx: ParseContext): void {
  new Parser(tokenize(text.replace(/^\uFEFF/, ''), file), file, basePath, ctx).parseRoot(target);
}

class Parser {
  #i = 0;
  #depth = 0;

  constructor(
    private readonly toks: Token[],
    private readonly file: string,
    /** Path of the object this file is parsed into: an included file's substitutions are relative to it. */
    private readonly basePath: string[],
    private readonly ctx: ParseContext,
  ) {}

  parseRoot(target: HObject): void {
    this.skip(true);
    if (this.isPunct('{')) {
      this.#i++;
      this.parseFields(target, this.basePath, '}');
      this.#i++;
      this.skip(true);
      if (this.peek().t !== 'eof') this.fail(this.peek().pos, 'unexpected content after the closing }');
    } else {
      this.parseFields(target, this.basePath, 'eof');
    }
  }

  private peek(): Token {
    return this.toks[this.#i];
  }
  private isPunct(v: string): boolean {
    const t = this.peek();
    return t.t === 'punct' && t.v === v;
  }
  private skip(newlines: boolean): void {
    for (let t = this.peek(); t.t === 'ws' || (newlines && t.t === 'nl'); t = this.peek()) this.#i++;
  }
  private fail(pos: SourcePosition, message: string): never {
    throw syntaxError(pos, message);
  }
  private describe(t: Token): string {
    switch (t.t) {
      case 'eof':
        return 'end of file';
      case 'nl':
        return 'end of line';
      case 'punct':
        return `'${t.v}'`;
      case 'quoted':
        return `"${t.v}"`;
      case 'unquoted':
        return `'${t.v}'`;
      case 'subst':
        return 'a substitution';
      default:
        return 'whitespace';
    }
  }

  private enter(pos: SourcePosition): void {
    if (++this.#depth > MAX_DEPTH) this.fail(pos, `nesting deeper than ${MAX_DEPTH} levels`);
  }

  /** Fields until `close` (not consumed). HOCON.md: fields are separated by newlines or commas. */
  private parseFields(target: HObject, path: string[], close: '}' | 'eof'): void {
    for (;;) {
      this.skip(true);
      const t = this.peek();
      if (close === '}' ? this.isPunct('}') : t.t === 'eof') return;
      if (t.t === 'eof') this.fail(t.pos, 'unterminated object, expected }');
      if (t.t === 'unquoted' && t.v === 'include' && this.isInclude()) this.parseInclude(target, path);
      else this.parseField(target, path);
      this.skip(false);
      const sep = this.peek();
      if (sep.t === 'nl') continue;
      if (sep.t === 'punct' && sep.v === ',') {
        this.#i++;
        continue;
      }
      if (close === '}' ? this.isPunct('}') : sep.t === 'eof') return;
      this.fail(
        sep.pos,
        `expected a newline, ',' or ${close === '}' ? "'}'" : 'end of file'} after a field, got ${this.describe(sep)}`,
      );
    }
  }

  private isInclude(): boolean {
    const next = this.toks[this.#i + 1];
    const after = this.toks[this.#i + 2];
    return (
      next?.t === 'ws' &&
      (after?.t === 'quoted' || (after?.t === 'unquoted' && /^(required|file|url|classpath)\(/.test(after.v)))
    );
  }

  /** HOCON.md "Includes": include "f" | include file("f") | include required("f") | include required(file("f")). */
  private parseInclude(target: HObject, path: string[]): void {
    const pos = this.peek().pos;
    this.#i += 2;
    const wrappers: string[] = [];
    const head = this.peek();
    if (head.t === 'unquoted') {
      // '(' is legal in unquoted text, so `required(file(` arrives as one token.
      if (!/^(?:[a-z]+\()+$/.test(head.v)) this.fail(head.pos, 'expected include "file" or include required("file")');
      for (const w of head.v.split('(').slice(0, -1)) {
        if (w !== 'required' && w !== 'file')
          this.fail(head.pos, `include ${w}(...) is not supported; use a file path`);
        wrappers.push(w);
      }
      this.#i++;
      this.skip(false);
    }
    const name = this.peek();
    if (name.t !== 'quoted') this.fail(name.pos, 'include needs a quoted file name');
    this.#i++;
    let closing = ')'.repeat(wrappers.length);
    while (closing.length > 0) {
      this.skip(false);
      const t = this.peek();
      if (t.t !== 'unquoted' || !closing.startsWith(t.v))
        this.fail(t.pos, `expected '${closing}' to close the include`);
      closing = closing.slice(t.v.length);
      this.#i++;
    }
    const required = wrappers.includes('required');
    readInclude({ from: this.file, name: name.v, required, pos }, this.ctx, (text, file) => {
      // Included keys land in the object holding the include; their substitutions are fixed up to it.
      parseInto(target, text, file, path, this.ctx);
    });
  }

  private parseKey(): { segments: string[]; pos: SourcePosition } {
    const pos = this.peek().pos;
    const segments: string[] = [];
    let cur = '';
    let hasContent = false;
    for (let t = this.peek(); t.t === 'unquoted' || t.t === 'quoted'; t = this.peek()) {
      if (t.t === 'quoted') {
        cur += t.v;
        hasContent = true;
      } else {
        for (const c of t.v) {
          if (c !== '.') {
            cur += c;
            hasContent = true;
            continue;
          }
          if (!hasContent) this.fail(t.pos, `empty element in key path '${t.v}'`);
          segments.push(cur);
          cur = '';
          hasContent = false;
        }
      }
      this.#i++;
    }
    if (!hasContent)
      this.fail(
        this.peek().pos,
        segments.length ? 'key path ends with "."' : `expected a key, got ${this.describe(this.peek())}`,
      );
    segments.push(cur);
    return { segments, pos };
  }

  private parseField(target: HObject, path: string[]): void {
    const { segments, pos } = this.parseKey();
    this.skip(false);
    const sep = this.peek();
    let append = false;
    if (sep.t === 'punct' && (sep.v === '=' || sep.v === ':' || sep.v === '+=')) {
      append = sep.v === '+=';
      this.#i++;
      this.skip(true);
    } else if (!(sep.t === 'punct' && sep.v === '{')) {
      const hint =
        sep.t === 'ws' || sep.t === 'unquoted' || sep.t === 'quoted' ? ' (keys with spaces must be quoted)' : '';
      this.fail(
        sep.pos,
        `expected '=', ':' or '{' after key '${segments.join('.')}', got ${this.describe(sep)}${hint}`,
      );
    }
    const fieldPath = [...path, ...segments];
    if (fieldPath.length > MAX_DEPTH) this.fail(pos, `key path deeper than ${MAX_DEPTH} levels`);
    const value = this.parseValue(fieldPath);
    const holder = descend(target, segments.slice(0, -1), pos);
    assignField(holder, segments[segments.length - 1], value, { pos, path: fieldPath, append });
  }

  /** One value, or a concatenation of several on the same line (HOCON.md "Value concatenation"). */
  private parseValue(path: string[]): HNode {
    const parts: (HNode | HSpace)[] = [];
    const pos = this.peek().pos;
    for (;;) {
      const t = this.peek();
      if (t.t === 'ws') {
        if (parts.length) parts.push({ kind: 'space', text: t.text });
        this.#i++;
        continue;
      }
      const part = this.parseSingle(t, path);
      if (!part) break;
      parts.push(part);
    }
    while (parts.length && parts[parts.length - 1].kind === 'space') parts.pop();
    if (parts.length === 0) this.fail(pos, `expected a value, got ${this.describe(this.peek())}`);
    if (parts.length === 1) {
      const only = parts[0] as HNode;
      if (only.kind === 'scalar' && !only.quoted) return typedScalar(only);
      return only;
    }
    return { kind: 'concat', parts, pos };
  }

  private parseSingle(t: Token, path: string[]): HNode | undefined {
    switch (t.t) {
      case 'quoted':
        this.#i++;
        return { kind: 'scalar', value: t.v, text: t.v, quoted: true, pos: t.pos };
      case 'unquoted':
        this.#i++;
        return { kind: 'scalar', value: t.v, text: t.v, quoted: false, pos: t.pos };
      case 'subst':
        this.#i++;
        return {
          kind: 'subst',
          path: [...this.basePath, ...t.path],
          written: t.path,
          optional: t.optional,
          envOnly: false,
          pos: t.pos,
        };
      case 'punct':
        if (t.v === '{') return this.parseObject(path);
        if (t.v === '[') return this.parseArray(path);
        if (t.v === ':' || t.v === '=')
          this.fail(t.pos, `'${t.v}' is not allowed in an unquoted value; quote the value`);
        return undefined;
      default:
        return undefined;
    }
  }

  private parseObject(path: string[]): HObject {
    const open = this.peek();
    this.enter(open.pos);
    this.#i++;
    const obj: HObject = { kind: 'object', fields: new Map(), keyPos: new Map(), pos: open.pos };
    this.parseFields(obj, path, '}');
    this.#i++;
    this.#depth--;
    return obj;
  }

  private parseArray(path: string[]): HArray {
    const open = this.peek();
    this.enter(open.pos);
    this.#i++;
    const arr: HArray = { kind: 'array', items: [], pos: open.pos };
    for (;;) {
      this.skip(true);
      if (this.isPunct(']')) break;
      if (this.peek().t === 'eof') this.fail(open.pos, 'unterminated array, expected ]');
      arr.items.push(this.parseValue([...path, String(arr.items.length)]));
      this.skip(false);
      if (this.isPunct(',')) {
        this.#i++;
        continue;
      }
      if (this.peek().t === 'nl' || this.isPunct(']')) continue;
      this.fail(this.peek().pos, `expected ',', a newline or ']' in array, got ${this.describe(this.peek())}`);
    }
    this.#i++;
    this.#depth--;
    return arr;
  }
}

/** A lone unquoted token is a number, boolean or null when it spells one (HOCON.md "Unquoted strings"). */
function typedScalar(s: HScalar): HScalar {
  if (s.text === 'true' || s.text === 'false') return { ...s, value: s.text === 'true' };
  if (s.text === 'null') return { ...s, value: null };
  if (NUMBER_RE.test(s.text)) return { ...s, value: Number(s.text) };
  return s;
}
