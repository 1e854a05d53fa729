/** MQTT 5 reason codes used by the broker (§2.4), and the v3.1.1 CONNACK return codes (§3.2.2.3). */
export const RC = {
  SUCCESS: 0x00,
  GRANTED_QOS_1: 0x01,
  GRANTED_QOS_2: 0x02,
  DISCONNECT_WITH_WILL: 0x04,
  NO_MATCHING_SUBSCRIBERS: 0x10,
  NO_SUBSCRIPTION_EXISTED: 0x11,
  CONTINUE_AUTHENTICATION: 0x18,
  RE_AUTHENTICATE: 0x19,
  UNSPECIFIED: 0x80,
  MALFORMED: 0x81,
  PROTOCOL_ERROR: 0x82,
  IMPLEMENTATION_SPECIFIC: 0x83,
  UNSUPPORTED_PROTOCOL_VERSION: 0x84,
  CLIENT_ID_NOT_VALID: 0x85,
  BAD_USERNAME_OR_PASSWORD: 0x86,
  NOT_AUTHORIZED: 0x87,
  SERVER_UNAVAILABLE: 0x88,
  SERVER_SHUTTING_DOWN: 0x8b,
  BAD_AUTHENTICATION_METHOD: 0x8c,
  KEEP_ALIVE_TIMEOUT: 0x8d,
  SESSION_TAKEN_OVER: 0x8e,
  TOPIC_FILTER_INVALID: 0x8f,
  TOPIC_NAME_INVALID: 0x90,
  PACKET_ID_NOT_FOUND: 0x92,
  RECEIVE_MAXIMUM_EXCEEDED: 0x93,
  TOPIC_ALIAS_INVALID: 0x94,
  PACKET_TOO_LARGE: 0x95,
  QUOTA_EXCEEDED: 0x97,
  ADMINISTRATIVE_ACTION: 0x98,
  RETAIN_NOT_SUPPORTED: 0x9a,
  QOS_NOT_SUPPORTED: 0x9b,
  SHARED_NOT_SUPPORTED: 0x9e,
  MAXIMUM_CONNECT_TIME: 0xa0,
  SUBSCRIPTION_IDS_NOT_SUPPORTED: 0xa1,
  WILDCARDS_NOT_SUPPORTED: 0xa2,
} as const;

export const V3_CONNACK = {
  ACCEPTED: 0,
  UNACCEPTABLE_PROTOCOL: 1,
  IDENTIFIER_REJECTED: 2,
  SERVER_UNAVAILABLE: 3,
  BAD_USERNAME_OR_PASSWORD: 4,
  NOT_AUTHORIZED: 5,
} as const;

/** v5 CONNACK reason code → closest v3.1.1 return code. */
export function v3ConnackCode(rc: number): number {
  switch (rc) {
    case RC.SUCCESS:
      return V3_CONNACK.ACCEPTED;
    case RC.UNSUPPORTED_PROTOCOL_VERSION:
      return V3_CONNACK.UNACCEPTABLE_PROTOCOL;
    case RC.CLIENT_ID_NOT_VALID:
      return V3_CONNACK.IDENTIFIER_REJECTED;
    case RC.BAD_USERNAME_OR_PASSWORD:
      return V3_CONNACK.BAD_USERNAME_OR_PASSWORD;
    case RC.NOT_AUTHORIZED:
      return V3_CONNACK.NOT_AUTHORIZED;
    default:
      return V3_CONNACK.SERVER_UNAVAILABLE;
  }
}

export const REASON_TEXT: Record<number, string> = {
  0x81: 'malformed packet',
  0x82: 'protocol error',
  0x85: 'client identifier not valid',
  0x86: 'bad user name or password',
  0x87: 'not authorized',
  0x88: 'server unavailable',
  0x8b: 'server shutting down',
  0x8c: 'bad authentication method',
  0x8d: 'keep alive timeout',
  0x8e: 'session taken over',
  0x98: 'administrative action',
  0x8f: 'topic filter invalid',
  0x90: 'topic name invalid',
  0x92: 'packet identifier not found',
  0x93: 'receive maximum exceeded',
  0x94: 'topic alias invalid',
  0x95: 'packet too large',
  0x9a: 'retain not supported',
  0x9b: 'QoS not supported',
  0x9e: 'shared subscriptions not supported',
  0xa0: 'maximum connect time',
  0xa2: 'wildcard subscriptions not supported',
};
