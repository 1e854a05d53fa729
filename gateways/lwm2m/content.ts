/**
 * Content-Format dispatch for LwM2M payloads (TS 1.1 Core §7.4, Table 7.4-1 numbers): decode a device's answer to
 * flat records, encode a write/create body. One entry point so the gateway never switches on formats itself.
 */
import { Lwm2mError } from './errors.js';
import { decodeLwm2mCbor, encodeLwm2mCbor } from './lwm2m-cbor.js';
import { decodeLwm2mJson, encodeLwm2mJson } from './lwm2m-json.js';
import { formatPath, type Lwm2mPath } from './path.js';
import { decodeSenmlCbor, decodeSenmlJson, encodeSenmlCbor, encodeSenmlJson } from './senml.js';
import { decodeOpaque, decodeText, encodeOpaque, encodeText } from './text.js';
import { decodeTlv, encodeTlv } from './tlv.js';
import type { Lwm2mRecord, TypeResolver } from './values.js';

export const Format = {
  Text: 0,
  LinkFormat: 40,
  Opaque: 42,
  SenmlJson: 110,
  SenmlCbor: 112,
  Tlv: 11542,
  Json: 11543,
  Cbor: 11544,
  /** LwM2M 1.0 clients may answer with the pre-registration numbers (TS 1.0 §6.4, Table 20). */
  LegacyText: 1541,
  LegacyTlv: 1542,
  LegacyJson: 1543,
  LegacyOpaque: 1544,
} as const;

export function decodeContent(
  format: number | undefined,
  payload: Buffer,
  base: Lwm2mPath,
  typeOf: TypeResolver,
): Lwm2mRecord[] {
  const single = (): string => {
    if (base.instanceId === undefined || base.resourceId === undefined)
      throw new Lwm2mError('PH_LWM2M_TEXT', `a single value cannot answer ${formatPath(base)}`);
    return formatPath(base);
  };
  switch (format ?? Format.Text) {
    case Format.Text:
    case Format.LegacyText: {
      const path = single();
      return [{ path, value: decodeText(payload, typeOf(base.objectId, base.resourceId!)) }];
    }
    case Format.Opaque:
    case Format.LegacyOpaque:
      return [{ path: single(), value: decodeOpaque(payload) }];
    case Format.Tlv:
    case Format.LegacyTlv:
      return decodeTlv(payload, base, typeOf);
    case Format.Json:
    case Format.LegacyJson:
      return decodeLwm2mJson(payload, typeOf, base);
    case Format.SenmlJson:
      return decodeSenmlJson(payload, typeOf);
    case Format.SenmlCbor:
      return decodeSenmlCbor(payload, typeOf);
    case Format.Cbor:
      return decodeLwm2mCbor(payload, typeOf);
    default:
      throw new Lwm2mError('PH_LWM2M_FORMAT_UNSUPPORTED', `Content-Format ${format} is not supported`);
  }
}

export function encodeContent(
  format: number,
  records: readonly Lwm2mRecord[],
  base: Lwm2mPath,
  typeOf: TypeResolver,
): Buffer {
  switch (format) {
    case Format.Text:
      if (records.length !== 1) throw new Lwm2mError('PH_LWM2M_TEXT', 'text/plain carries exactly one value');
      return encodeText(records[0]!.value);
    case Format.Opaque:
      if (records.length !== 1) throw new Lwm2mError('PH_LWM2M_TEXT', 'opaque carries exactly one value');
      return encodeOpaque(records[0]!.value);
    case Format.Tlv:
      return encodeTlv(records, base, typeOf);
    case Format.Json:
      return encodeLwm2mJson(records, typeOf, base);
    case Format.SenmlJson:
      return encodeSenmlJson(records, typeOf, base);
    case Format.SenmlCbor:
      return encodeSenmlCbor(records, typeOf, base);
    case Format.Cbor:
      return encodeLwm2mCbor(records, typeOf);
    default:
      throw new Lwm2mError('PH_LWM2M_FORMAT_UNSUPPORTED', `Content-Format ${format} is not supported for writing`);
  }
}
