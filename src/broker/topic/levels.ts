/**
 * Topic matching on pre-split levels, and the two filter-against-filter questions: does one filter cover another
 * (authorization: may this client subscribe to that filter?) and can two filters match a common topic (bridges:
 * would a forward rule loop back?). Callers that check one topic against many rules split it once with `levels`.
 * For a single filter against a single topic, `topicMatches` (match.ts) gives the same answer without allocating.
 *
 * Defined for filters that pass validateTopicFilter and names that pass validateTopicName.
 */

/** Split a topic name or filter into levels; `a//b` has an empty middle level [MQTT-4.7.1-3]. */
export function levels(topic: string): string[] {
  return topic.split('/');
}

/** True for topic names the server owns (`$SYS/…`, `$hub/…`): wildcard-first filters never match them. */
export function isServerTopic(topic: string): boolean {
  return topic.charCodeAt(0) === 0x24; // [MQTT-4.7.2-1]
}

/** True when the first level is a wildcard; such filters never match `$`-topics [MQTT-4.7.2-1]. */
function startsWithWildcard(filterLevels: readonly string[]): boolean {
  return filterLevels[0] === '+' || filterLevels[0] === '#';
}

/** Does a filter (as levels) match a topic name (as levels)? Same answers as topicMatches on the joined strings. */
export function matchLevels(filter: readonly string[], topic: readonly string[]): boolean {
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with '$'
  if (topic[0]?.startsWith('$') && startsWithWildcard(filter)) return false;
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i];
    // [MQTT-4.7.1-2] '#' matches the parent level and any number of child levels
    if (f === '#') return true;
    if (i >= topic.length) return false;
    // [MQTT-4.7.1-3] '+' matches exactly one level, which may be empty
    if (f !== '+' && f !== topic[i]) return false;
  }
  return filter.length === topic.length;
}

/**
 * Does `rule` cover `filter`, i.e. is every topic matched by `filter` also matched by `rule`?
 * Exact (sound and complete) for valid filters; the unit tests check it against brute force.
 */
export function coversLevels(rule: readonly string[], filter: readonly string[]): boolean {
  // [MQTT-4.7.2-1] a rule starting with a wildcard matches no '$' topic, so it cannot cover a '$' filter
  if (filter[0]?.startsWith('$') && startsWithWildcard(rule)) return false;
  for (let i = 0; i < rule.length; i++) {
    const r = rule[i];
    if (r === '#') return true;
    if (i >= filter.length) return false;
    const f = filter[i];
    if (f === '#') {
      // `#` at level 0 matches every non-'$' topic of one or more levels; `+/#` matches exactly those too.
      return i === 0 && r === '+' && rule.length === 2 && rule[1] === '#';
    }
    if (f === '+') {
      if (r !== '+') return false;
    } else if (r !== '+' && r !== f) {
      return false;
    }
  }
  return rule.length === filter.length;
}

/** Is every topic matched by `filter` also matched by `rule`? */
export function coversFilter(rule: string, filter: string): boolean {
  return coversLevels(levels(rule), levels(filter));
}

/**
 * Is there a topic name that both filters match? Deliberately ignores the `$` rule [MQTT-4.7.2-1] (so `#` and
 * `$SYS/#` "overlap"): bridges use it to refuse forward/downlink pairs that could loop, where a false alarm is
 * cheap and a missed loop is not.
 */
export function filtersOverlap(a: string, b: string): boolean {
  const x = levels(a);
  const y = levels(b);
  for (let i = 0; ; i++) {
    const p = x[i];
    const q = y[i];
    if (p === '#' || q === '#') return true;
    if (p === undefined || q === undefined) {
      // one ran out: overlap only if the other ends in a `#` that also matches the parent level
      const rest = p === undefined ? y.slice(i) : x.slice(i);
      return rest.length === 0 || (rest.length === 1 && rest[0] === '#');
    }
    if (p !== '+' && q !== '+' && p !== q) return false;
  }
}
