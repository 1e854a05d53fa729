/**
 * Constant expressions of IDL 4.2 §7.4.1.4.3 (`const_expr`): integer and floating literals, strings, chars,
 * TRUE/FALSE, references to constants and enumerators, unary - + ~, and the binary operators by precedence
 * | ^ & << >> + - * / %. Integers are JS numbers (exact to 2^53, which covers every bound and array size).
 */
import { IdlError } from './errors.js';
import type { Decl } from './model.js';
import type { Token } from './lexer.js';

type Value = number | string | boolean;

const LEVELS: readonly (readonly string[])[] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];

export class ConstEval {
  readonly enumerators = new Map<string, { enumName: string; name: string; value: number }>();
  readonly #decls: Map<string, Decl>;
  readonly #lookup: (name: string, at: Token['at']) => string;

  constructor(decls: Map<string, Decl>, lookup: (name: string, at: Token['at']) => string) {
    this.#decls = decls;
    this.#lookup = lookup;
  }

  /** Evaluates one expression; `label` keeps an enumerator as its name (union case labels). */
  expression(next: () => Token, peek: () => Token, label = false, inAngle = false): Value {
    const ctx = { next, peek, label, inAngle };
    return this.#binary(ctx, 0);
  }

  #binary(ctx: Ctx, level: number): Value {
    if (level === LEVELS.length) return this.#unary(ctx);
    let left = this.#binary(ctx, level + 1);
    for (;;) {
      const t = ctx.peek();
      if (t.kind !== 'punct' || !LEVELS[level].includes(t.text)) return left;
      // inside `<…>` a `>>` closes two template lists (`sequence<sequence<long, 5>>`), it is no shift
      if (ctx.inAngle && t.text === '>>') return left;
      ctx.next();
      const right = this.#binary(ctx, level + 1);
      left = apply(t, left, right);
    }
  }

  #unary(ctx: Ctx): Value {
    const t = ctx.peek();
    if (t.kind === 'punct' && (t.text === '-' || t.text === '+' || t.text === '~')) {
      ctx.next();
      const v = this.#unary(ctx);
      if (typeof v !== 'number') throw new IdlError(t.at, `unary ${t.text} needs a number`);
      return t.text === '-' ? -v : t.text === '+' ? v : ~v;
    }
    return this.#primary(ctx);
  }

  #primary(ctx: Ctx): Value {
    const t = ctx.next();
    if (t.kind === 'number') return parseNumber(t);
    if (t.kind === 'string') return t.text;
    if (t.kind === 'char') return t.text;
    if (t.kind === 'punct' && t.text === '(') {
      const v = this.#binary(ctx, 0);
      const close = ctx.next();
      if (close.text !== ')') throw new IdlError(close.at, `expected ")", got ${JSON.stringify(close.text)}`);
      return v;
    }
    if (t.kind === 'ident' && (t.text === 'TRUE' || t.text === 'FALSE')) return t.text === 'TRUE';
    if (t.kind === 'ident' || (t.kind === 'punct' && t.text === '::')) {
      let name = t.text;
      if (name === '::') name += ctx.next().text;
      while (ctx.peek().text === '::') {
        ctx.next();
        name += '::' + ctx.next().text;
      }
      return this.#named(name, t, ctx.label);
    }
    throw new IdlError(
      t.at,
      `expected a constant expression, got ${t.kind === 'eof' ? 'end of file' : JSON.stringify(t.text)}`,
    );
  }

  #named(written: string, t: Token, label: boolean): Value {
    // enumerators live in the scope enclosing their enum, like constants
    for (const [fq, e] of this.enumerators) {
      if (fq === written || fq.endsWith(`::${written}`) || (written.startsWith('::') && fq === written.slice(2))) {
        return label ? e.name : e.value;
      }
    }
    const fq = this.#lookup(written, t.at);
    const decl = this.#decls.get(fq);
    if (decl?.kind !== 'const') throw new IdlError(t.at, `${written} is not a constant`);
    return decl.value;
  }
}

interface Ctx {
  next: () => Token;
  peek: () => Token;
  label: boolean;
  inAngle: boolean;
}

function parseNumber(t: Token): number {
  const text = t.text.replace(/[dDlLuU]+$/, '');
  const v = /^0[xX]/.test(text) ? parseInt(text, 16) : /^0\d+$/.test(text) ? parseInt(text, 8) : Number(text);
  if (!Number.isFinite(v)) throw new IdlError(t.at, `bad number ${t.text}`);
  return v;
}

function apply(op: Token, a: Value, b: Value): number {
  if (typeof a !== 'number' || typeof b !== 'number') throw new IdlError(op.at, `operator ${op.text} needs numbers`);
  switch (op.text) {
    case '|':
      return a | b;
    case '^':
      return a ^ b;
    case '&':
      return a & b;
    case '<<':
      return a * 2 ** b;
    case '>>':
      return Math.floor(a / 2 ** b);
    case '+':
      return a + b;
    case '-':
      return a - b;
    case '*':
      return a * b;
    case '/':
      if (b === 0) throw new IdlError(op.at, 'division by zero');
      return Number.isInteger(a) && Number.isInteger(b) ? Math.trunc(a / b) : a / b;
    default:
      if (b === 0) throw new IdlError(op.at, 'division by zero');
      return a % b;
  }
}
