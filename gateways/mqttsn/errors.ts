/**
 * Typed errors of the MQTT-SN gateway. `reason` is a short snake_case word, used as the `reason` label of
 * `protohub_gateway_dropped_total` and in debug logs; `code` is the stable PH_MQTTSN_* code (docs/errors.md).
 */
import { ProtocolError } from '../../src/gateway/index.js';

export type FrameErrorReason =
  | 'empty'
  | 'truncated'
  | 'length_mismatch'
  | 'unknown_type'
  | 'bad_flags'
  | 'bad_return_code'
  | 'invalid_utf8'
  | 'bad_field_length'
  | 'nested_encapsulation'
  | 'too_large';

/** A datagram is not a well-formed MQTT-SN 1.2 message (PH_MQTTSN_FRAME). */
export class MqttSnFrameError extends ProtocolError {
  readonly reason: FrameErrorReason;
  constructor(reason: FrameErrorReason, detail: string) {
    super('PH_MQTTSN_FRAME', `malformed MQTT-SN message (${reason}): ${detail}`);
    this.reason = reason;
  }
}
