/**
 * HOCON tokenizer (https://github.com/lightbend/config/blob/main/HOCON.md). Keeps the position of every
 * token; comments are dropped but the newline that ends them is kept, because newlines separate fields.
 */
import { syntaxError, type SourcePosition } from './hocon-types.js';

export type Punct = '{' | '}' | '[' | ']' | ',' | '=' | ':' | '+=';

export type Token =
  | { t: 'nl'; pos: SourcePosition }
  | { t: 'ws'; text: string; pos: SourcePosition }
  | { t: 'punct'; v: Punct; pos: SourcePosition }
  | { t: 'quoted'; v: string; pos: SourcePosition }
  | { t: 'unquoted'; v: string; pos: SourcePosition }
  | { t: 'subst'; path: string[]; optional: boolean; pos: SourcePosition }
  | { t: 'eof'; pos: SourcePosition };

// HOCON.md "Unquoted strings": these may not appear in an unquoted string.
const FORBIDDEN = new Set([...'$"{}[]:=,+#`^?!@*&\\']);
const PUNCT = new Set([...'{}[],=:']);
const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };

function isSpace(c: string): boolean {
  return c !== '\n' && /\s|\uFEFF/.test(c);
}

export function tokenize(text: string, file: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  let line = 1;
  let col = 1;
  const here = (): SourcePosition => ({ file, line, col });
  const advance = (n: number): void => {
    for (let k = 0; k < n; k++) {
      if (text[i] === '\n') {
        line++;
        col = 1;
      } else col++;
      i++;
    }
  };

  const readQuoted = (pos: SourcePosition): string => {
    advance(1);
    let s = '';
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') throw syntaxError(pos, 'unterminated quoted string');
      if (c === '"') {
        advance(1);
        return s;
      }
      if (c === '\\') {
        const e = text[i + 1];
        if (e === 'u') {
          const hex = text.slice(i + 2, i + 6);
          if (!/^[0-9a-fA-F]{4}$/.test(hex)) throw syntaxError(here(), 'bad \\u escape, expected 4 hex digits');
          s += String.fromCharCode(parseInt(hex, 16));
          advance(6);
          continue;
        }
        if (e === undefined || !(e in ESCAPES)) throw syntaxError(here(), `bad escape '\\${e ?? ''}' in quoted string`);
        s += ESCAPES[e];
        advance(2);
        continue;
      }
      s += c;
      advance(1);
    }
  };

  const readTriple = (pos: SourcePosition): string => {
    const end = text.indexOf('"""', i + 3);
    if (end < 0) throw syntaxError(pos, 'unterminated """ string');
    // HOCON.md "Multi-line strings": extra quotes before the closing """ belong to the string.
    let close = end;
    while (text[close + 3] === '"') close++;
    const s = text.slice(i + 3, close);
    advance(close + 3 - i);
    return s;
  };

  const readSubst = (pos: SourcePosition): { path: string[]; optional: boolean } => {
    advance(2);
    const optional = text[i] === '?';
    if (optional) advance(1);
    const segs: string[] = [];
    let cur = '';
    let curQuoted = false;
    const endSeg = (at: SourcePosition): void => {
      if (cur === '' && !curQuoted) throw syntaxError(at, 'empty path element in substitution');
      segs.push(cur);
      cur = '';
      curQuoted = false;
    };
    while (i < text.length && isSpace(text[i])) advance(1);
    for (;;) {
      const c = text[i];
      if (c === undefined || c === '\n') throw syntaxError(pos, 'unterminated substitution, expected }');
      if (c === '}') {
        endSeg(here());
        advance(1);
        return { path: segs, optional };
      }
      if (c === '"') {
        cur += readQuoted(here());
        curQuoted = true;
        continue;
      }
      if (c === '.') {
        endSeg(here());
        advance(1);
        continue;
      }
      if (isSpace(c)) {
        while (i < text.length && isSpace(text[i])) advance(1);
        if (text[i] !== '}') throw syntaxError(here(), 'whitespace inside a substitution path; quote the key');
        continue;
      }
      if (FORBIDDEN.has(c))
        throw syntaxError(here(), `character '${c}' is not allowed in a substitution path; quote it`);
      cur += c;
      advance(1);
    }
  };

  while (i < text.length) {
    const c = text[i];
    const pos = here();
    if (c === '\n') {
      out.push({ t: 'nl', pos });
      advance(1);
      continue;
    }
    if (isSpace(c)) {
      const start = i;
      while (i < text.length && isSpace(text[i])) advance(1);
      out.push({ t: 'ws', text: text.slice(start, i), pos });
      continue;
    }
    if (c === '#' || (c === '/' && text[i + 1] === '/')) {
      while (i < text.length && text[i] !== '\n') advance(1);
      continue;
    }
    if (c === '"') {
      const v = text.startsWith('"""', i) ? readTriple(pos) : readQuoted(pos);
      out.push({ t: 'quoted', v, pos });
      continue;
    }
    if (c === '+') {
      if (text[i + 1] !== '=') throw syntaxError(pos, "'+' is only allowed as '+='; quote the value");
      out.push({ t: 'punct', v: '+=', pos });
      advance(2);
      continue;
    }
    if (PUNCT.has(c)) {
      out.push({ t: 'punct', v: c as Punct, pos });
      advance(1);
      continue;
    }
    if (c === '$') {
      if (text[i + 1] !== '{') throw syntaxError(pos, "'$' must start a substitution '${...}'; quote the value");
      out.push({ t: 'subst', ...readSubst(pos), pos });
      continue;
    }
    if (FORBIDDEN.has(c)) throw syntaxError(pos, `reserved character '${c}' is not allowed outside quotes`);
    const start = i;
    while (i < text.length) {
      const d = text[i];
      if (d === '\n' || isSpace(d) || FORBIDDEN.has(d) || (d === '/' && text[i + 1] === '/')) break;
      advance(1);
    }
    out.push({ t: 'unquoted', v: text.slice(start, i), pos });
  }
  out.push({ t: 'eof', pos: here() });
  return out;
}
