/**
 * Session Expiry Interval 0xFFFFFFFF: the session does not expire (MQTT 5.0 §3.1.2.11.2). An MQTT 3.1.1
 * clean-session=0 session and a persistent in-process session are given this value.
 */
export const NEVER_EXPIRES = 0xffffffff;
