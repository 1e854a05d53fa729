import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadMappingFile } from '../../src/mapping/compile.js';

// The shipped mapping files are user documentation that the examples run as they are: each must compile.
const dir = join(import.meta.dirname, '../../mappings');
const files = readdirSync(dir).filter((f) => f.endsWith('.conf') || f.endsWith('.json'));

describe('shipped mapping files', () => {
  it('exist', () => {
    expect(files.length).toBeGreaterThan(0);
  });

  it.each(files)('%s compiles', (file) => {
    const mapping = loadMappingFile(join(dir, file));
    expect(mapping.source).toBe(join(dir, file));
  });
});
