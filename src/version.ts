/** The package version, read once from package.json (src/ under tsx, dist/src/ when compiled). */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | undefined;

export function version(): string {
  if (cached) return cached;
  const here = dirname(fileURLToPath(import.meta.url));
  for (const up of ['..', '../..']) {
    try {
      cached = (JSON.parse(readFileSync(join(here, up, 'package.json'), 'utf8')) as { version: string }).version;
      return cached;
    } catch {
      // try the next candidate
    }
  }
  return (cached = 'unknown');
}
