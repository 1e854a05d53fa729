/**
 * LwM2M failures with stable `PH_LWM2M_*` codes (docs/errors.md). Decoders throw only these, so a caller can answer
 * a device with a CoAP error or an MQTT application with an `up/resp` error instead of crashing.
 */
import { ProtocolError } from '../../src/gateway/index.js';

export type Lwm2mErrorCode =
  | 'PH_LWM2M_TLV'
  | 'PH_LWM2M_SENML'
  | 'PH_LWM2M_CBOR'
  | 'PH_LWM2M_JSON'
  | 'PH_LWM2M_TEXT'
  | 'PH_LWM2M_LINK_FORMAT'
  | 'PH_LWM2M_PATH'
  | 'PH_LWM2M_VALUE'
  | 'PH_LWM2M_FORMAT_UNSUPPORTED'
  | 'PH_LWM2M_OBJECT_XML'
  | 'PH_LWM2M_COMMAND'
  | 'PH_LWM2M_REGISTRATION';

export class Lwm2mError extends ProtocolError {
  constructor(code: Lwm2mErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
