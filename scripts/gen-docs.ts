/**
 * `npm run docs`: regenerates docs/configuration.md and docs/protohub.schema.json from the zod config
 * schema. test/unit/config-docs.test.ts fails when the committed files differ from what this renders.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { configSections, renderJsonSchema, renderTable } from '../src/config/config-docs.js';
import { hubConfigSchema } from '../src/config/schema.js';

export const MARKDOWN_FILE = fileURLToPath(new URL('../docs/configuration.md', import.meta.url));
export const JSON_SCHEMA_FILE = fileURLToPath(new URL('../docs/protohub.schema.json', import.meta.url));

const PREAMBLE = `# Configuration reference

<!-- Generated from src/config/schema.ts by \`npm run docs\` (scripts/gen-docs.ts). Do not edit by hand. -->

protohub reads one [HOCON](https://github.com/lightbend/config/blob/main/HOCON.md) file:
\`protohub start -c FILE\` (default \`config/protohub.conf\`); \`protohub check -c FILE\` validates it without
starting. Every key has a default, so an empty file is a valid configuration. A JSON Schema of the same keys,
for editors, is in [protohub.schema.json](protohub.schema.json).

## Syntax in short

- \`a.b.c = 1\` is the same as \`a { b { c = 1 } }\`; \`=\`, \`:\` or nothing (before \`{\`) separate a key from its value.
- A key written twice keeps the later value; two objects under one key merge, key by key.
- \`include "other.conf"\` reads another file at that point (relative names resolve against the including
  file); keys written after it override it. A missing file is skipped, unless written \`include required("f")\`.
- \`\${path}\` is the value of another key, or of the environment variable of that name when no key has it;
  \`\${?VAR}\` leaves the key at its earlier value (or its default) when \`VAR\` is unset:
  \`store.dir = \${?PROTOHUB_STORE_DIR}\`.
- Where a number or boolean is expected, a string that spells one is accepted (\`"64"\`, \`"on"\`, \`"off"\`),
  so environment variables can set any key.
- Strings may be unquoted unless they contain one of \`: = , { } [ ] $ " # + ^ ? ! @ * & \\\`, a backquote or
  \`//\`, so quote addresses (\`bind = "0.0.0.0:1883"\`) and URLs. \`#\` and \`//\` start comments.

## Value types

| type | written as |
| --- | --- |
| duration | \`"250ms"\`, \`"30s"\`, \`"5m"\`, \`"2h"\`, \`"1d"\`, or a number of milliseconds |
| size | \`"512B"\`, \`"64KB"\`, \`"1MB"\`, \`"1GB"\` (1024-based), or a number of bytes |
| host:port | \`"0.0.0.0:1883"\`, \`"[::1]:1883"\`, \`":1883"\` (all interfaces) or \`1883\` |
| object (by name) | named instances: \`listeners.tcp.default { ... }\`, \`listeners.tcp.internal { ... }\` |

Unknown keys are errors, reported with the file and line where they are written, like every other problem.
In the tables, \`<name>\` stands for an instance name you choose and \`[]\` for an array element.
`;

export function renderConfigDocs(): { markdown: string; jsonSchema: string } {
  const parts = [PREAMBLE];
  for (const section of configSections(hubConfigSchema)) {
    parts.push(`## ${section.path}\n`);
    if (section.description) parts.push(`${section.description}\n`);
    parts.push(section.rows.length ? `${renderTable(section.rows)}\n` : '(no keys)\n');
  }
  return { markdown: parts.join('\n'), jsonSchema: renderJsonSchema(hubConfigSchema) };
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const { markdown, jsonSchema } = renderConfigDocs();
  writeFileSync(MARKDOWN_FILE, markdown);
  writeFileSync(JSON_SCHEMA_FILE, jsonSchema);
  process.stdout.write(`wrote ${MARKDOWN_FILE}\nwrote ${JSON_SCHEMA_FILE}\n`);
}
