import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { JSON_SCHEMA_FILE, MARKDOWN_FILE, renderConfigDocs } from '../../scripts/gen-docs.js';
import { configSections, renderTable } from '../../src/config/config-docs.js';
import { byteSize, duration } from '../../src/config/types.js';

const read = (file: string): string => {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return '(missing)';
  }
};

describe('generated configuration docs', () => {
  const rendered = renderConfigDocs();

  it('docs/configuration.md is up to date', () => {
    // toBe would print a huge diff; the message says what to do.
    expect(read(MARKDOWN_FILE) === rendered.markdown, 'docs/configuration.md is stale: run `npm run docs`').toBe(true);
  });

  it('docs/protohub.schema.json is up to date', () => {
    expect(
      read(JSON_SCHEMA_FILE) === rendered.jsonSchema,
      'docs/protohub.schema.json is stale: run `npm run docs`',
    ).toBe(true);
  });

  it('renders deterministically', () => {
    expect(renderConfigDocs()).toEqual(rendered);
  });

  it('lists keys with type, default, range and description', () => {
    const md = rendered.markdown;
    expect(md).toContain('| `mqtt.retry_interval` | duration | `"30s"` |  | resend an unacknowledged QoS>0 message');
    expect(md).toContain('| `mqtt.max_qos_allowed` | integer | `2` | 0 .. 2 |');
    expect(md).toContain('| `listeners.ssl.<name>.certfile` | string | **required** |');
    expect(md).toContain(
      '| `log.level` | enum | `"info"` | "trace" \\| "debug" \\| "info" \\| "warn" \\| "error" \\| "fatal" \\| "silent" |',
    );
    expect(md).toContain('| `authorization.rules[].topics` | array of string | **required** | ≥ 1 item(s) |');
    expect(md).toMatch(/^## gateways\./m);
  });

  it('emits a JSON Schema with every top-level section', () => {
    const schema = JSON.parse(rendered.jsonSchema) as {
      properties: Record<string, unknown>;
      additionalProperties?: unknown;
    };
    expect(Object.keys(schema.properties)).toEqual([
      'node',
      'listeners',
      'mqtt',
      'auth',
      'authorization',
      'store',
      'http',
      'log',
      'gateways',
      'bridges',
      'sys_topics',
      'rules',
    ]);
    expect(schema.additionalProperties).toBe(false);
    const store = schema.properties.store as { additionalProperties?: unknown };
    expect(store.additionalProperties).toBe(false);
  });
});

describe('config docs renderer', () => {
  it('walks nested objects, named records and arrays, with unit types and ranges', () => {
    const schema = z.object({
      a: z
        .object({
          wait: duration('how long', 10, 3_600_000).prefault('1m'),
          size: byteSize('how big', 1024).prefault('1MB'),
          inst: z
            .record(z.string(), z.object({ n: z.number().int().min(1).optional().describe('count | pipes') }))
            .default({})
            .describe('by name'),
          list: z
            .array(z.object({ k: z.enum(['x', 'y']) }))
            .default([])
            .describe('items'),
        })
        .prefault({}),
    });
    const [section] = configSections(schema);
    expect(renderTable(section.rows).split('\n').slice(2)).toEqual([
      '| `a.wait` | duration | `"1m"` | 10ms .. 1h | how long |',
      '| `a.size` | size | `"1MB"` | ≥ 1KB | how big |',
      '| `a.inst` | object (by name) | `{}` |  | by name |',
      '| `a.inst.<name>.n` | integer | unset | ≥ 1 | count \\| pipes |',
      '| `a.list` | array of { k } | `[]` |  | items |',
      '| `a.list[].k` | enum | **required** | "x" \\| "y" |  |',
    ]);
  });
});
