/** OMA object XML loading: the shipped core/IPSO definitions, extra directories, and typed errors on bad files. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Lwm2mError } from '../../gateways/lwm2m/errors.js';
import { ObjectRegistry, parseObjectXml } from '../../gateways/lwm2m/objects.js';

const doc = (items: string, oid = '42000'): string =>
  `<?xml version="1.0"?><LWM2M><Object ObjectType="MODefinition"><Name>Thing &amp; Co</Name><ObjectID>${oid}</ObjectID>` +
  `<ObjectVersion>1.1</ObjectVersion><MultipleInstances>Multiple</MultipleInstances><Mandatory>Optional</Mandatory>` +
  `<Resources>${items}</Resources></Object></LWM2M>`;

describe('object definitions', () => {
  it('ships the core objects and IPSO 3300-3350 with their resource types', () => {
    const reg = ObjectRegistry.load();
    for (const oid of [0, 1, 3, 4, 5, 6, 3300, 3303, 3306, 3311, 3336, 3350])
      expect(reg.get(oid), `${oid}`).toBeDefined();
    expect(reg.get(3)).toMatchObject({ name: 'Device', multiple: false, mandatory: true });
    expect(reg.resource(3, 13)).toMatchObject({ name: 'Current Time', type: 'Time', operations: 'RW' });
    expect(reg.resource(3, 7)).toMatchObject({ multiple: true, type: 'Integer', units: 'mV' });
    expect(reg.resource(3, 4)).toMatchObject({ operations: 'E', type: 'None' });
    expect(reg.typeOf(3303, 5700)).toBe('Float');
    expect(reg.typeOf(3306, 5850)).toBe('Boolean');
    expect(reg.typeOf(1, 10)).toBe('Objlnk');
    expect(reg.typeOf(5, 0)).toBe('Opaque');
    expect(reg.typeOf(99999, 1)).toBeUndefined();
  });

  it('loads an extra directory, later files replacing shipped ones', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lwm2m-obj-'));
    writeFileSync(
      join(dir, 'a.xml'),
      doc('<Item ID="1"><Name>n</Name><Operations>RW</Operations><Type>Unsigned</Type></Item>'),
    );
    writeFileSync(
      join(dir, 'b.xml'),
      doc('<Item ID="5700"><Name>v</Name><Operations>R</Operations><Type>Integer</Type></Item>', '3303'),
    );
    const reg = ObjectRegistry.load([dir]);
    expect(reg.get(42000)).toMatchObject({ name: 'Thing & Co', version: '1.1', multiple: true });
    expect(reg.typeOf(42000, 1)).toBe('Unsigned');
    expect(reg.typeOf(3303, 5700)).toBe('Integer');
  });

  it('rejects malformed files with PH_LWM2M_OBJECT_XML naming the file', () => {
    const bad = [
      '<LWM2M><Object>',
      '<foo/>',
      doc('<Item ID="x"><Type>String</Type></Item>'),
      doc('<Item ID="1"><Type>Strin</Type></Item>'),
      doc('<Item ID="1"><Operations>RX</Operations><Type>String</Type></Item>'),
      doc('', '70000'),
    ];
    for (const xml of bad) {
      expect(() => parseObjectXml(xml, 'f.xml'), xml).toThrow(Lwm2mError);
      expect(() => parseObjectXml(xml, 'f.xml')).toThrow(/^f\.xml/);
    }
    expect(() => ObjectRegistry.load(['/nonexistent-dir'], false)).toThrow(/cannot read object directory/);
  });
});
