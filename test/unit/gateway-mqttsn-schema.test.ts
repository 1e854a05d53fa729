import { describe, expect, it } from 'vitest';
import { mqttsnConfigSchema } from '../../gateways/mqttsn/schema.js';

describe('gateways.mqttsn.<name> schema', () => {
  it('has the documented defaults: bind 0.0.0.0:1884, discovery off, Tretry 10 s, Nretry 3, one in flight', () => {
    const c = mqttsnConfigSchema.parse({});
    expect(c.bind).toEqual({ host: '0.0.0.0', port: 1884 });
    expect(c.advertise.enable).toBe(false);
    expect(c.retry).toEqual({ interval: 10_000, max: 3 });
    expect(c.limits.max_inflight).toBe(1);
    expect(c.limits.max_datagram_size).toBe(1500);
    expect(c.enable_qos3).toBe(true);
  });

  it('accepts an IPv6 bind and predefined topics', () => {
    const c = mqttsnConfigSchema.parse({ bind: '[::1]:2000', predefined: [{ id: 1, topic: 'a/b' }] });
    expect(c.bind).toEqual({ host: '::1', port: 2000 });
  });

  it('refuses duplicate or out-of-range predefined ids, wildcard topics and unknown keys', () => {
    const issues = (v: unknown) => {
      const r = mqttsnConfigSchema.safeParse(v);
      return r.success ? [] : r.error.issues.map((i) => i.path.join('.'));
    };
    expect(
      issues({
        predefined: [
          { id: 1, topic: 'a' },
          { id: 1, topic: 'b' },
        ],
      }),
    ).toEqual(['predefined.1.id']);
    expect(issues({ predefined: [{ id: 0, topic: 'a' }] })).toEqual(['predefined.0.id']);
    expect(issues({ predefined: [{ id: 2, topic: 'a/#' }] })).toEqual(['predefined.0.topic']);
    expect(issues({ advertise: { address: 'nowhere' } })).toEqual(['advertise.address']);
    expect(issues({ limits: { max_datagram_size: '1MB' } })).toEqual(['limits.max_datagram_size']);
    expect(issues({ typo: 1 })).toEqual(['']);
  });
});
