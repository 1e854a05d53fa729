import fc from 'fast-check';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseConfigText } from '../../src/config/loader.js';
import type { HubConfig } from '../../src/config/schema.js';
import { changedPaths, diffConfig, isEmptyPlan } from '../../src/reload/diff.js';

const base = `
node.name = edge
listeners.tcp.default.bind = "127.0.0.1:1883"
store.type = memory
gateways.zeromq.a { sockets.s { type = sub, connect = ["tcp://127.0.0.1:5560"] } }
gateways.zeromq.b { sockets.s { type = sub, connect = ["tcp://127.0.0.1:5561"] } }
bridges.mqtt.up { servers = ["mqtt://127.0.0.1:18830"], forwards = [{ local = "a/#", remote = "x/\${topic}" }] }
bridges.mqtt.down { servers = ["mqtt://127.0.0.1:18831"], forwards = [{ local = "b/#", remote = "y/\${topic}" }] }
authorization.rules = [{ permission = allow, topics = ["#"] }]
`;

const cfg = (extra = ''): HubConfig => parseConfigText(base + extra, '/tmp/reload-diff.conf').config;

describe('diffConfig', () => {
  it('an identical config is an empty plan', () => {
    const plan = diffConfig(cfg(), cfg());
    expect(isEmptyPlan(plan)).toBe(true);
    expect(plan.gateways).toEqual({ add: [], remove: [], restart: [] });
  });

  it('a changed gateway restarts only that instance', () => {
    const plan = diffConfig(cfg(), cfg('gateways.zeromq.b.sockets.s.connect = ["tcp://127.0.0.1:5570"]'));
    expect(plan.gateways).toEqual({ add: [], remove: [], restart: ['zeromq.b'] });
    expect(plan.bridges).toEqual({ add: [], remove: [], restart: [] });
    expect(plan.restartRequired).toEqual([]);
  });

  it('added and removed gateways and bridges are listed by id', () => {
    const next = parseConfigText(
      base.replace(/gateways\.zeromq\.a .*\n/, '').replace(/bridges\.mqtt\.down .*\n/, '') +
        'gateways.nng.n { sockets.s { type = sub, dial = ["tcp://127.0.0.1:5590"] } }\n' +
        'bridges.mqtt.third { servers = ["mqtt://127.0.0.1:18832"], forwards = [{ local = "c/#" }] }',
      '/tmp/reload-diff.conf',
    ).config;
    const plan = diffConfig(cfg(), next);
    expect(plan.gateways).toEqual({ add: ['nng.n'], remove: ['zeromq.a'], restart: [] });
    expect(plan.bridges).toEqual({ add: ['third'], remove: ['down'], restart: [] });
  });

  it('a changed mapping file restarts its gateway although the config is the same', () => {
    const plan = diffConfig(cfg(), cfg(), { mappingsChanged: new Set(['zeromq.a']) });
    expect(plan.gateways.restart).toEqual(['zeromq.a']);
    expect(isEmptyPlan(plan)).toBe(false);
  });

  it('a changed bridge reconnects only that bridge', () => {
    const plan = diffConfig(cfg(), cfg('bridges.mqtt.up.keepalive = 17s'));
    expect(plan.bridges).toEqual({ add: [], remove: [], restart: ['up'] });
  });

  it('auth, authorization, log level and sys_topics are live', () => {
    const plan = diffConfig(
      cfg(),
      cfg(`auth.allow_anonymous = false
authorization.rules = [{ permission = deny, topics = ["#"] }]
log.level = debug
sys_topics.sys_msg_interval = 5s`),
    );
    expect(plan).toMatchObject({ auth: true, authorization: true, logLevel: 'debug', sys: true, restartRequired: [] });
  });

  it('listener, store, http, node, mqtt and log.format changes are reported as restart required', () => {
    const plan = diffConfig(
      cfg(),
      cfg(`listeners.tcp.default.bind = "127.0.0.1:1884"
listeners.ws.w.bind = "127.0.0.1:8083"
store.dir = /tmp/else
http.bind = "127.0.0.1:9999"
node.name = other
mqtt.max_inflight = 7
log.format = json`),
    );
    expect(plan.restartRequired).toEqual([
      'http.bind.port',
      'listeners.tcp.default.bind.port',
      'listeners.ws.w',
      'log.format',
      'mqtt.max_inflight',
      'node.name',
      'store.dir',
    ]);
    expect(plan.gateways.restart).toEqual([]);
  });
});

describe('changedPaths', () => {
  const json = fc.jsonValue({ maxDepth: 3 });
  it('is empty exactly when the values are deeply equal, and symmetric', () => {
    fc.assert(
      fc.property(json, json, (a, b) => {
        const ab = changedPaths(a, b, 'r', []);
        const ba = changedPaths(b, a, 'r', []);
        expect(ab.length === 0).toBe(isDeepStrictEqual(a, b));
        expect(new Set(ab)).toEqual(new Set(ba));
      }),
    );
  });

  it('names every changed leaf of a record under its dotted path', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.stringMatching(/^[a-z]{1,4}$/), fc.integer()),
        fc.stringMatching(/^[a-z]{1,4}$/),
        (rec, key) => {
          const changed = { ...rec, [key]: (rec[key] ?? 0) + 1 };
          expect(changedPaths(rec, changed, 'x', [])).toEqual([`x.${key}`]);
          expect(changedPaths(rec, rec, 'x', [])).toEqual([]);
        },
      ),
    );
  });
});
