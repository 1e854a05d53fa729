/**
 * Error classes per failure kind, each with a stable `code` catalogued in docs/errors.md.
 * Catch by class or by code; `cause` carries the underlying error.
 */
export class HubError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** Configuration could not be loaded or is invalid (PH_CONFIG_*). */
export class ConfigError extends HubError {
  readonly issues: readonly string[];
  constructor(code: string, message: string, issues: readonly string[] = [], options?: { cause?: unknown }) {
    super(code, message, options);
    this.issues = issues;
  }
}

/** A topic name or filter violates MQTT rules (PH_TOPIC_INVALID). */
export class TopicError extends HubError {}

/** A network peer broke its protocol (PH_PROTOCOL_*). */
export class ProtocolError extends HubError {}

/** The persistent store failed (PH_STORE_*). */
export class StoreError extends HubError {}

/** Authentication or authorization failed or is misconfigured (PH_AUTH_*). */
export class AuthError extends HubError {}

/** A component was used in the wrong lifecycle state, e.g. send after stop (PH_STATE_*). */
export class StateError extends HubError {}

/** Mapping file invalid or a message did not match / could not be mapped (PH_MAPPING_*). */
export class MappingError extends HubError {}

/** A payload could not be encoded or decoded by a codec (PH_CODEC_*). */
export class CodecError extends HubError {}

/** Bridge failures (PH_BRIDGE_*). */
export class BridgeError extends HubError {}

/** A command line could not be parsed: unknown option, missing or malformed value (PH_CLI_USAGE, PH_BENCH_USAGE). */
export class UsageError extends HubError {}

/** Gateway failures (PH_GATEWAY_*). */
export class GatewayError extends HubError {}

/** A per-client limit was reached, e.g. too many publishes awaiting accept (PH_QUOTA_*). */
export class QuotaError extends HubError {}
