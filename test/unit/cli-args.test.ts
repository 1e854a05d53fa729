/** The one command-line parser (src/cli/args.ts): typed values, and a clear UsageError for every bad input. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseCommandLine } from '../../src/cli/args.js';
import { UsageError } from '../../src/errors.js';

const SPEC = {
  quick: { kind: 'boolean', short: 'q' },
  runs: { kind: 'number', min: 1, max: 100 },
  rate: { kind: 'number', short: 'R', min: 0, fraction: true },
  only: { kind: 'list' },
  level: { kind: 'string', choices: ['info', 'debug'] },
  config: { kind: 'string', short: 'c' },
} as const;

const usage = (argv: string[], positionals = false): string => {
  try {
    parseCommandLine(argv, SPEC, { positionals });
  } catch (err) {
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).code).toBe('PH_CLI_USAGE');
    return (err as Error).message;
  }
  throw new Error(`no usage error for ${argv.join(' ')}`);
};

describe('parseCommandLine', () => {
  it('parses booleans, numbers, lists, choices, short and inline forms', () => {
    const { values, positionals } = parseCommandLine(
      ['-q', '--runs', '5', '-R', '2.5', '--only=a,b', '--level', 'debug', '-c', 'x.conf', '--', '--not-an-option'],
      SPEC,
      { positionals: true },
    );
    expect(values).toEqual({ quick: true, runs: 5, rate: 2.5, only: ['a', 'b'], level: 'debug', config: 'x.conf' });
    expect(positionals).toEqual(['--not-an-option']);
  });

  it('leaves absent options undefined so callers apply their defaults', () => {
    expect(parseCommandLine([], SPEC).values).toEqual({});
  });

  it('names the option whose value is missing, also when the next argument is another option', () => {
    expect(usage(['--only'])).toBe('--only needs a value');
    expect(usage(['--only', '--quick'])).toBe('--only needs a value');
    expect(usage(['-c'])).toBe('-c needs a value');
  });

  it('says what a number option expects', () => {
    expect(usage(['--runs', 'x'])).toBe('--runs must be an integer in 1..100, got x');
    expect(usage(['--runs', '2.5'])).toBe('--runs must be an integer in 1..100, got 2.5');
    expect(usage(['--runs', '0'])).toBe('--runs must be an integer in 1..100, got 0');
    expect(usage(['--runs', ''])).toBe('--runs must be an integer in 1..100, got ');
    expect(usage(['-R', '-1'])).toBe('-R must be a number in 0..Infinity, got -1');
  });

  it('refuses unknown options, values on flags, bad choices, empty list items and stray arguments', () => {
    expect(usage(['--nope'])).toBe('unknown option --nope');
    expect(usage(['-x'])).toBe('unknown option -x');
    expect(usage(['--quick=yes'])).toBe('--quick takes no value');
    expect(usage(['--level', 'loud'])).toBe('--level must be one of info, debug, got loud');
    expect(usage(['--only', 'a,,b'])).toMatch(/^--only needs a comma-separated list/);
    expect(usage(['stray'])).toBe('unexpected argument stray');
    expect(usage(['--', 'stray'])).toBe('unexpected argument stray');
  });

  it('property: any argv either parses or throws a UsageError, never anything else', () => {
    const token = fc.oneof(
      fc.constantFrom('-q', '--runs', '-R', '--only', '--level', '-c', '--', '-', '--quick=1', '-qc', '--runs=3'),
      fc.string({ maxLength: 6 }),
    );
    fc.assert(
      fc.property(fc.array(token, { maxLength: 8 }), fc.boolean(), (argv, positionals) => {
        try {
          parseCommandLine(argv, SPEC, { positionals });
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('bench/run.ts', () => {
  it('--only without a value is a usage error with exit code 2, not a TypeError', async () => {
    const run = promisify(execFile);
    const err = await run('npx', ['tsx', 'bench/run.ts', '--only'], { timeout: 60_000 }).then(
      () => undefined,
      (e: { code?: number; stderr?: string }) => e,
    );
    expect(err?.code).toBe(2);
    expect(err?.stderr).toMatch(/^--only needs a value\nusage: npm run bench/);
    expect(err?.stderr).not.toMatch(/TypeError/);
  }, 90_000);
});
