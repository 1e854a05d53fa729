/**
 * The built package, imported by its name: `import('protohub')` from the repository root resolves through
 * package.json "exports" (package self-reference) to dist/src/index.js, so this checks the path package.json
 * names, the emitted .d.ts and that an embedding application can run a hub with only the public API.
 * Needs `npm run build` first, like every test that runs dist/.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../support/hub.js';

const run = promisify(execFile);

// Runs as an ES module in a child Node: the same resolution an application depending on protohub gets.
const SCRIPT = `
const ph = await import('protohub');
const hub = new ph.Hub(
  ph.hubConfig({ listeners: {}, store: { type: 'memory' }, http: { enable: false, bind: '127.0.0.1:0' } }),
  { logger: ph.silentLogger() },
);
await hub.start();
const got = new Promise((resolve, reject) => {
  const sub = hub.broker
    .session$({ clientId: '$hub/embed-test', subscriptions: [{ filter: 'demo/#', qos: 1 }] })
    .subscribe({
      next: (d) => {
        d.ack();
        resolve({ topic: d.envelope.topic, payload: d.envelope.payload.toString() });
        setImmediate(() => sub.unsubscribe());
      },
      error: reject,
    });
});
await hub.broker.publish(ph.envelope('demo/a', 'hello', { qos: 1 }));
const delivery = await got;
await hub.stop();
let topicError = null;
try { ph.assertTopicName('a/+'); } catch (e) { topicError = { isTopicError: e instanceof ph.TopicError, isHubError: e instanceof ph.HubError, code: e.code }; }
console.log(JSON.stringify({ exports: Object.keys(ph).sort(), delivery, topicError }));
`;

describe('package entry "protohub"', () => {
  const built = existsSync(join(REPO_ROOT, 'dist/src/index.js'));

  it.skipIf(!built)(
    'resolves by name to the built entry, with types, and runs a hub through the public API',
    async () => {
      const pkg = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
        name: string;
        exports: { '.': { types: string; default: string } };
      };
      expect(pkg.name).toBe('protohub');
      expect(existsSync(join(REPO_ROOT, pkg.exports['.'].types))).toBe(true);
      expect(existsSync(join(REPO_ROOT, pkg.exports['.'].default))).toBe(true);

      const { stdout } = await run(process.execPath, ['--input-type=module', '-e', SCRIPT], {
        cwd: REPO_ROOT,
        timeout: 60_000,
      });
      const out = JSON.parse(stdout.trim().split('\n').pop()!) as {
        exports: string[];
        delivery: { topic: string; payload: string };
        topicError: { isTopicError: boolean; isHubError: boolean; code: string };
      };
      expect(out.delivery).toEqual({ topic: 'demo/a', payload: 'hello' });
      expect(out.topicError).toEqual({ isTopicError: true, isHubError: true, code: 'PH_TOPIC_INVALID' });
      // What the issue promised: Hub, the gateway SPI helpers, Envelope factory, errors, codec registry, config, logger.
      for (const name of [
        'Hub',
        'hubConfig',
        'loadConfig',
        'envelope',
        'HubError',
        'GatewayError',
        'ConfigError',
        'CodecRegistry',
        'defaultCodecs',
        'createLogger',
        'InstanceLifecycle',
        'GatewayMetrics',
        'commonGatewaySchema',
        'topicMatches',
        'validateTopicName',
      ]) {
        expect(out.exports).toContain(name);
      }
    },
    90_000,
  );

  it.skipIf(!built)(
    'its .d.ts gives a TypeScript consumer the promised types by the package name',
    () => {
      // A consumer file inside the package scope, so 'protohub' self-resolves through "exports" → types.
      const file = join(REPO_ROOT, 'dist', `.entry-types-${process.pid}.ts`);
      writeFileSync(
        file,
        [
          'import type { BrokerApi, Delivery, Envelope, GatewayContext, GatewayDefinition, GatewayInstance,',
          "  HubConfig, IngressItem, InstanceHealth, Logger, Codec } from 'protohub';",
          "import { Hub, InstanceLifecycle, envelope } from 'protohub';",
          'export type All = [BrokerApi, Delivery, Envelope, GatewayContext, GatewayDefinition, GatewayInstance,',
          '  HubConfig, IngressItem, InstanceHealth, Logger, Codec];',
          'export const used = [Hub, InstanceLifecycle, envelope];',
        ].join('\n'),
      );
      try {
        const program = ts.createProgram([file], {
          module: ts.ModuleKind.NodeNext,
          moduleResolution: ts.ModuleResolutionKind.NodeNext,
          target: ts.ScriptTarget.ES2022,
          strict: true,
          noEmit: true,
          skipLibCheck: true,
          types: ['node'],
        });
        const problems = ts
          .getPreEmitDiagnostics(program)
          .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
        expect(problems).toEqual([]);
      } finally {
        rmSync(file, { force: true });
      }
    },
    90_000,
  );
});
