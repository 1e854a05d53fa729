/** RFC 6690 link format as LwM2M registration uses it (TS 1.1 Core §6.2.1 examples); fuzzed for typed errors. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Lwm2mError } from '../../gateways/lwm2m/errors.js';
import { parseLinkFormat, registrationObjects, splitLinks } from '../../gateways/lwm2m/link-format.js';
import { parsePath } from '../../gateways/lwm2m/path.js';

describe('link format', () => {
  it('parses the registration example of TS 1.1 §6.2.1', () => {
    const text = '</>;rt="oma.lwm2m";ct=11543,</1/0>,</3/0>,</3/1>,</3303>;ver=1.1,</5/0>';
    expect(parseLinkFormat(text)[0]).toEqual({ uri: '/', params: { rt: 'oma.lwm2m', ct: '11543' } });
    expect(registrationObjects(text)).toEqual({
      objectList: ['/1/0', '/3/0', '/3/1', '/3303', '/5/0'],
      rootPath: '/',
      contentFormats: [11543],
      versions: { '3303': '1.1' },
    });
  });

  it('honours an alternate root path and quoted values with separators', () => {
    const r = registrationObjects('</lwm2m>;rt="oma.lwm2m";ct="60 110 112 11542",</lwm2m/1/0>,</lwm2m/3/0>');
    expect(r.rootPath).toBe('/lwm2m');
    expect(r.objectList).toEqual(['/1/0', '/3/0']);
    expect(r.contentFormats).toEqual([60, 110, 112, 11542]);
    expect(parseLinkFormat('</a>;title="x, y; z"')[0]!.params.title).toBe('x, y; z');
    expect(registrationObjects('').objectList).toEqual([]);
  });

  it('rejects malformed link format with PH_LWM2M_LINK_FORMAT', () => {
    for (const bad of ['</1/0', '1/0', '</1/0>;', '</1/0>,', '</1/0>;a="x', '</a/b>', '</1/0/1/2>']) {
      expect(() => registrationObjects(bad), bad).toThrow(Lwm2mError);
    }
  });

  it('refuses object and instance ids above 65535 (TS 1.1 Core §7.1), accepts 65535', () => {
    for (const bad of ['</70000/0>', '</3/65536>', '</99999>', '</3/0>,</65536>'])
      expect(() => registrationObjects(bad), bad).toThrow(/above 65535/);
    expect(registrationObjects('</65535/65535>').objectList).toEqual(['/65535/65535']);
  });

  it('every object list entry it accepts is a valid LwM2M path (fuzz)', () => {
    const id = fc.oneof(fc.integer({ min: 0, max: 70_000 }), fc.constantFrom(65535, 65536, 99999));
    fc.assert(
      fc.property(fc.array(fc.tuple(id, fc.option(id, { nil: undefined })), { maxLength: 5 }), (links) => {
        const text = links.map(([o, i]) => (i === undefined ? `</${o}>` : `</${o}/${i}>`)).join(',');
        try {
          for (const entry of registrationObjects(text).objectList) expect(() => parsePath(entry)).not.toThrow();
        } catch (err) {
          expect(err instanceof Lwm2mError && err.code === 'PH_LWM2M_LINK_FORMAT').toBe(true);
        }
      }),
    );
  });

  it('never throws anything but a PH_LWM2M error on garbage (fuzz)', () => {
    const chars = fc.constantFrom('<', '>', '/', ';', ',', '"', '=', '1', '0', 'a', ' ', '\\');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(chars, { maxLength: 40 }).map((a) => a.join('')),
        ),
        (text) => {
          try {
            registrationObjects(text);
          } catch (err) {
            expect(err instanceof Lwm2mError && err.code === 'PH_LWM2M_LINK_FORMAT').toBe(true);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });
});

describe('splitLinks', () => {
  it('splits at the commas between links only', () => {
    expect(splitLinks('</1/0>,</3/0>;title="a,b";rt="x",</a,b>')).toEqual([
      '</1/0>',
      '</3/0>;title="a,b";rt="x"',
      '</a,b>',
    ]);
    expect(splitLinks('')).toEqual([]);
    expect(splitLinks('</1>;t="q\\",",</2>')).toEqual(['</1>;t="q\\","', '</2>']);
  });

  it('joined back with commas, gives the text it came from (property)', () => {
    const link = fc
      .tuple(
        fc.integer({ min: 0, max: 65535 }),
        fc.option(
          fc.string().map((s) => s.replace(/["\\]/g, '')),
          { nil: undefined },
        ),
      )
      .map(([id, title]) => (title === undefined ? `</${id}>` : `</${id}>;title="${title}"`));
    fc.assert(
      fc.property(fc.array(link, { minLength: 1, maxLength: 6 }), (links) => {
        expect(splitLinks(links.join(','))).toEqual(links.map((l) => l.trim()));
      }),
    );
  });
});
