/**
 * What other gateways (LwM2M) may use of the CoAP gateway: the sans-IO codec, message model, deduplication,
 * retransmission, block options and Content-Format table. Everything else in this folder is internal.
 */
export { CoapFormatError, decodeCoap, encodeCoap, type MalformedReason } from './codec.js';
export {
  KNOWN_OPTIONS,
  Method,
  Opt,
  Rsp,
  code,
  codeText,
  decodeUint,
  encodeUint,
  firstOption,
  isCritical,
  isRequest,
  isResponse,
  optionValues,
  uintOption,
  type CoapMessage,
  type CoapOption,
  type CoapType,
} from './message.js';
export { DedupCache, type DedupLimits, type DedupVerdict } from './dedup.js';
export { RFC7252_TRANSMISSION, RetransmitQueue, type DueResult, type RetransmitParams } from './retransmit.js';
export { contentFormatOf, mediaTypeOf } from './content-format.js';
export * from './block-option.js';
export * from './block1-assembler.js';
export * from './block2-store.js';
export { UdpSocket, type UdpSocketOptions } from './udp-socket.js';
export { peerAddress, type PeerAddress } from './channel.js';
