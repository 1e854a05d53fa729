/**
 * IDL tokens (OMG IDL 4.2 §7.2) with a small preprocessor: `#include "f"`/`<f>` (each file once, as
 * `#pragma once` would), `#define NAME [value]` without arguments, `#ifdef`/`#ifndef`/`#else`/`#endif` (include
 * guards), `#pragma keylist Type field…` (the OpenSplice/Cyclone legacy key syntax); other pragmas are ignored.
 * File access goes through `readFile` so the lexer stays pure and testable.
 */
import { IdlError } from './errors.js';
import type { Position } from './model.js';

export type TokenKind = 'ident' | 'number' | 'string' | 'char' | 'punct' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  readonly text: string;
  readonly at: Position;
}

export interface Keylist {
  readonly type: string;
  readonly fields: readonly string[];
  readonly at: Position;
}

export interface SourceHost {
  /** Resolve an include as written (`std_msgs/msg/Header.idl`) from the including file; undefined when absent. */
  resolve(name: string, from: string): string | undefined;
  readFile(path: string): string;
}

const PUNCT = ['::', '<<', '>>', ...'{}()[]<>;:,=+-*/%&|^~@'.split('')];

interface Lexed {
  tokens: Token[];
  keylists: Keylist[];
}

export function lexIdl(entry: string, host: SourceHost): Lexed {
  const out: Lexed = { tokens: [], keylists: [] };
  const state = { seen: new Set<string>(), defines: new Map<string, string>() };
  lexFile(entry, host, out, state, 0);
  // end of input is reported where the last token was (the file and line that lack the rest)
  const last = out.tokens[out.tokens.length - 1];
  out.tokens.push({ kind: 'eof', text: '', at: last ? last.at : { file: entry, line: 1 } });
  return out;
}

function lexFile(
  file: string,
  host: SourceHost,
  out: Lexed,
  state: { seen: Set<string>; defines: Map<string, string> },
  depth: number,
): void {
  if (state.seen.has(file)) return;
  state.seen.add(file);
  const text = host.readFile(file);
  const skipping: boolean[] = [];
  const active = () => skipping.every((s) => !s);
  let line = 1;
  let i = 0;
  let lineStart = true;
  while (i < text.length) {
    const c = text[i];
    const at = { file, line };
    if (c === '\n') {
      line++;
      i++;
      lineStart = true;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f') {
      i++;
      continue;
    }
    if (text.startsWith('//', i)) {
      while (i < text.length && text[i] !== '\n') i++;
      continue;
    }
    if (text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      if (end < 0) throw new IdlError(at, 'unterminated comment');
      for (let k = i; k < end; k++) if (text[k] === '\n') line++;
      i = end + 2;
      continue;
    }
    if (c === '#' && lineStart) {
      let end = text.indexOf('\n', i);
      if (end < 0) end = text.length;
      const directive = text.slice(i + 1, end).trim();
      i = end;
      directiveOf(directive, at, { host, out, state, depth, skipping, active });
      continue;
    }
    lineStart = false;
    if (!active()) {
      i++;
      continue;
    }
    const rest = text.slice(i);
    const m =
      /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest) ??
      /^(0[xX][0-9a-fA-F]+|\d+\.\d*([eE][+-]?\d+)?|\.\d+([eE][+-]?\d+)?|\d+[eE][+-]?\d+|\d+)[dDlLuU]*/.exec(rest);
    if (m) {
      const isIdent = /^[A-Za-z_]/.test(m[0]);
      const define = isIdent ? state.defines.get(m[0]) : undefined;
      if (define !== undefined && define !== '') {
        out.tokens.push({ kind: /^[A-Za-z_]/.test(define) ? 'ident' : 'number', text: define, at });
      } else out.tokens.push({ kind: isIdent ? 'ident' : 'number', text: m[0], at });
      i += m[0].length;
      continue;
    }
    if (c === '"' || c === "'") {
      let k = i + 1;
      while (k < text.length && text[k] !== c && text[k] !== '\n') k += text[k] === '\\' ? 2 : 1;
      if (text[k] !== c) throw new IdlError(at, `unterminated ${c === '"' ? 'string' : 'character'} literal`);
      out.tokens.push({ kind: c === '"' ? 'string' : 'char', text: text.slice(i + 1, k), at });
      i = k + 1;
      continue;
    }
    const p = PUNCT.find((q) => text.startsWith(q, i));
    if (!p) throw new IdlError(at, `unexpected character ${JSON.stringify(c)}`);
    out.tokens.push({ kind: 'punct', text: p, at });
    i += p.length;
  }
  if (skipping.length > 0) throw new IdlError({ file, line }, 'missing #endif');
}

interface DirectiveCtx {
  host: SourceHost;
  out: Lexed;
  state: { seen: Set<string>; defines: Map<string, string> };
  depth: number;
  skipping: boolean[];
  active: () => boolean;
}

function directiveOf(directive: string, at: Position, ctx: DirectiveCtx): void {
  const [word, ...args] = directive.split(/\s+/);
  const arg = args.join(' ');
  switch (word) {
    case 'ifdef':
    case 'ifndef': {
      const defined = ctx.state.defines.has(args[0] ?? '');
      ctx.skipping.push(word === 'ifdef' ? !defined : defined);
      return;
    }
    case 'else':
      if (ctx.skipping.length === 0) throw new IdlError(at, '#else without #if');
      ctx.skipping.push(!ctx.skipping.pop());
      return;
    case 'endif':
      if (ctx.skipping.length === 0) throw new IdlError(at, '#endif without #if');
      ctx.skipping.pop();
      return;
  }
  if (!ctx.active()) return;
  switch (word) {
    case 'define':
      ctx.state.defines.set(args[0] ?? '', args.slice(1).join(' '));
      return;
    case 'undef':
      ctx.state.defines.delete(args[0] ?? '');
      return;
    case 'include': {
      const m = /^["<]([^">]+)[">]$/.exec(arg);
      if (!m) throw new IdlError(at, `expected #include "file" or <file>, got ${JSON.stringify(arg)}`);
      if (ctx.depth >= 32) throw new IdlError(at, 'includes nested deeper than 32 files');
      const path = ctx.host.resolve(m[1], at.file);
      if (!path) throw new IdlError(at, `cannot find included file ${JSON.stringify(m[1])}`);
      lexFile(path, ctx.host, ctx.out, ctx.state, ctx.depth + 1);
      return;
    }
    case 'pragma':
      if (args[0] === 'keylist' && args.length >= 2) {
        ctx.out.keylists.push({ type: args[1], fields: args.slice(2), at });
      }
      return;
    case '':
      return;
    default:
      throw new IdlError(at, `unsupported preprocessor directive #${word}`);
  }
}
