import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { IdlError } from '../../gateways/dds/idl/errors.js';
import type { SourceHost } from '../../gateways/dds/idl/lexer.js';
import { parseIdl } from '../../gateways/dds/idl/parser.js';
import { toXmlTypes } from '../../gateways/dds/idl/xml-types.js';
import { checkSample } from '../../gateways/dds/sample-check.js';
import { decodeLevel, encodeLevel, parseDownlinkAddress } from '../../gateways/dds/address.js';

function host(files: Record<string, string>): SourceHost {
  return {
    readFile: (p) => {
      if (!(p in files)) throw new Error(`no ${p}`);
      return files[p];
    },
    resolve: (n) => (n in files ? n : undefined),
  };
}
const parse = (files: Record<string, string>, entry = 'a.idl') => parseIdl(entry, host(files));
const xml = (files: Record<string, string>) => toXmlTypes(parse(files), { defaultExtensibility: 'final' });

describe('IDL → RTI XML types', () => {
  it("Cyclone's HelloWorld (keylist pragma and @key)", () => {
    const out = xml({
      'a.idl': `module HelloWorldData { struct Msg { @key long userID; string message; }; };\n#pragma keylist Msg userID`,
    });
    expect(out).toContain('<module name="HelloWorldData">');
    expect(out).toContain('<member name="userID" type="int32" key="true"/>');
    expect(out).toContain('<member name="message" type="string" stringMaxLength="-1"/>');
  });

  it('ROS 2 std_msgs/String and geometry_msgs/Twist across #include, nested modules', () => {
    const files = {
      'a.idl':
        '#include "geometry_msgs/msg/Vector3.idl"\nmodule geometry_msgs { module msg { module dds_ { struct Twist_ { Vector3_ linear; Vector3_ angular; }; }; }; };\n#include "std_msgs/msg/String.idl"',
      'geometry_msgs/msg/Vector3.idl':
        '#ifndef V3\n#define V3\nmodule geometry_msgs { module msg { module dds_ { struct Vector3_ { double x, y, z; }; }; }; };\n#endif',
      'std_msgs/msg/String.idl':
        'module std_msgs { module msg { module dds_ { struct String_ { string data; }; }; }; };',
    };
    const model = parse(files);
    expect([...model.decls.keys()]).toEqual([
      'geometry_msgs::msg::dds_::Vector3_',
      'geometry_msgs::msg::dds_::Twist_',
      'std_msgs::msg::dds_::String_',
    ]);
    const out = xml(files);
    expect(out).toContain('nonBasicTypeName="geometry_msgs::msg::dds_::Vector3_"');
    expect(out).toContain('<member name="z" type="float64"/>');
  });

  it('typedef chains, constants, bounded strings/sequences, arrays, enums, unions, inheritance, annotations', () => {
    const files = {
      'a.idl': `const long N = 2 * 3 + (1 << 2);
        typedef sequence<long, N> Seq; typedef Seq Seq2; typedef string<8> Name; typedef Name Names[2];
        enum Color { RED, @value(5) GREEN, BLUE };
        union U switch (Color) { case RED: long a; case GREEN: case BLUE: string<10> b; default: double c; };
        @appendable struct Base { unsigned long long ts; };
        @mutable struct All : Base { @key long id; @optional string s; Seq2 q; long arr[2][N]; U u; Color c;
          sequence<sequence<long, 3>> ok_nested_bound; Names n; };`.replace(
        'sequence<sequence<long, 3>> ok_nested_bound;',
        '',
      ),
    };
    const out = xml(files);
    expect(out).toContain('<typedef name="Seq" type="int32" sequenceMaxLength="10"/>');
    expect(out).toContain('<typedef name="Names" type="nonBasic" nonBasicTypeName="Name" arrayDimensions="2"/>');
    expect(out).toContain('<enumerator name="BLUE" value="6"/>');
    expect(out).toContain('<caseDiscriminator value="default"/>');
    expect(out).toContain('<struct name="All" baseType="Base" extensibility="mutable">');
    expect(out).toContain('<member name="s" type="string" stringMaxLength="-1" optional="true"/>');
    expect(out).toContain('<member name="arr" type="int32" arrayDimensions="2,10"/>');
    expect(out).toContain('<struct name="Base" extensibility="appendable">');
  });

  it('errors name file:line', () => {
    const cases: [Record<string, string>, RegExp][] = [
      [{ 'a.idl': 'struct S {\n  Unknown x;\n};' }, /^a\.idl:2: unknown type or constant Unknown/],
      [{ 'a.idl': '#include "b.idl"\n', 'b.idl': 'struct S { long x; }\n' }, /^b\.idl:\d: expected ";"/],
      [{ 'a.idl': '#include "missing.idl"' }, /^a\.idl:1: cannot find included file "missing.idl"/],
      [{ 'a.idl': 'struct S { string<0> x; };' }, /^a\.idl:1: expected a positive integer/],
      [{ 'a.idl': 'interface I {};' }, /^a\.idl:1: "interface" is not supported/],
      [{ 'a.idl': 'struct S { long x; long x; };' }, /member x is declared twice/],
      [{ 'a.idl': 'struct S { long x; };\nstruct S { long y; };' }, /^a\.idl:2: S is already declared at a\.idl:1/],
    ];
    for (const [files, re] of cases) {
      const err = (() => {
        try {
          parse(files);
        } catch (e) {
          return e;
        }
      })();
      expect(err).toBeInstanceOf(IdlError);
      expect((err as IdlError).message).toMatch(re);
    }
  });

  it('garbage never crashes: it parses or throws an IdlError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (text) => {
        try {
          parse({ 'a.idl': text });
        } catch (e) {
          expect(e).toBeInstanceOf(IdlError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('DDS samples and addresses', () => {
  const model = parse({
    'a.idl': '@appendable struct ShapeType { @key string<128> color; long x; long y; long shapesize; };',
  });
  it('checkSample names the field that does not fit', () => {
    expect(checkSample(model, 'ShapeType', { color: 'RED', x: 1 })).toBeUndefined();
    expect(checkSample(model, 'ShapeType', { x: 'a' })).toMatch(/x: expected a number/);
    expect(checkSample(model, 'ShapeType', { x: 2 ** 31 })).toMatch(/out of range for int32/);
    expect(checkSample(model, 'ShapeType', { color: 'x'.repeat(129) })).toMatch(/bound 128/);
    expect(checkSample(model, 'ShapeType', { z: 1 })).toMatch(/has no member "z"/);
  });
  it('key levels round-trip through the address escaping', () => {
    fc.assert(
      fc.property(fc.string(), (s) => {
        const level = encodeLevel(s);
        expect(level).not.toMatch(/[/+#\0]/);
        expect(decodeLevel(level)).toBe(s);
      }),
    );
  });
  it('a downlink address picks the longest configured topic', () => {
    expect(parseDownlinkAddress('rt/turtle1/cmd_vel', ['rt/turtle1', 'rt/turtle1/cmd_vel'])).toEqual({
      topic: 'rt/turtle1/cmd_vel',
      keyValues: [],
    });
    expect(parseDownlinkAddress('Square/RED%2FX', ['Square'])).toEqual({ topic: 'Square', keyValues: ['RED/X'] });
    expect(parseDownlinkAddress('Other', ['Square'])).toBeUndefined();
  });
});

describe('the Connector native library', () => {
  it('a library that cannot load is one start-up error naming the gateway and the platform', async () => {
    const { loadConnector } = await import('../../gateways/dds/native.js');
    const err = await loadConnector('dds.plant', './no-such-native-connector.cjs').catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'PH_DDS_NATIVE' });
    expect((err as Error).message).toMatch(
      new RegExp(
        `^dds\\.plant: the RTI Connector native library cannot be loaded on ${process.platform}-${process.arch}`,
      ),
    );
  });
});
