/**
 * Plain text (Content-Format 0, TS 1.1 Core §7.4.1) and Opaque (42, §7.4.2): one resource value per payload.
 * Text numbers are decimal, Boolean "0"/"1", Objlnk "3:0", Opaque base64 (TS 1.0 §6.4.1). Errors: PH_LWM2M_TEXT.
 */
import { Lwm2mError } from './errors.js';
import { coerce, formatObjlnk, isObjlnk, type Lwm2mValue, type ResourceType } from './values.js';

export function decodeText(payload: Buffer, type: ResourceType | undefined): Lwm2mValue {
  const text = payload.toString('utf8');
  if (type === undefined || type === 'None') return text;
  try {
    return coerce(type, text);
  } catch (err) {
    throw new Lwm2mError('PH_LWM2M_TEXT', `text payload: ${(err as Error).message}`, { cause: err });
  }
}

export function encodeText(value: Lwm2mValue): Buffer {
  if (Buffer.isBuffer(value)) return Buffer.from(value.toString('base64'), 'utf8');
  if (typeof value === 'boolean') return Buffer.from(value ? '1' : '0', 'utf8');
  if (isObjlnk(value)) return Buffer.from(formatObjlnk(value), 'utf8');
  return Buffer.from(String(value), 'utf8');
}

export function decodeOpaque(payload: Buffer): Lwm2mValue {
  return Buffer.from(payload);
}

export function encodeOpaque(value: Lwm2mValue): Buffer {
  if (Buffer.isBuffer(value)) return value;
  if (typeof value === 'string') return Buffer.from(value, 'base64');
  throw new Lwm2mError('PH_LWM2M_VALUE', 'Opaque content needs bytes (base64 text in JSON)');
}
