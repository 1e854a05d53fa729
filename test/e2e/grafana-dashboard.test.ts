/**
 * deploy/grafana-dashboard.json only queries metrics a running hub exposes: every `protohub_*` name in its
 * PromQL must appear in /metrics of a freshly started hub with an NNG gateway, a bridge and the SQLite store.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { Hub, hubConfig } from '../../src/hub.js';
import { freePort } from '../support/net.js';
import { REPO_ROOT, sumMetric, testConfigInput } from '../support/hub.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

let hub: Hub | undefined;
afterAll(async () => {
  await hub?.stop();
  removeTempDirs();
});

interface Panel {
  targets?: Array<{ expr: string }>;
}

/** Metric names as exposed: `_bucket`/`_sum`/`_count` of a histogram belong to its base name. */
function exposedNames(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split('\n')) {
    const m = /^# TYPE (\S+) (\w+)/.exec(line) ?? /^([a-zA-Z_:][\w:]*)[ {]/.exec(line);
    if (!m) continue;
    names.add(m[1]);
    if (m[2] === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(m[1] + s);
  }
  return names;
}

it('every metric the Grafana dashboard queries exists in a running hub', async () => {
  const dashboard = JSON.parse(readFileSync(join(REPO_ROOT, 'deploy/grafana-dashboard.json'), 'utf8')) as {
    panels: Panel[];
    templating: { list: Array<{ definition?: string }> };
  };
  const exprs = [
    ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)),
    ...dashboard.templating.list.map((v) => v.definition ?? ''),
  ];
  const queried = new Set(exprs.flatMap((e) => e.match(/\bprotohub_\w+/g) ?? []));
  expect(queried.size).toBeGreaterThan(20);

  const config = hubConfig(
    testConfigInput({
      store: { type: 'sqlite', dir: tempDir('protohub-dash-') },
      http: { enable: true, bind: '127.0.0.1:0' },
      gateways: {
        nng: { g: { sockets: { s: { type: 'sub', dial: [`tcp://127.0.0.1:${await freePort()}`], subscribe: [''] } } } },
      },
      bridges: {
        mqtt: { b: { servers: [`mqtt://127.0.0.1:${await freePort()}`], forwards: [{ local: 'x/#', qos: 1 }] } },
      },
    }),
  );
  hub = new Hub(config, { loadConfig: () => ({ config }) });
  await hub.start();
  const text = await (await fetch(`http://127.0.0.1:${hub.address('http').port}/metrics`)).text();
  const exposed = exposedNames(text);
  const missing = [...queried].filter((n) => !exposed.has(n));
  expect(missing).toEqual([]);
  expect(sumMetric(text, 'protohub_reloads_total')).toBe(0); // exposed from start-up, before any reload
}, 60_000);
