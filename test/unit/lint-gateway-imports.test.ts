/** The ESLint rule that keeps gateways on the public SPI (eslint.config.js): deep src/ paths and sibling gateways fail. */
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/hub.js';

async function problems(code: string, filePath: string): Promise<string[]> {
  const eslint = new ESLint({ cwd: REPO_ROOT });
  const [result] = await eslint.lintText(code, { filePath });
  return result.messages.map((m) => `${m.ruleId}: ${m.message}`);
}

describe('gateway import boundary', () => {
  it('allows the SPI barrel and the package entry', async () => {
    const code =
      "import { GatewayError } from '../../src/gateway/index.js';\nimport { Hub } from '../../src/index.js';\nexport const x = [GatewayError, Hub];\n";
    expect(await problems(code, 'gateways/probe/instance.ts')).toEqual([]);
  });

  it('refuses deep src/ imports, other gateways and duplicate import lines', async () => {
    const code = [
      "import type { GatewayInstance } from '../../src/gateway/spi.js';",
      "import { nngGateway } from '../nng/entry.js';",
      "import { GatewayError } from '../../src/gateway/index.js';",
      "import { StateError } from '../../src/gateway/index.js';",
      'export type I = GatewayInstance;',
      'export const x = [nngGateway, GatewayError, StateError];',
      '',
    ].join('\n');
    const found = await problems(code, 'gateways/probe/instance.ts');
    expect(found).toEqual([
      expect.stringMatching(/^no-restricted-imports: .*spi\.js.*only via src\/gateway\/index\.js/),
      expect.stringMatching(/^no-restricted-imports: .*never imports another gateway/),
      expect.stringMatching(/^no-duplicate-imports: /),
    ]);
  });
}, 60_000);
