import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { defaultCodecs } from '../../src/codecs/registry.js';
import { envelope } from '../../src/envelope.js';
import { compileMapping } from '../../src/mapping/compile.js';
import { MappingInvalidError } from '../../src/mapping/errors.js';
import type { CompiledMapping } from '../../src/mapping/types.js';

/** Topic Name rules written out from the spec, independent of the implementation. */
function isValidTopicName(topic: string): boolean {
  return (
    topic.length > 0 && // [MQTT-4.7.3-1]
    !topic.startsWith('$') &&
    !/[+#\u0000]/.test(topic) && // [MQTT-3.3.2-2], [MQTT-1.5.4-2]
    Buffer.from(topic, 'utf8').toString('utf8') === topic && // well-formed UTF-16 → UTF-8 [MQTT-1.5.4-1]
    Buffer.byteLength(topic) <= 65_535
  );
}

/** Topic Filter rules ([MQTT-4.7.1-1], [MQTT-4.7.1-2], [MQTT-4.7.3-1]). */
function isValidTopicFilter(filter: string): boolean {
  if (filter.length === 0 || filter.includes('\u0000')) return false;
  const levels = filter.split('/');
  return levels.every((l, i) =>
    l.includes('#') ? l === '#' && i === levels.length - 1 : !l.includes('+') || l === '+',
  );
}

const codecs = defaultCodecs();

function mapping(def: unknown): CompiledMapping {
  return compileMapping(def, { source: 'test', codecs });
}

describe('uplink', () => {
  const m = mapping({
    uplink: [
      {
        name: 'temps',
        address: 'sensors/{site}/temp',
        topic: 'zmq/{site}/temperature',
        qos: 1,
        retain: true,
        payload: { in: 'text', out: 'json' },
        user_properties: { site: '{site}', kind: 'temp' },
      },
      { name: 'labelled', address: 'labelled/{x}', topic: 'l/{x}', content_type: 'application/x-custom' },
      { name: 'rest', address: 'sensors/{rest*}', topic: 'zmq/sensors/{rest*}' },
      { name: 'json', address: 'j/{x}', topic: 'j/{x}', payload: { in: 'json', out: 'cbor' } },
    ],
  });

  it('maps with the first matching rule, its QoS, retain, properties and codecs', () => {
    expect(m.uplink({ address: 'sensors/line1/temp', payload: Buffer.from('21.5') })).toEqual({
      ok: true,
      value: {
        rule: 'temps',
        topic: 'zmq/line1/temperature',
        payload: Buffer.from('"21.5"'),
        qos: 1,
        retain: true,
        properties: { userProperties: { site: 'line1', kind: 'temp' }, contentType: 'application/json' },
      },
    });
    const r = m.uplink({ address: 'sensors/line1/hum', payload: Buffer.from('x') });
    expect(r.ok && r.value).toMatchObject({
      rule: 'rest',
      topic: 'zmq/sensors/line1/hum',
      qos: 0,
      retain: false,
      properties: undefined,
    });
    const l = m.uplink({ address: 'labelled/a', payload: Buffer.from('x') });
    expect(l.ok && l.value.properties).toEqual({ contentType: 'application/x-custom' });
  });

  it('keeps raw bytes untouched and uncopied', () => {
    const payload = Buffer.from([0, 0xff, 0x80]);
    const r = m.uplink({ address: 'sensors/a/b', payload });
    expect(r.ok && r.value.payload).toBe(payload);
  });

  it('returns typed failures instead of throwing', () => {
    expect(m.uplink({ address: 'nothing/here', payload: Buffer.alloc(0) })).toEqual({
      ok: false,
      reason: 'no_match',
      error: 'no uplink rule matches address "nothing/here"',
    });
    expect(m.uplink({ address: 'sensors/l1/temp', payload: Buffer.from([0xff]) })).toMatchObject({
      ok: false,
      reason: 'codec',
      error: expect.stringMatching(/^rule temps: text\/plain: payload is not valid UTF-8/),
    });
    expect(m.uplink({ address: 'j/a', payload: Buffer.from('{') })).toMatchObject({ ok: false, reason: 'codec' });
    expect(m.uplink({ address: 'sensors/a+b', payload: Buffer.alloc(0) })).toMatchObject({
      ok: false,
      reason: 'invalid_topic',
      error: expect.stringContaining('[MQTT-4.7.1-1]'),
    });
    expect(m.uplink({ address: 'sensors/#', payload: Buffer.alloc(0) })).toMatchObject({
      ok: false,
      reason: 'invalid_topic',
    });
    expect(m.uplink({ address: 'sensors/a\u0000', payload: Buffer.alloc(0) })).toMatchObject({
      ok: false,
      reason: 'invalid_topic',
    });
    expect(m.uplink({ address: 'sensors/\ud800/temp', payload: Buffer.from('1') })).toMatchObject({
      ok: false,
      reason: 'invalid_topic',
    });
  });

  it('refuses a generated topic that starts with $ (no publishing into $SYS through a capture)', () => {
    const all = mapping({ uplink: [{ address: '{all*}', topic: '{all*}' }] });
    expect(all.uplink({ address: '$SYS/broker/x', payload: Buffer.alloc(0) })).toMatchObject({
      ok: false,
      reason: 'invalid_topic',
    });
    expect(all.uplink({ address: '', payload: Buffer.alloc(0) })).toMatchObject({
      ok: false,
      reason: 'invalid_topic',
      error: expect.stringContaining('[MQTT-4.7.3-1]'),
    });
  });
});

describe('downlink', () => {
  const m = mapping({
    downlink: [
      {
        name: 'json-cmd',
        filter: 'zmq/cmd/json/{rest*}',
        address: 'json.{rest*}',
        qos: 2,
        payload: { in: 'json', out: 'cbor' },
      },
      { name: 'cmd', filter: 'zmq/cmd/{rest*}', address: '{rest*}' },
      { name: 'dev', filter: 'dev/{id}/set', address: 'devices/{id}' },
    ],
  });

  it('maps with the first matching rule and converts the payload', () => {
    expect(m.downlink(envelope('zmq/cmd/line1/start', 'go'))).toEqual({
      ok: true,
      value: { rule: 'cmd', address: 'line1/start', payload: Buffer.from('go') },
    });
    expect(m.downlink(envelope('zmq/cmd/json/x', '{"a":1}'))).toEqual({
      ok: true,
      value: { rule: 'json-cmd', address: 'json.x', payload: Buffer.from('a1616101', 'hex') },
    });
    expect(m.downlink(envelope('zmq/cmd', 'p'))).toMatchObject({ ok: true, value: { address: '' } });
    expect(m.downlink(envelope('dev/7/set', 'p'))).toMatchObject({ ok: true, value: { address: 'devices/7' } });
  });

  it('returns typed failures', () => {
    expect(m.downlink(envelope('other', 'x'))).toMatchObject({ ok: false, reason: 'no_match' });
    expect(m.downlink(envelope('zmq/cmd/json/x', '{'))).toMatchObject({
      ok: false,
      reason: 'codec',
      error: expect.stringMatching(/^rule json-cmd: /),
    });
  });

  it('subscribes to one filter per rule with the rule QoS', () => {
    expect(m.downlinkFilters()).toEqual([
      { filter: 'zmq/cmd/json/#', qos: 2 },
      { filter: 'zmq/cmd/#', qos: 1 },
      { filter: 'dev/+/set', qos: 1 },
    ]);
  });
});

// Characters that stress topic rules: separators, wildcards, NUL, '$', a lone surrogate, an astral character.
const nasty = fc.constantFrom('a', 'b', '/', '+', '#', '\u0000', '$', '\ud800', '😀', ' ', '');
const nastyString = fc.array(nasty, { maxLength: 8 }).map((cs) => cs.join(''));
const levelPattern = fc.constantFrom('a', 'b', '{x}', '{y}', '$a', '');
const uplinkRule = fc
  .tuple(
    fc.array(levelPattern, { maxLength: 3 }),
    fc.boolean(),
    fc.array(fc.constantFrom('t', '{x}', '{y}', '{r*}', 'p-{x}', ''), { minLength: 1, maxLength: 4 }),
  )
  .map(([levels, rest, topic]) => {
    const seen = new Set<string>();
    const address: string[] = levels.filter((l) => !(l.startsWith('{') && (seen.has(l) || !seen.add(l))));
    if (rest) address.push('{r*}');
    return { address: address.join('/'), topic: topic.join('/') };
  });

describe('properties', () => {
  it('an uplink topic is a valid MQTT topic name, or a typed invalid_topic', () => {
    fc.assert(
      fc.property(uplinkRule, fc.array(nastyString, { minLength: 1, maxLength: 20 }), (rule, addresses) => {
        let m: CompiledMapping;
        try {
          m = mapping({ uplink: [rule] });
        } catch (err) {
          expect(err).toBeInstanceOf(MappingInvalidError);
          return;
        }
        for (const address of addresses) {
          const r = m.uplink({ address, payload: Buffer.from('p') });
          if (r.ok) expect(isValidTopicName(r.value.topic), JSON.stringify(r.value.topic)).toBe(true);
          else expect(['no_match', 'invalid_topic']).toContain(r.reason);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('downlink filters are valid MQTT topic filters', () => {
    const filterLevel = fc.constantFrom('a', 'b', '{x}', '{y}', '$hub', '', 'a+b');
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.array(filterLevel, { minLength: 1, maxLength: 3 }), fc.boolean()), {
          minLength: 1,
          maxLength: 4,
        }),
        (rules) => {
          const downlink = rules.map(([levels, rest]) => {
            const seen = new Set<string>();
            const filter: string[] = levels.filter((l) => !(l.startsWith('{') && (seen.has(l) || !seen.add(l))));
            if (rest) filter.push('{r*}');
            return { filter: filter.join('/'), address: 'x' };
          });
          let m: CompiledMapping;
          try {
            m = mapping({ downlink });
          } catch (err) {
            expect(err).toBeInstanceOf(MappingInvalidError);
            return;
          }
          for (const { filter } of m.downlinkFilters()) expect(isValidTopicFilter(filter), filter).toBe(true);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a prefix mapping is invertible: downlink(uplink(address)) gives the address back', () => {
    const m = mapping({
      uplink: [{ address: '{address*}', topic: 'gw/{address*}' }],
      downlink: [{ filter: 'gw/{address*}', address: '{address*}' }],
    });
    fc.assert(
      fc.property(nastyString, fc.uint8Array({ maxLength: 16 }), (address, bytes) => {
        const up = m.uplink({ address, payload: Buffer.from(bytes) });
        if (!up.ok) return;
        const down = m.downlink(envelope(up.value.topic, up.value.payload));
        expect(down).toEqual({ ok: true, value: { rule: 'downlink#0', address, payload: Buffer.from(bytes) } });
      }),
    );
  });
});
