/**
 * Recursive-descent parser for the data-type subset of OMG IDL 4.2 (§7.4.1 core data types, §7.4.13 extended
 * data types, §8 annotations) into a TypeModel. Names resolve at their use, innermost scope first (§7.5.2);
 * constant expressions are evaluated so bounds and array sizes are numbers. Every error is an IdlError naming
 * `file:line`.
 */
import { IdlError } from './errors.js';
import { lexIdl, type SourceHost, type Token } from './lexer.js';
import type { Decl, Extensibility, Member, Primitive, TypeModel, TypeRef, UnionCase } from './model.js';
import { ConstEval } from './const-eval.js';

interface Annotation {
  name: string;
  args: string;
}

const PRIMITIVES: Record<string, Primitive> = {
  boolean: 'boolean',
  char: 'char8',
  wchar: 'char16',
  octet: 'octet',
  int8: 'int8',
  uint8: 'uint8',
  int16: 'int16',
  uint16: 'uint16',
  int32: 'int32',
  uint32: 'uint32',
  int64: 'int64',
  uint64: 'uint64',
  short: 'int16',
  float: 'float32',
  double: 'float64',
};

const UNSUPPORTED = new Set(['interface', 'valuetype', 'bitmask', 'bitset', 'map', 'fixed', 'any', 'exception']);

export function parseIdl(entry: string, host: SourceHost): TypeModel {
  const { tokens, keylists } = lexIdl(entry, host);
  const parser = new Parser(tokens);
  parser.specification();
  const model: TypeModel = { decls: parser.decls };
  for (const k of keylists) {
    // the pragma usually sits inside the type's module (Cyclone's HelloWorld): match the name by its tail too
    const name = [...model.decls.keys()].find((n) => n === k.type || n.endsWith(`::${k.type}`)) ?? k.type;
    const decl = model.decls.get(name);
    if (decl?.kind !== 'struct') throw new IdlError(k.at, `#pragma keylist: ${k.type} is not a struct`);
    for (const field of k.fields) {
      const member = decl.members.find((m) => m.name === field);
      if (!member) throw new IdlError(k.at, `#pragma keylist: ${k.type} has no member ${field}`);
      member.key = true;
    }
  }
  return model;
}

class Parser {
  readonly decls = new Map<string, Decl>();
  readonly #forward = new Set<string>();
  readonly #tokens: Token[];
  #pos = 0;
  #scope: string[] = [];
  readonly #consts = new ConstEval(this.decls, (name, at) => this.lookup(name, this.#scope, at));

  constructor(tokens: Token[]) {
    this.#tokens = tokens;
  }

  specification(): void {
    while (this.#peek().kind !== 'eof') this.#definition();
  }

  /** Fully qualified name of a scoped name as written in `scope`, or an IdlError. */
  lookup(written: string, scope: string[], at: Token['at']): string {
    if (written.startsWith('::')) {
      const abs = written.slice(2);
      if (this.decls.has(abs) || this.#forward.has(abs)) return abs;
    } else {
      for (let n = scope.length; n >= 0; n--) {
        const candidate = [...scope.slice(0, n), written].join('::');
        if (this.decls.has(candidate) || this.#forward.has(candidate)) return candidate;
      }
    }
    throw new IdlError(at, `unknown type or constant ${written}`);
  }

  #peek(offset = 0): Token {
    return this.#tokens[Math.min(this.#pos + offset, this.#tokens.length - 1)];
  }

  #next(): Token {
    const t = this.#peek();
    if (t.kind !== 'eof') this.#pos++;
    return t;
  }

  #is(text: string): boolean {
    const t = this.#peek();
    return (t.kind === 'punct' || t.kind === 'ident') && t.text === text;
  }

  #accept(text: string): boolean {
    if (!this.#is(text)) return false;
    this.#pos++;
    return true;
  }

  #expect(text: string): Token {
    const t = this.#peek();
    if (!this.#accept(text)) throw new IdlError(t.at, `expected "${text}", got ${describe(t)}`);
    return t;
  }

