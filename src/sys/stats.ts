/**
 * The statistics half of $SYS, pure: a snapshot of counters in, the `$SYS/brokers/<node>/…` topics and payloads
 * out. Names follow EMQX 5 (`stats/connections/count`, `metrics/messages/received`, …).
 */

export interface SysSnapshot {
  version: string;
  uptimeSeconds: number;
  /** Wall-clock time of the snapshot (ms). */
  now: number;
  connections: number;
  connectionsMax: number;
  sessions: number;
  sessionsMax: number;
  subscriptions: number;
  subscriptionsMax: number;
  retained: number;
  retainedMax: number;
  messagesReceived: number;
  messagesSent: number;
  messagesDropped: number;
  bytesReceived: number;
  bytesSent: number;
}

export interface SysMessage {
  topic: string;
  payload: string;
}

/** `$SYS/brokers/<node>` */
export function sysPrefix(node: string): string {
  return `$SYS/brokers/${node}`;
}

export function sysMessages(node: string, s: SysSnapshot): SysMessage[] {
  const p = sysPrefix(node);
  const n = (topic: string, value: number): SysMessage => ({ topic: `${p}/${topic}`, payload: String(value) });
  return [
    { topic: `${p}/version`, payload: s.version },
    n('uptime', s.uptimeSeconds),
    { topic: `${p}/datetime`, payload: new Date(s.now).toISOString() },
    n('stats/connections/count', s.connections),
    n('stats/connections/max', s.connectionsMax),
    n('stats/sessions/count', s.sessions),
    n('stats/sessions/max', s.sessionsMax),
    // persistent sessions whose client is away: mosquitto's clients/disconnected
    n('stats/sessions/disconnected', Math.max(0, s.sessions - s.connections)),
    n('stats/subscriptions/count', s.subscriptions),
    n('stats/subscriptions/max', s.subscriptionsMax),
    n('stats/retained/count', s.retained),
    n('stats/retained/max', s.retainedMax),
    n('metrics/messages/received', s.messagesReceived),
    n('metrics/messages/sent', s.messagesSent),
    n('metrics/messages/dropped', s.messagesDropped),
    n('metrics/bytes/received', s.bytesReceived),
    n('metrics/bytes/sent', s.bytesSent),
  ];
}

/**
 * A client id as one topic level: `+`, `#` and `/` cannot appear in a topic level (and U+0000 never in a topic),
 * so they are percent-encoded; `%` too, so the mapping stays reversible. [MQTT-4.7.1-1] [MQTT-4.7.3-2]
 */
export function clientIdLevel(clientId: string): string {
  return clientId.replace(/[%/+#\u0000]/g, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0').toUpperCase()}`);
}
