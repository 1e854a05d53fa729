/**
 * Match one topic filter against one topic name (MQTT §4.7.1, §4.7.2) without splitting or allocating.
 * The subscription trie does the same for many filters at once; this is the reference it is tested against and
 * the matcher for one-off checks (bridge routes and templates, retained-message delivery). Authorization checks one
 * topic against many ACL rules, so it splits the topic once and uses matchLevels (levels.ts), which the unit tests
 * hold to the same answers as this function.
 *
 * Defined for filters that pass validateTopicFilter and topics that pass validateTopicName; for anything else it
 * returns some boolean and never throws.
 */

const DOLLAR = 0x24;
const HASH = 0x23;
const PLUS = 0x2b;
const SLASH = 0x2f;

export function topicMatches(filter: string, topic: string): boolean {
  const fl = filter.length;
  const tl = topic.length;
  // [MQTT-4.7.2-1] filters starting with a wildcard never match topic names starting with '$'.
  if (tl > 0 && fl > 0 && topic.charCodeAt(0) === DOLLAR) {
    const first = filter.charCodeAt(0);
    if (first === PLUS || first === HASH) return false;
  }
  let fi = 0;
  let ti = 0;
  // Loop invariant: fi and ti are at the start of corresponding levels.
  for (;;) {
    const c = fi < fl ? filter.charCodeAt(fi) : -1;
    if (c === HASH && fi + 1 === fl) return true; // [MQTT-4.7.1-2] # matches this level and every one below
    if (c === PLUS && (fi + 1 === fl || filter.charCodeAt(fi + 1) === SLASH)) {
      // [MQTT-4.7.1-3] + matches exactly one level, which may be empty.
      fi++;
      while (ti < tl && topic.charCodeAt(ti) !== SLASH) ti++;
    } else {
      while (fi < fl && ti < tl) {
        const fc = filter.charCodeAt(fi);
        if (fc === SLASH || fc !== topic.charCodeAt(ti)) break;
        fi++;
        ti++;
      }
      const filterLevelEnds = fi === fl || filter.charCodeAt(fi) === SLASH;
      const topicLevelEnds = ti === tl || topic.charCodeAt(ti) === SLASH;
      if (!filterLevelEnds || !topicLevelEnds) return false;
    }
    if (fi === fl) return ti === tl;
    if (ti === tl) {
      // [MQTT-4.7.1-2] "sport/#" also matches "sport": the topic ended and the filter's only remaining level is #.
      return fi + 2 === fl && filter.charCodeAt(fi + 1) === HASH;
    }
    fi++;
    ti++;
  }
}
