import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { validateTopicName } from '../../src/broker/topic/index.js';
import { clientIdLevel, sysMessages, type SysSnapshot } from '../../src/sys/stats.js';

const snapshot: SysSnapshot = {
  version: '1.2.3',
  uptimeSeconds: 42,
  now: Date.UTC(2026, 0, 2, 3, 4, 5),
  connections: 3,
  connectionsMax: 7,
  sessions: 5,
  sessionsMax: 9,
  subscriptions: 11,
  subscriptionsMax: 12,
  retained: 2,
  retainedMax: 4,
  messagesReceived: 100,
  messagesSent: 200,
  messagesDropped: 1,
  bytesReceived: 1000,
  bytesSent: 2000,
};

/** Inverse of clientIdLevel, to show it loses nothing. */
const decode = (level: string) =>
  level.replace(/%([0-9A-F]{2})/g, (_, h: string) => String.fromCharCode(parseInt(h, 16)));

describe('$SYS statistics', () => {
  it('names every figure under $SYS/brokers/<node>/ with EMQX-style paths', () => {
    const m = new Map(sysMessages('edge1', snapshot).map((x) => [x.topic, x.payload]));
    expect(m.get('$SYS/brokers/edge1/version')).toBe('1.2.3');
    expect(m.get('$SYS/brokers/edge1/uptime')).toBe('42');
    expect(m.get('$SYS/brokers/edge1/datetime')).toBe('2026-01-02T03:04:05.000Z');
    expect(m.get('$SYS/brokers/edge1/stats/connections/count')).toBe('3');
    expect(m.get('$SYS/brokers/edge1/stats/connections/max')).toBe('7');
    expect(m.get('$SYS/brokers/edge1/stats/sessions/disconnected')).toBe('2');
    expect(m.get('$SYS/brokers/edge1/stats/subscriptions/count')).toBe('11');
    expect(m.get('$SYS/brokers/edge1/stats/retained/max')).toBe('4');
    expect(m.get('$SYS/brokers/edge1/metrics/messages/received')).toBe('100');
    expect(m.get('$SYS/brokers/edge1/metrics/bytes/sent')).toBe('2000');
    for (const topic of m.keys()) expect(validateTopicName(topic, 128)).toBeUndefined();
  });

  it('a client id becomes one valid topic level, reversibly', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1, maxLength: 40, unit: 'grapheme' }), (id) => {
        const level = clientIdLevel(id);
        expect(level).not.toMatch(/[/+#\u0000]/);
        expect(decode(level)).toBe(id);
        expect(validateTopicName(`$SYS/brokers/n/clients/${level}/connected`, 128)).toBeUndefined();
      }),
    );
  });
});
