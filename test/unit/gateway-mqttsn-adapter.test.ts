/**
 * The MQTT-SN device adapter's own rules, with a recording DeviceSessions double (the real broker path is
 * covered by test/e2e/mqttsn-*.test.ts): events come back in order and never re-entrantly, SUBACK before the
 * deliveries a subscription causes, settle acks the broker, a connection closed while authenticating is closed
 * at the broker when the answer arrives, refusals map to MQTT-SN results.
 */
import { describe, expect, it } from 'vitest';
import { DeviceAdapter } from '../../gateways/mqttsn/device-adapter.js';
import type { BrokerEvent } from '../../gateways/mqttsn/broker-port.js';
import type { DeviceConnect, DeviceConnectResult, DeviceSession, DeviceSessions } from '../../src/gateway/index.js';
import { silentLogger } from '../../src/logger.js';

function fakeSession(calls: string[], onSubscribe?: () => void): DeviceSession {
  return {
    info: {} as DeviceSession['info'],
    closed: false,
    startDelivery: () => calls.push('startDelivery'),
    publish: async () => ({ matched: 1 }),
    readRetained: () => ({ ok: true }),
    subscribe: (subs) => {
      calls.push(`subscribe ${subs[0].filter}`);
      onSubscribe?.();
      return subs.map((s) => ({ ok: true as const, qos: s.qos }));
    },
    unsubscribe: (f) => f.map(() => true),
    setWill: () => ({ ok: true }),
    touch: () => undefined,
    setKeepAlive: () => undefined,
    sleep: () => undefined,
    wake: () => undefined,
    close: () => calls.push('close'),
    lose: (r) => calls.push(`lose ${r}`),
  };
}

function setup(result: (req: DeviceConnect) => Promise<DeviceConnectResult>) {
  const events: BrokerEvent[] = [];
  let depth = 0;
  let reentered = false;
  const devices: DeviceSessions = {
    connect: result,
    publishUnconnected: async () => undefined,
    connected: 0,
  };
  const adapter = new DeviceAdapter(
    devices,
    (e) => {
      if (depth > 0) reentered = true;
      depth++;
      events.push(e);
      depth--;
    },
    silentLogger(),
  );
  return { adapter, events, reentered: () => reentered };
}

const flush = () => new Promise((r) => setImmediate(r));
const connect = {
  type: 'connect' as const,
  session: 1,
  clientId: 'c',
  peer: '127.0.0.1:5000',
  cleanSession: true,
  keepAlive: 60,
};

describe('mqttsn device adapter', () => {
  it('connack accepted, then SUBACK before the delivery the subscription caused; settle acks', async () => {
    const calls: string[] = [];
    let handler: DeviceConnect['handler'] | undefined;
    let acked = 0;
    const session = fakeSession(calls, () =>
      // like the broker: retained messages follow in a microtask after subscribe() returned
      queueMicrotask(() =>
        handler!.onDelivery({
          topic: 'r/1',
          payload: Buffer.from('x'),
          qos: 1,
          retain: true,
          dup: false,
          ack: () => acked++,
        }),
      ),
    );
    const { adapter, events, reentered } = setup(async (req) => {
      handler = req.handler;
      return { ok: true, session, sessionPresent: false };
    });
    adapter.onAction(connect);
    await flush();
    expect(events).toEqual([{ type: 'connack', session: 1, result: 'accepted', sessionPresent: false }]);
    expect(calls).toEqual(['startDelivery']);
    adapter.onAction({ type: 'subscribe', session: 1, ref: 7, filter: 'r/#', qos: 1 });
    await flush();
    expect(events.slice(1).map((e) => e.type)).toEqual(['suback', 'deliver']);
    const deliver = events[2] as Extract<BrokerEvent, { type: 'deliver' }>;
    adapter.onAction({ type: 'settle', session: 1, ref: deliver.ref, outcome: 'delivered' });
    adapter.onAction({ type: 'settle', session: 1, ref: deliver.ref, outcome: 'delivered' });
    expect(acked).toBe(1);
    adapter.onAction({ type: 'close', session: 1, reason: 'keepalive_timeout', will: true });
    expect(calls.at(-1)).toBe('lose keepalive_timeout');
    expect(reentered()).toBe(false);
  });

  it('a connection closed while authenticating is closed at the broker when the answer arrives', async () => {
    const calls: string[] = [];
    let answer: (r: DeviceConnectResult) => void = () => undefined;
    const { adapter, events } = setup(() => new Promise((r) => (answer = r)));
    adapter.onAction(connect);
    adapter.onAction({ type: 'close', session: 1, reason: 'disconnect', will: false });
    answer({ ok: true, session: fakeSession(calls), sessionPresent: false });
    await flush();
    expect(calls).toEqual(['close']);
    expect(events).toEqual([]);
  });

  it('refusals: credentials/authorization → not_authorized, broker unavailable → unavailable', async () => {
    for (const [reason, result] of [
      ['not_authorized', 'not_authorized'],
      ['bad_clientid', 'not_authorized'],
      ['server_unavailable', 'unavailable'],
    ] as const) {
      const { adapter, events } = setup(async () => ({ ok: false, reason, detail: '' }));
      adapter.onAction(connect);
      await flush();
      expect(events).toEqual([{ type: 'connack', session: 1, result }]);
    }
  });
});
