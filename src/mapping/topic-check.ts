/**
 * Validity of a generated MQTT topic name or UTF-8 string, checked per message without regexes.
 */

const MAX_UTF8_STRING = 65_535; // [MQTT-1.5.4] UTF-8 strings carry a two-byte length

/** Reason a string is not a valid MQTT UTF-8 string, or undefined when valid. */
export function utf8StringProblem(text: string): string | undefined {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0) return 'contains U+0000'; // [MQTT-1.5.4-2]
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
      return 'contains an unpaired surrogate (not well-formed UTF-8)'; // [MQTT-1.5.4-1]
    }
    if (c >= 0xdc00 && c <= 0xdfff) return 'contains an unpaired surrogate (not well-formed UTF-8)'; // [MQTT-1.5.4-1]
  }
  if (text.length > MAX_UTF8_STRING / 3 && Buffer.byteLength(text, 'utf8') > MAX_UTF8_STRING)
    return 'is longer than 65535 bytes';
  return undefined;
}

/** Reason `topic` is not a valid MQTT topic name to publish on, or undefined when valid. */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'is empty'; // [MQTT-4.7.3-1]
  // [MQTT-4.7.2-1] '$' topics are the server's; a gateway must not publish into $SYS or $hub through a capture.
  if (topic.charCodeAt(0) === 0x24) return "starts with '$' (reserved for the server)";
  for (let i = 0; i < topic.length; i++) {
    const c = topic.charCodeAt(i);
    if (c === 0x2b || c === 0x23) return `contains the wildcard '${topic[i]}'`; // [MQTT-3.3.2-2]
  }
  return utf8StringProblem(topic);
}
