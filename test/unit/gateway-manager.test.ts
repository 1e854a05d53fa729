import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Subject } from 'rxjs';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { envelope } from '../../src/envelope.js';
import { commonGatewayShape, type CommonGatewayConfig } from '../../src/gateway/common-schema.js';
import { GatewayManager } from '../../src/gateway/manager.js';
import type { DownlinkMessage, GatewayDefinition, GatewayInstance, IngressItem } from '../../src/gateway/spi.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { BrokerDouble } from '../support/broker-double.js';
import { removeTempDirs, tempDir } from '../support/tmp.js';

afterAll(() => removeTempDirs());

/** An in-memory gateway: the test drives its ingress and sees what it sends. */
class FakeInstance implements GatewayInstance {
  readonly pressure: string[] = [];
  readonly ingress = new Subject<IngressItem>();
  readonly ingress$ = this.ingress.asObservable();
  readonly sent: DownlinkMessage[] = [];
  async start(): Promise<void> {}
  async stop(): Promise<void> {
    this.ingress.complete();
  }
  async send(m: DownlinkMessage): Promise<void> {
    this.sent.push(m);
  }
  health() {
    return { connection: 'connected' as const, peers: 1 };
  }
  pause(): void {
    this.pressure.push('pause');
  }
  resume(): void {
    this.pressure.push('resume');
  }
}

const instances: FakeInstance[] = [];
const fake: GatewayDefinition = {
  protocol: 'fake',
  configSchema: z.object(commonGatewayShape),
  capabilities: { uplink: true, downlink: true, requestReply: false, pausable: false },
  defaultMapping: (name) => ({
    uplink: [{ address: '{a*}', topic: `fake/${name}/{a*}` }],
    downlink: [{ filter: `fake/${name}/cmd/{a*}`, address: '{a*}' }],
  }),
  create: () => {
    const i = new FakeInstance();
    instances.push(i);
    return i;
  },
};

const cfg = (over: Record<string, unknown> = {}): CommonGatewayConfig => z.object(commonGatewayShape).parse(over);

function manager(config: Record<string, CommonGatewayConfig>, baseDir = '/nonexistent') {
  const broker = new BrokerDouble();
  const m = new GatewayManager({
    config: { fake: config } as never,
    broker,
    logger: silentLogger(),
    metrics: new Metrics(),
    baseDir,
    definitions: [fake],
  });
  return { broker, m };
}

describe('GatewayManager', () => {
  it('runs each instance under the default convention: uplink to the broker, downlink to the instance', async () => {
    const { broker, m } = manager({ a: cfg() });
    await m.start();
    await m.start();
    const inst = instances.at(-1)!;
    inst.ingress.next({ kind: 'message', address: 'x/y', payload: Buffer.from('1') });
    await broker.waitForPublished(3);
    const status = broker.published.filter((e) => e.topic === '$hub/gateways/fake.a/status');
    expect(status.map((e) => [JSON.parse(e.payload.toString()).state, e.retain])).toEqual([
      ['starting', true],
      ['running', true],
    ]);
    expect(broker.published.filter((e) => !e.topic.startsWith('$hub/')).map((e) => e.topic)).toEqual(['fake/a/x/y']);
    expect(broker.sessions[0].subscriptions).toEqual([{ filter: 'fake/a/cmd/#', qos: 1, noLocal: true }]);
    broker.deliver(envelope('fake/a/cmd/v', 'open'));
    await new Promise((r) => setImmediate(r));
    expect(inst.sent.map((s) => s.address)).toEqual(['v']);
    expect(m.health()).toMatchObject([
      { id: 'fake.a', state: 'running', connection: 'connected', mapping: 'default:fake.a' },
    ]);
    await Promise.all([m.stop(), m.stop()]);
    expect(m.health()[0].state).toBe('stopped');
    expect(broker.sessions).toEqual([]);
  });

  it('a mapping load error fails start before any instance starts, naming file and rule', async () => {
    const dir = tempDir();
    writeFileSync(
      join(dir, 'bad.json'),
      JSON.stringify({
        uplink: [
          { name: 'r1', address: '{a*}', topic: 't/{a*}' },
          { name: 'r2', address: 'x/{b*}', topic: 'u/{b*}' },
        ],
      }),
    );
    const before = instances.length;
    const { m } = manager({ good: cfg(), broken: cfg({ mapping: 'bad.json' }) }, dir);
    await expect(m.start()).rejects.toThrow(/bad\.json.*r2|r2.*bad\.json/s);
    expect(instances.length).toBe(before);
    expect(m.health()).toEqual([]);
  });

  it('overflow block pauses the instance while the uplink buffer is full and resumes it when there is room', async () => {
    const { broker, m } = manager({ b: cfg({ uplink_buffer: { max_messages: 2, overflow: 'block' } }) });
    const gates: (() => void)[] = [];
    const publish = broker.publish.bind(broker);
    broker.publish = (env) => new Promise<void>((resolve) => gates.push(() => resolve(publish(env))));
    await m.start();
    const inst = instances.at(-1)!;
    for (const a of ['1', '2', '3', '4']) inst.ingress.next({ kind: 'message', address: a, payload: Buffer.from(a) });
    // 1 is being published, 2 and 3 fill the buffer (pause), 4 arrives although paused and is dropped.
    expect(inst.pressure).toEqual(['pause']);
    while (!inst.pressure.includes('resume')) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    expect(inst.pressure).toEqual(['pause', 'resume']);
    while (broker.published.filter((e) => !e.topic.startsWith('$hub/')).length < 3) {
      await new Promise((r) => setImmediate(r));
      gates.shift()?.();
    }
    expect(broker.published.filter((e) => !e.topic.startsWith('$hub/')).map((e) => e.topic)).toEqual([
      'fake/b/1',
      'fake/b/2',
      'fake/b/3',
    ]);
    await m.stop();
  });

  it('lists disabled instances in health without starting them', async () => {
    const before = instances.length;
    const { m } = manager({ off: cfg({ enable: false }) });
    await m.start();
    expect(instances.length).toBe(before);
    expect(m.health()).toMatchObject([{ id: 'fake.off', state: 'disabled' }]);
    await m.stop();
  });
});
