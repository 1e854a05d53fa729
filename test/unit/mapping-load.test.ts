import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { envelope } from '../../src/envelope.js';
import { MappingError } from '../../src/errors.js';
import { loadMappingFile } from '../../src/mapping/compile.js';
import { MappingInvalidError } from '../../src/mapping/errors.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(removeTempDirs);

function write(name: string, text: string): string {
  const file = join(tempDir(), name);
  writeFileSync(file, text);
  return file;
}

function loadIssues(file: string): string[] {
  try {
    loadMappingFile(file);
    return [];
  } catch (err) {
    expect(err).toBeInstanceOf(MappingInvalidError);
    return [...(err as MappingInvalidError).issues];
  }
}

describe('loadMappingFile', () => {
  it('loads a HOCON mapping file and maps with it', () => {
    const file = write(
      'zmq.conf',
      `
# ZeroMQ sensors
uplink = [
  { name = temps, address = "sensors/{site}/temp", topic = "zmq/{site}/temperature", qos = 1
    payload { in = text, out = json }
    user_properties { site = "{site}" } }
  { address = "{rest*}", topic = "zmq/{rest*}" }
]
downlink = [
  { filter = "zmq/cmd/{rest*}", address = "{rest*}" }
]
`,
    );
    const m = loadMappingFile(file);
    expect(m.source).toBe(file);
    expect(m.uplink({ address: 'sensors/l1/temp', payload: Buffer.from('7') })).toMatchObject({
      ok: true,
      value: { rule: 'temps', topic: 'zmq/l1/temperature', payload: Buffer.from('"7"') },
    });
    expect(m.downlink(envelope('zmq/cmd/a', 'x'))).toMatchObject({ ok: true, value: { address: 'a' } });
    expect(m.downlinkFilters()).toEqual([{ filter: 'zmq/cmd/#', qos: 1 }]);
  });

  it('names file:line and rule for every problem', () => {
    const file = write(
      'bad.conf',
      [
        'uplink = [',
        '  { name = first, address = "a/{x}", topic = "t/{x}" }',
        '  {',
        '    name = second',
        '    address = "a/b"',
        '    topic = "t/{y}"',
        '    payload { out = xml }',
        '  }',
        ']',
      ].join('\n'),
    );
    expect(loadIssues(file)).toEqual([
      `${file}:6 rule second: topic template: placeholder {y} is not captured by the pattern (captures: none)`,
      `${file}:7 rule second: unknown codec "xml" (known: raw, text, json, cbor)`,
      `${file}:5 rule second: unreachable: earlier rule first ("a/{x}") matches every address "a/b" matches`,
    ]);
  });

  it('reports HOCON syntax errors as PH_MAPPING_INVALID with the position', () => {
    const issues = loadIssues(write('syntax.conf', 'uplink = [ { address = "a" \n'));
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(/syntax\.conf:\d+:\d+: /);
  });

  it('loads .json mapping files', () => {
    const m = loadMappingFile(write('m.json', JSON.stringify({ uplink: [{ address: '{a*}', topic: 'j/{a*}' }] })));
    expect(m.uplink({ address: 'x', payload: Buffer.alloc(0) })).toMatchObject({ ok: true, value: { topic: 'j/x' } });
    expect(loadIssues(write('bad.json', '{"uplink": ['))[0]).toMatch(/not valid JSON/);
  });

  it('a missing file is PH_MAPPING_LOAD', () => {
    for (const missing of [join(tempDir(), 'nope.conf'), join(tempDir(), 'nope.json')]) {
      expect(() => loadMappingFile(missing)).toThrow(MappingError);
      expect(() => loadMappingFile(missing)).toThrow(expect.objectContaining({ code: 'PH_MAPPING_LOAD' }));
    }
  });
});
