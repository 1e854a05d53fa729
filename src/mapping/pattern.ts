/**
 * Match patterns: protocol address patterns (uplink) and MQTT topic filter patterns (downlink). A pattern is a
 * list of '/'-separated levels, each a literal, `{name}` (exactly one level) or `{name*}` (zero or more levels,
 * last only). Patterns compile once; matching walks the address with indexOf and never builds a regex.
 */

export type Segment =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'one'; readonly name: string; readonly slot: number }
  | { readonly kind: 'rest'; readonly name: string; readonly slot: number };

export interface Pattern {
  readonly source: string;
  readonly segments: readonly Segment[];
  /** Capture names by slot. */
  readonly captures: readonly string[];
  /** A filter pattern does not let a leading placeholder match a topic starting with '$' ([MQTT-4.7.2-1]). */
  readonly isFilter: boolean;
}

/** Captured values by slot: a string, or undefined for a `{name*}` that matched zero levels. */
export type Captures = (string | undefined)[];

const WHOLE_PLACEHOLDER = /^\{([A-Za-z_][A-Za-z0-9_-]*)(\*)?\}$/;

export function parsePattern(source: string, isFilter: boolean): { pattern?: Pattern; errors: string[] } {
  const errors: string[] = [];
  // [MQTT-4.7.3-1] a topic filter is at least one character long.
  if (isFilter && source.length === 0) errors.push('filter is empty');
  if (source.includes('\u0000')) errors.push('pattern contains U+0000'); // [MQTT-1.5.4-2]
  // [MQTT-4.8.2] shared subscriptions are a client-side grouping; a mapping filter names topics.
  if (isFilter && source.startsWith('$share/')) errors.push('shared subscription filters ($share/…) are not supported');
  const levels = source.split('/');
  const segments: Segment[] = [];
  const captures: string[] = [];
  levels.forEach((level, i) => {
    const m = WHOLE_PLACEHOLDER.exec(level);
    if (m) {
      const name = m[1];
      const rest = m[2] === '*';
      if (captures.includes(name)) errors.push(`capture {${name}} is used twice`);
      if (rest && i !== levels.length - 1) errors.push(`{${name}*} must be the last level`);
      segments.push({ kind: rest ? 'rest' : 'one', name, slot: captures.length });
      captures.push(name);
      return;
    }
    if (level.includes('{') || level.includes('}')) {
      errors.push(`level "${level}": a placeholder must be a whole level, {name} or {name*}`);
    } else if (isFilter && (level.includes('+') || level.includes('#'))) {
      // [MQTT-4.7.1-1] wildcards are written as placeholders so their values can be used in the template.
      errors.push(`level "${level}": write {name} instead of + and {name*} instead of #`);
    }
    segments.push({ kind: 'literal', text: level });
  });
  if (errors.length > 0) return { errors };
  return { pattern: { source, segments, captures, isFilter }, errors };
}

/** The MQTT subscription filter of a filter pattern: {name} → '+', {name*} → '#'. */
export function toTopicFilter(pattern: Pattern): string {
  return pattern.segments.map((s) => (s.kind === 'literal' ? s.text : s.kind === 'one' ? '+' : '#')).join('/');
}

/**
 * Matches `address` against `pattern`, filling `out` by slot. Returns false on no match (out is then garbage).
 * A `{name*}` matching zero levels ("a/{r*}" against "a") leaves undefined, like '#' matching its parent
 * level ([MQTT-4.7.1-2]).
 */
export function matchPattern(pattern: Pattern, address: string, out: Captures): boolean {
  const segments = pattern.segments;
  const len = address.length;
  if (pattern.isFilter && len > 0 && address.charCodeAt(0) === 0x24 /* $ */ && segments[0].kind !== 'literal') {
    return false; // [MQTT-4.7.2-1]
  }
  let pos = 0; // start of the current level; len + 1 once every level is consumed
  for (const seg of segments) {
    if (seg.kind === 'rest') {
      out[seg.slot] = pos > len ? undefined : address.slice(pos);
      return true;
    }
    if (pos > len) return false;
    let end = address.indexOf('/', pos);
    if (end < 0) end = len;
    if (seg.kind === 'literal') {
      if (end - pos !== seg.text.length || !address.startsWith(seg.text, pos)) return false;
    } else {
      out[seg.slot] = address.slice(pos, end);
    }
    pos = end + 1;
  }
  return pos === len + 1;
}
