/**
 * Load-time reachability: rule B is unreachable when an earlier rule A matches every address B can match
 * (first match wins, so B never fires). Exact for this pattern language: literals, one-level and rest captures.
 */
import type { Pattern, Segment } from './pattern.js';

/** True when both patterns match exactly the same addresses (capture names do not matter). */
export function samePattern(a: Pattern, b: Pattern): boolean {
  if (a.segments.length !== b.segments.length) return false;
  return a.segments.every((s, i) => sameSegment(s, b.segments[i]));
}

function sameSegment(a: Segment, b: Segment): boolean {
  if (a.kind === 'literal') return b.kind === 'literal' && a.text === b.text;
  return a.kind === b.kind;
}

/** True when `general` matches every address `specific` matches. */
export function covers(general: Pattern, specific: Pattern): boolean {
  const g = general.segments;
  // Every address has at least one level, so a leading {r*} matches the same as {x}/{r*}.
  const s =
    specific.segments[0].kind === 'rest'
      ? [{ kind: 'one', name: '', slot: -1 } as const, ...specific.segments]
      : specific.segments;
  // [MQTT-4.7.2-1] a leading placeholder in a filter skips '$' topics that a leading literal "$…" matches.
  if (general.isFilter && g[0].kind !== 'literal' && s[0].kind === 'literal' && s[0].text.startsWith('$')) return false;
  for (let i = 0; i < g.length; i++) {
    const gs = g[i];
    if (gs.kind === 'rest') return true; // matches any remainder, including none
    const ss = s[i];
    if (ss === undefined) return false; // specific can end here, general needs another level
    if (ss.kind === 'rest') return false; // specific matches arbitrarily many levels, general a fixed number
    if (gs.kind === 'literal' && (ss.kind !== 'literal' || ss.text !== gs.text)) return false;
  }
  return s.length === g.length;
}
