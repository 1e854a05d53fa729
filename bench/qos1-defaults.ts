/**
 * Issue 14's scenario: 10 publishers at QoS 1 with 64 messages in flight each, 16-byte payloads, into one
 * MQTT 3.1.1 subscriber that acknowledges every PUBLISH at once. protohub runs at its shipped defaults
 * (SQLite store, mqtt.max_inflight 32, 10,000-message queues); mosquitto with its limits off
 * (max_inflight_messages 0, max_queued_messages 0). Each broker is started for this scenario alone.
 * Figures: delivered msg/s at the subscriber, PUBACKed msg/s at the publishers, and what did not arrive.
 */
import { runFlow } from '../src/bench/measure.js';
import { startMosquitto, startProtohub, type Broker } from './brokers.js';
import { job, sampled, type Figures, type Target } from './scenarios.js';

export const Q1_DEFAULTS_ID = 'fanin-q1-defaults';

async function once(b: Broker, perPublisher: number): Promise<Figures> {
  const t: Target = { name: b.name, port: b.port, pid: b.pid, dropped: () => b.dropped() };
  return sampled(t, async (window) => {
    const r = await runFlow({
      window,
      pub: job(t, 'pub', { qos: 1, clients: 10, inflight: 64, limit: perPublisher, topic: 'bench/q1d/%i' }),
      sub: job(t, 'sub', { qos: 1, clients: 1, topic: 'bench/q1d/+' }),
      workers: { pub: 1, sub: 1 },
      fanout: 1,
      durationSec: 0,
      idleMs: 3000,
      maxWaitMs: 180_000,
    });
    return {
      delivered_per_s: r.receivedPerSec,
      pubacked_per_s: r.sentPerSec,
      sent: r.sent,
      received: r.received,
      missing: r.missing,
      lost_connections: r.pub.lost + r.sub.lost,
    };
  });
}

/** Runs the scenario against both brokers, one after the other (order alternates with `run`). */
export async function qos1Defaults(
  perPublisher: number,
  run: number,
  withMosquitto: boolean,
  record: (target: string, f: Figures) => void,
): Promise<void> {
  const starters: Array<[string, () => Promise<Broker>]> = [['protohub', () => startProtohub({ defaults: true })]];
  if (withMosquitto) starters.push(['mosquitto', () => startMosquitto({ limitsOff: true })]);
  if (run % 2 === 1) starters.reverse();
  for (const [name, start] of starters) {
    const b = await start();
    try {
      record(name, await once(b, perPublisher));
    } finally {
      await b.stop();
    }
  }
}