  #ident(): Token {
    const t = this.#next();
    if (t.kind !== 'ident') throw new IdlError(t.at, `expected a name, got ${describe(t)}`);
    return t;
  }

  #qualified(name: string): string {
    return [...this.#scope, name].join('::');
  }

  #declare(decl: Decl): void {
    const existing = this.decls.get(decl.name);
    if (existing) {
      throw new IdlError(decl.at, `${decl.name} is already declared at ${existing.at.file}:${existing.at.line}`);
    }
    this.#forward.delete(decl.name);
    this.decls.set(decl.name, decl);
  }

  #annotations(): Annotation[] {
    const list: Annotation[] = [];
    while (this.#is('@')) {
      this.#next();
      let name = this.#ident().text;
      while (this.#accept('::')) name = this.#ident().text;
      let args = '';
      if (this.#accept('(')) {
        let depth = 1;
        const parts: string[] = [];
        while (depth > 0) {
          const t = this.#next();
          if (t.kind === 'eof') throw new IdlError(t.at, `unterminated @${name}(…)`);
          if (t.text === '(') depth++;
          if (t.text === ')') depth--;
          if (depth > 0) parts.push(t.text);
        }
        args = parts.join('');
      }
      list.push({ name, args });
    }
    return list;
  }

  #definition(): void {
    const annotations = this.#annotations();
    const t = this.#peek();
    if (t.kind !== 'ident') throw new IdlError(t.at, `expected a definition, got ${describe(t)}`);
    switch (t.text) {
      case 'module':
        this.#module();
        break;
      case 'struct':
        this.#struct(annotations);
        break;
      case 'union':
        this.#union(annotations);
        break;
      case 'enum':
        this.#enum();
        break;
      case 'typedef':
        this.#typedef();
        break;
      case 'const':
        this.#const();
        break;
      default:
        if (UNSUPPORTED.has(t.text)) throw new IdlError(t.at, `"${t.text}" is not supported by the DDS gateway`);
        throw new IdlError(t.at, `expected module, struct, union, enum, typedef or const, got ${describe(t)}`);
    }
    this.#expect(';');
  }

  #module(): void {
    this.#next();
    const name = this.#ident().text;
    this.#expect('{');
    this.#scope.push(name);
    while (!this.#is('}')) {
      if (this.#peek().kind === 'eof') throw new IdlError(this.#peek().at, `module ${name} is not closed`);
      this.#definition();
    }
    this.#next();
    this.#scope.pop();
  }

  #struct(annotations: Annotation[]): void {
    const at = this.#next().at;
    const name = this.#qualified(this.#ident().text);
    if (this.#is(';')) {
      if (!this.decls.has(name)) this.#forward.add(name);
      return;
    }
    let base: string | undefined;
    if (this.#accept(':')) {
      const b = this.#scopedName();
      base = this.lookup(b.text, this.#scope, b.at);
      if (this.decls.get(base)?.kind !== 'struct') throw new IdlError(b.at, `base type ${b.text} is not a struct`);
    }
    this.#expect('{');
    const members: Member[] = [];
    while (!this.#accept('}')) members.push(...this.#members());
    const names = new Set<string>();
    for (const m of members) {
      if (names.has(m.name)) throw new IdlError(m.at, `member ${m.name} is declared twice in ${name}`);
      names.add(m.name);
    }
    this.#declare({ kind: 'struct', name, base, members, extensibility: extensibilityOf(annotations, at), at });
  }

  #members(): Member[] {
    const annotations = this.#annotations();
    const type = this.#typeSpec();
    const list: Member[] = [];
    do {
      const d = this.#declarator();
      list.push({
        name: d.name,
        type,
        dims: d.dims,
        key: annotations.some((a) => a.name === 'key' && !/^\s*(FALSE|false)\s*$/.test(a.args)),
        optional: annotations.some((a) => a.name === 'optional' && !/^\s*(FALSE|false)\s*$/.test(a.args)),
        at: d.at,
      });
    } while (this.#accept(','));
    this.#expect(';');
    return list;
  }

  #declarator(): { name: string; dims: number[]; at: Token['at'] } {
    const t = this.#ident();
    const dims: number[] = [];
    while (this.#accept('[')) {
      const at = this.#peek().at;
      const n = this.#positive(at);
      dims.push(n);
      this.#expect(']');
    }
    return { name: t.text, dims, at: t.at };
  }

  #positive(at: Token['at'], inAngle = false): number {
    const v = this.#consts.expression(
      () => this.#next(),
      () => this.#peek(),
      false,
      inAngle,
    );
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new IdlError(at, `expected a positive integer, got ${String(v)}`);
    }
    return v;
  }

  #union(annotations: Annotation[]): void {
    const at = this.#next().at;
    const name = this.#qualified(this.#ident().text);
    if (this.#is(';')) {
      this.#forward.add(name);
      return;
    }
    this.#expect('switch');
    this.#expect('(');
    this.#annotations();
    const discriminator = this.#typeSpec();
    this.#expect(')');
    this.#expect('{');
    const cases: UnionCase[] = [];
    while (!this.#accept('}')) {
      const labels: (number | string | boolean)[] = [];
      let isDefault = false;
      while (this.#is('case') || this.#is('default')) {
        if (this.#next().text === 'default') isDefault = true;
        else
          labels.push(
            this.#consts.expression(
              () => this.#next(),
              () => this.#peek(),
              true,
            ),
          );
        this.#expect(':');
      }
      if (labels.length === 0 && !isDefault) throw new IdlError(this.#peek().at, 'expected case or default');
      const [member, ...more] = this.#members();
      if (more.length > 0) throw new IdlError(member.at, 'one member per union case');
      cases.push({ labels, isDefault, member });
    }
    this.#declare({ kind: 'union', name, discriminator, cases, extensibility: extensibilityOf(annotations, at), at });
  }

  #enum(): void {
    const at = this.#next().at;
    const name = this.#qualified(this.#ident().text);
    this.#expect('{');
    const enumerators: { name: string; value: number }[] = [];
    let next = 0;
    do {
      const annotations = this.#annotations();
      const e = this.#ident();
      const value = annotations.find((a) => a.name === 'value');
      if (value) next = Number(value.args);
      if (!Number.isInteger(next)) throw new IdlError(e.at, `@value(${value?.args}) is not an integer`);
      enumerators.push({ name: e.text, value: next++ });
    } while (this.#accept(',') && !this.#is('}'));
    this.#expect('}');
    this.#declare({ kind: 'enum', name, enumerators, at });
    // IDL 4.2 §7.4.1.4.4.4: enumerators are names in the enclosing scope (used as union labels and constants).
    for (const e of enumerators) {
      this.#consts.enumerators.set(this.#qualified(e.name), { enumName: name, name: e.name, value: e.value });
    }
  }

  #typedef(): void {
    this.#next();
    const type = this.#typeSpec();
    do {
      const d = this.#declarator();
      this.#declare({ kind: 'typedef', name: this.#qualified(d.name), type, dims: d.dims, at: d.at });
    } while (this.#accept(','));
  }

  #const(): void {
    this.#next();
    const type = this.#typeSpec();
    const name = this.#ident();
    this.#expect('=');
    const value = this.#consts.expression(
      () => this.#next(),
      () => this.#peek(),
    );
    this.#declare({ kind: 'const', name: this.#qualified(name.text), type, value, at: name.at });
  }

  #scopedName(): Token {
    const first = this.#peek();
    let text = '';
    if (this.#accept('::')) text = '::';
    text += this.#ident().text;
    while (this.#accept('::')) text += '::' + this.#ident().text;
    return { kind: 'ident', text, at: first.at };
  }

  #bound(): number | undefined {
    if (!this.#accept('<')) return undefined;
    const n = this.#positive(this.#peek().at, true);
    this.#closeAngle();
    return n;
  }

  /** `>` closing a template; `>>` closes two (`sequence<sequence<long>>`), so it is split in place. */
  #closeAngle(): void {
    const t = this.#peek();
    if (t.kind === 'punct' && t.text === '>>') {
      this.#tokens[this.#pos] = { ...t, text: '>' };
      return;
    }
    this.#expect('>');
  }

  #typeSpec(): TypeRef {
    const t = this.#peek();
    if (t.kind !== 'ident' && !(t.kind === 'punct' && t.text === '::')) {
      throw new IdlError(t.at, `expected a type, got ${describe(t)}`);
    }
    if (t.text === 'sequence') {
      this.#next();
      this.#expect('<');
      const element = this.#typeSpec();
      let bound: number | undefined;
      if (this.#accept(',')) bound = this.#positive(this.#peek().at, true);
      this.#closeAngle();
      return { kind: 'sequence', element, bound };
    }
    if (t.text === 'string' || t.text === 'wstring') {
      this.#next();
      return { kind: 'string', wide: t.text === 'wstring', bound: this.#bound() };
    }
    if (t.text === 'unsigned') {
      this.#next();
      const base = this.#integer();
      return { kind: 'primitive', name: `u${base}` as Primitive };
    }
    if (t.text === 'long') {
      this.#next();
      return { kind: 'primitive', name: this.#longTail() };
    }
    if (UNSUPPORTED.has(t.text)) throw new IdlError(t.at, `"${t.text}" is not supported by the DDS gateway`);
    const p = PRIMITIVES[t.text];
    if (p) {
      this.#next();
      return { kind: 'primitive', name: p };
    }
    const n = this.#scopedName();
    const name = this.lookup(n.text, this.#scope, n.at);
    const decl = this.decls.get(name);
    if (decl?.kind === 'const') throw new IdlError(n.at, `${n.text} is a constant, not a type`);
    return { kind: 'named', name };
  }

  /** After `long`: `long` → int32, `long long` → int64, `long double` → float128. */
  #longTail(): Primitive {
    if (this.#accept('long')) return 'int64';
    if (this.#accept('double')) return 'float128';
    return 'int32';
  }

  /** After `unsigned`: short, long, long long → int16/int32/int64 (the caller prefixes the u). */
  #integer(): 'int16' | 'int32' | 'int64' {
    const t = this.#next();
    if (t.text === 'short') return 'int16';
    if (t.text === 'long') return this.#accept('long') ? 'int64' : 'int32';
    throw new IdlError(t.at, `expected short or long after unsigned, got ${describe(t)}`);
  }
}

function extensibilityOf(annotations: Annotation[], at: Token['at']): Extensibility | undefined {
  let result: Extensibility | undefined;
  for (const a of annotations) {
    const kind =
      a.name === 'extensibility'
        ? a.args.trim().toLowerCase()
        : ['final', 'appendable', 'mutable'].find((k) => k === a.name);
    if (kind === undefined) continue;
    if (kind !== 'final' && kind !== 'appendable' && kind !== 'mutable') {
      throw new IdlError(at, `@extensibility(${a.args}): expected FINAL, APPENDABLE or MUTABLE`);
    }
    result = kind;
  }
  return result;
}

function describe(t: Token): string {
  return t.kind === 'eof' ? 'end of file' : JSON.stringify(t.text);
}
