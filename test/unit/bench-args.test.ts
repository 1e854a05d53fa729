/** `protohub bench` options: emqtt-bench spelling, defaults, and typed usage errors for bad input. */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseBenchArgs } from '../../src/bench/args.js';
import { expandTopic } from '../../src/bench/packets.js';
import { median, medians } from '../../bench/report.js';

describe('bench args', () => {
  it('parses the emqtt-bench style flags', () => {
    const a = parseBenchArgs([
      'pub',
      '-h',
      '127.0.0.1',
      '-p',
      '1884',
      '-c',
      '10',
      '-I',
      '2',
      '-t',
      't/%i',
      '-q',
      '1',
      '-s',
      '32',
      '-V',
      '5',
      '-L',
      '100',
      '-w',
      '2',
      '--threads',
    ]);
    expect(a).toMatchObject({
      mode: 'pub',
      port: 1884,
      clients: 10,
      intervalMs: 2,
      topic: 't/%i',
      qos: 1,
      payloadSize: 32,
      version: 5,
      limit: 100,
      workers: 2,
      workerKind: 'thread',
    });
  });

  it('-R total rate becomes a per-client interval', () => {
    expect(parseBenchArgs(['pub', '-c', '10', '-R', '5000']).intervalMs).toBe(2);
  });

  it('latency payloads have room for the timestamp', () => {
    expect(parseBenchArgs(['latency', '-s', '0']).payloadSize).toBe(8);
  });

  it('bad input is a PH_BENCH_USAGE error, never a crash', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.constantFrom('-q', '-V', '-p', '-c', '--nope', 'x', '-1', '3', '70000')), {
          maxLength: 6,
        }),
        (rest) => {
          try {
            parseBenchArgs(['pub', ...rest]);
          } catch (err) {
            expect((err as { code?: string }).code).toBe('PH_BENCH_USAGE');
          }
        },
      ),
    );
    expect(() => parseBenchArgs(['fly'])).toThrow(/unknown bench mode/);
    expect(() => parseBenchArgs(['pub', '-q', '3'])).toThrow(/-q must be/);
    expect(() => parseBenchArgs(['pub', '-V', '4.5'])).toThrow(/-V must be 4 or 5/);
  });

  it('expands %i and %c in topics', () => {
    expect(expandTopic('a/%i/%c/%i', 7, 'cid')).toBe('a/7/cid/7');
  });

  it('median ignores non-finite values and averages the middle pair', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(2.5);
    expect(median([NaN, 5])).toBe(5);
    expect(medians([{ a: 1, b: 10 }, { a: 3 }, { a: 2, b: 20 }])).toEqual({ a: 2, b: 15 });
  });
});
