/** docs/gateways/coap.md lists every configuration key of gateways.coap.<name> (the issue asks for every key). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { coapConfigSchema } from '../../gateways/coap/schema.js';

describe('docs/gateways/coap.md', () => {
  it('names every configuration key and every sub-key', () => {
    const doc = readFileSync(new URL('../../docs/gateways/coap.md', import.meta.url), 'utf8');
    const table = doc.slice(doc.indexOf('## Configuration keys'), doc.indexOf('## Performance'));
    const missing: string[] = [];
    for (const [key, schema] of Object.entries(coapConfigSchema.shape)) {
      // nested objects are documented as `key.{a, b, c}` or with a link to docs/configuration.md
      const inner = (schema as { unwrap?: () => unknown }).unwrap?.() as
        { shape?: Record<string, unknown> } | undefined;
      const documented = new RegExp('`' + key + '[`.]').test(table) || new RegExp('[`,{ ]' + key + '[`,}]').test(table);
      if (!documented) missing.push(key);
      if (inner?.shape && table.includes('`' + key + '.{'))
        for (const sub of Object.keys(inner.shape))
          if (!new RegExp('`' + key + '\\.\\{[^}]*\\b' + sub + '\\b').test(table)) missing.push(`${key}.${sub}`);
    }
    expect(missing).toEqual([]);
  });
});
