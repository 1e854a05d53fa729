/**
 * CoAP Content-Format numbers (RFC 7252 §12.3 registry) ⇄ media types, which travel as the MQTT 5 Content Type
 * (the "the request's Content-Format travels as the MQTT 5 content type, and back the other way").
 */

const BY_NUMBER: ReadonlyMap<number, string> = new Map([
  [0, 'text/plain;charset=utf-8'],
  [40, 'application/link-format'],
  [41, 'application/xml'],
  [42, 'application/octet-stream'],
  [47, 'application/exi'],
  [50, 'application/json'],
  [60, 'application/cbor'],
  [110, 'application/senml+json'],
  [112, 'application/senml+cbor'],
  [11542, 'application/vnd.oma.lwm2m+tlv'],
  [11543, 'application/vnd.oma.lwm2m+json'],
  [11544, 'application/vnd.oma.lwm2m+cbor'],
]);

const BY_TYPE: ReadonlyMap<string, number> = new Map(
  [...BY_NUMBER].flatMap(([n, t]) => [[t, n] as [string, number], [t.split(';')[0]!, n] as [string, number]]),
);

/** The media type of a Content-Format number; undefined for numbers this gateway does not know (→ 4.15). */
export function mediaTypeOf(format: number): string | undefined {
  return BY_NUMBER.get(format);
}

/** The Content-Format number of an MQTT 5 content type, if it has one (parameters other than charset ignored). */
export function contentFormatOf(mediaType: string | undefined): number | undefined {
  if (mediaType === undefined) return undefined;
  const t = mediaType.trim().toLowerCase();
  return BY_TYPE.get(t) ?? BY_TYPE.get(t.split(';')[0]!.trim());
}
