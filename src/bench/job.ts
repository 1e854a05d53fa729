/** What a load worker is asked to do, and what it reports back (plain data: it crosses process boundaries). */
import type { MqttVersion } from './packets.js';

export type LoadMode = 'pub' | 'sub' | 'conn' | 'latency';

export interface LoadJob {
  mode: LoadMode;
  host: string;
  port: number;
  version: MqttVersion;
  qos: number;
  /** Topic (pub, latency) or filter (sub); `%i` is the client index. */
  topic: string;
  payloadSize: number;
  /** Messages per publishing client; 0 = until stopped. */
  limit: number;
  /** Milliseconds between messages per publishing client; 0 = unpaced. */
  intervalMs: number;
  inflight: number;
  batch: number;
  /** This worker's client indexes: [clientFrom, clientTo). */
  clientFrom: number;
  clientTo: number;
  clientPrefix: string;
  /** CONNECTs outstanding at once while connecting. */
  connectConcurrency: number;
  keepaliveSec: number;
}

export interface LoadStats {
  clients: number;
  connected: number;
  connectFailed: number;
  /** Connections that closed or errored after connecting. */
  lost: number;
  sent: number;
  /** QoS>0 messages the broker acknowledged. */
  completed: number;
  received: number;
  /** nowMs() of the first and last chunk that carried a PUBLISH (0 = none yet). */
  firstRecvAt: number;
  lastRecvAt: number;
  latencyUs: number[];
  latencyOverflow: number;
  errors: string[];
}

export function emptyStats(): LoadStats {
  return {
    clients: 0,
    connected: 0,
    connectFailed: 0,
    lost: 0,
    sent: 0,
    completed: 0,
    received: 0,
    firstRecvAt: 0,
    lastRecvAt: 0,
    latencyUs: [],
    latencyOverflow: 0,
    errors: [],
  };
}

/** Sum of several workers' stats (errors capped so a mass failure stays readable). */
export function mergeStats(all: LoadStats[]): LoadStats {
  const out = emptyStats();
  for (const s of all) {
    out.clients += s.clients;
    out.connected += s.connected;
    out.connectFailed += s.connectFailed;
    out.lost += s.lost;
    out.sent += s.sent;
    out.completed += s.completed;
    out.received += s.received;
    if (s.firstRecvAt > 0 && (out.firstRecvAt === 0 || s.firstRecvAt < out.firstRecvAt))
      out.firstRecvAt = s.firstRecvAt;
    out.lastRecvAt = Math.max(out.lastRecvAt, s.lastRecvAt);
    for (const v of s.latencyUs) out.latencyUs.push(v);
    out.latencyOverflow += s.latencyOverflow;
    for (const e of s.errors) if (out.errors.length < 20) out.errors.push(e);
  }
  return out;
}
