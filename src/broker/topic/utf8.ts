/**
 * Well-formedness of MQTT UTF-8 strings (MQTT 3.1.1 §1.5.3, MQTT 5.0 §1.5.4).
 *
 * What is checkable where:
 * - On the wire bytes (validateMqttStringBytes): everything — ill-formed UTF-8, encoded surrogates
 *   [MQTT-1.5.4-1] and U+0000 [MQTT-1.5.4-2]. This needs the raw bytes, which mqtt-packet does not expose.
 * - On a decoded JS string (validateMqttString): only U+0000, unpaired surrogates and the byte length.
 *   mqtt-packet decodes with Buffer#toString('utf8'), which turns every ill-formed sequence (including
 *   CESU-style encoded surrogates) into U+FFFD, so a decoded string never holds a surrogate from the wire and
 *   ill-formed input is indistinguishable from a genuine U+FFFD. We accept U+FFFD rather than reject a legal
 *   character. Unpaired surrogates can still come from in-process publishers (gateways, rules) and would be
 *   silently replaced by U+FFFD on encoding, so they are rejected.
 * - Control characters and non-characters are only "SHOULD NOT" (§1.5.4, no clause number); they are accepted.
 * - [MQTT-1.5.4-3] a leading U+FEFF must be kept: Buffer#toString keeps it and nothing here strips it.
 * Clause numbers are MQTT 5.0's; MQTT 3.1.1 has the same rules as [MQTT-1.5.3-1..3].
 */
import { isUtf8 } from 'node:buffer';

export const Utf8Reason = {
  illFormed: '[MQTT-1.5.4-1] string is not well-formed UTF-8',
  surrogate: '[MQTT-1.5.4-1] string contains an unpaired UTF-16 surrogate, which has no UTF-8 encoding',
  nul: '[MQTT-1.5.4-2] string must not contain U+0000',
  tooLong: '[MQTT-1.5.4] an MQTT string must not exceed 65535 bytes of UTF-8',
} as const;

export type Utf8ReasonText = (typeof Utf8Reason)[keyof typeof Utf8Reason];

const MAX_STRING_BYTES = 65535;

/** Validate a decoded MQTT string. Returns undefined when valid, else one of Utf8Reason. */
export function validateMqttString(s: string): Utf8ReasonText | undefined {
  const n = s.length;
  for (let i = 0; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c === 0) return Utf8Reason.nul; // [MQTT-1.5.4-2]
    if (c >= 0xd800 && c <= 0xdfff) {
      const low = i + 1 < n ? s.charCodeAt(i + 1) : 0;
      // [MQTT-1.5.4-1] only a high surrogate followed by a low one is a (supplementary) code point.
      if (c > 0xdbff || low < 0xdc00 || low > 0xdfff) return Utf8Reason.surrogate;
      i++;
    }
  }
  // A code unit is at least one byte, so only strings longer than a third of the limit need counting.
  if (n > MAX_STRING_BYTES / 3 && Buffer.byteLength(s, 'utf8') > MAX_STRING_BYTES) return Utf8Reason.tooLong;
  return undefined;
}

/**
 * Validate the raw bytes of an MQTT string (without its two-byte length prefix). Returns undefined when valid.
 * Node's isUtf8 is strict UTF-8: it rejects overlong forms, encoded surrogates and code points above U+10FFFF.
 */
export function validateMqttStringBytes(bytes: Uint8Array): Utf8ReasonText | undefined {
  if (bytes.length > MAX_STRING_BYTES) return Utf8Reason.tooLong;
  if (!isUtf8(bytes)) return Utf8Reason.illFormed; // [MQTT-1.5.4-1]
  if (bytes.indexOf(0) !== -1) return Utf8Reason.nul; // [MQTT-1.5.4-2]
  return undefined;
}
