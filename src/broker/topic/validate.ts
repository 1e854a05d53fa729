/**
 * Topic name and topic filter validation (MQTT 3.1.1 §4.7 and MQTT 5.0 §4.7, same clause numbers in both).
 *
 * Hot path: called for every PUBLISH and every SUBSCRIBE entry, so the validators return a reason string instead of
 * throwing, make one pass over the UTF-16 code units and allocate nothing. The reasons are constants: compare them
 * by identity to pick an MQTT reason code (0x90 Topic Name invalid, 0x8F Topic Filter invalid).
 */

export const TopicReason = {
  empty: '[MQTT-4.7.3-1] topic names and filters must be at least one character long',
  nul: '[MQTT-4.7.3-2] topic names and filters must not contain U+0000',
  surrogate: '[MQTT-1.5.4-1] topic contains an unpaired UTF-16 surrogate, which has no UTF-8 encoding',
  tooLong: '[MQTT-4.7.3-3] topic names and filters must not encode to more than 65535 bytes of UTF-8',
  tooManyLevels: 'topic has more levels than the configured maximum (max_topic_levels)',
  wildcardInName: '[MQTT-4.7.1-1] wildcards + and # are not allowed in a topic name',
  hashNotLast: '[MQTT-4.7.1-2] # must be on its own in the last level of a topic filter',
  plusNotAlone: '[MQTT-4.7.1-3] + must occupy an entire level of a topic filter',
  serverTopic:
    "[MQTT-4.7.2-1] topic names starting with '$' are the server's; a client-side publisher may not use them",
} as const;

export type TopicReasonText = (typeof TopicReason)[keyof typeof TopicReason];

/** Largest byte length the two-byte length prefix of an MQTT string can carry. */
export const MAX_TOPIC_BYTES = 65535;

const NUL = 0x00;
const DOLLAR = 0x24;
const HASH = 0x23;
const PLUS = 0x2b;
const SLASH = 0x2f;
/** Every character the scanners care about except surrogates is below '0', so one compare skips most chars. */
const FIRST_UNINTERESTING = 0x30;
const SURROGATE_FIRST = 0xd800;
const HIGH_SURROGATE_LAST = 0xdbff;
const SURROGATE_LAST = 0xdfff;
/** A UTF-16 code unit encodes to at most 3 UTF-8 bytes, so shorter strings cannot exceed the byte limit. */
const MAX_LENGTH_WITHOUT_BYTE_COUNT = Math.floor(MAX_TOPIC_BYTES / 3);

function tooManyBytes(s: string): boolean {
  // Each code unit encodes to at least one byte, so the exact count is needed only in the middle band.
  if (s.length > MAX_TOPIC_BYTES) return true;
  return s.length > MAX_LENGTH_WITHOUT_BYTE_COUNT && Buffer.byteLength(s, 'utf8') > MAX_TOPIC_BYTES;
}

/**
 * True when the surrogate at i is a high surrogate followed by a low one: together they are one supplementary
 * code point with a valid 4-byte UTF-8 encoding, and callers skip the low half. Anything else is unpaired.
 */
function isPairedHigh(s: string, i: number): boolean {
  if (s.charCodeAt(i) > HIGH_SURROGATE_LAST || i + 1 >= s.length) return false;
  const low = s.charCodeAt(i + 1);
  return low > HIGH_SURROGATE_LAST && low <= SURROGATE_LAST;
}

/**
 * Validate a topic name (PUBLISH, Will topic). Returns undefined when valid, else one of TopicReason.
 * `maxLevels` counts levels (separators + 1); omitted means unlimited.
 */
export function validateTopicName(topic: string, maxLevels = Infinity): TopicReasonText | undefined {
  const n = topic.length;
  if (n === 0) return TopicReason.empty; // [MQTT-4.7.3-1]
  if (tooManyBytes(topic)) return TopicReason.tooLong; // [MQTT-4.7.3-3]
  let levels = 1;
  for (let i = 0; i < n; i++) {
    const c = topic.charCodeAt(i);
    if (c < FIRST_UNINTERESTING) {
      if (c === SLASH) {
        if (++levels > maxLevels) return TopicReason.tooManyLevels;
      } else if (c === PLUS || c === HASH) {
        return TopicReason.wildcardInName; // [MQTT-4.7.1-1]
      } else if (c === NUL) {
        return TopicReason.nul; // [MQTT-4.7.3-2]
      }
    } else if (c >= SURROGATE_FIRST && c <= SURROGATE_LAST) {
      if (!isPairedHigh(topic, i)) return TopicReason.surrogate; // [MQTT-1.5.4-1]
      i++;
    }
  }
  return undefined;
}

/**
 * Validate a topic filter (SUBSCRIBE, UNSUBSCRIBE). Returns undefined when valid, else one of TopicReason.
 * A shared filter `$share/g/f` is syntactically a filter too; use parseSharedFilter first to check its parts.
 */
export function validateTopicFilter(filter: string, maxLevels = Infinity): TopicReasonText | undefined {
  const n = filter.length;
  if (n === 0) return TopicReason.empty; // [MQTT-4.7.3-1]
  if (tooManyBytes(filter)) return TopicReason.tooLong; // [MQTT-4.7.3-3]
  let levels = 1;
  let levelStart = 0;
  for (let i = 0; i < n; i++) {
    const c = filter.charCodeAt(i);
    if (c < FIRST_UNINTERESTING) {
      if (c === SLASH) {
        if (++levels > maxLevels) return TopicReason.tooManyLevels;
        levelStart = i + 1;
      } else if (c === PLUS) {
        // [MQTT-4.7.1-3] + must be the whole level: at its start and followed by a separator or the end.
        if (i !== levelStart || (i + 1 < n && filter.charCodeAt(i + 1) !== SLASH)) return TopicReason.plusNotAlone;
      } else if (c === HASH) {
        // [MQTT-4.7.1-2] # must be alone in its level and the last character of the filter.
        if (i !== levelStart || i + 1 !== n) return TopicReason.hashNotLast;
      } else if (c === NUL) {
        return TopicReason.nul; // [MQTT-4.7.3-2]
      }
    } else if (c >= SURROGATE_FIRST && c <= SURROGATE_LAST) {
      if (!isPairedHigh(filter, i)) return TopicReason.surrogate; // [MQTT-1.5.4-1]
      i++;
    }
  }
  return undefined;
}

/**
 * Validate a topic name that a hub component generated on a client's behalf (a mapping rule's rendered topic):
 * a valid topic name that is not a server topic, so a capture cannot publish into `$SYS/…` or `$hub/…`.
 */
export function validateGeneratedTopicName(topic: string, maxLevels = Infinity): TopicReasonText | undefined {
  if (topic.charCodeAt(0) === DOLLAR) return TopicReason.serverTopic; // [MQTT-4.7.2-1]
  return validateTopicName(topic, maxLevels);
}

/** True when the filter contains a + or # wildcard level (so it can match more than one topic name). */
export function hasWildcard(filter: string): boolean {
  return filter.indexOf('+') !== -1 || filter.indexOf('#') !== -1;
}
