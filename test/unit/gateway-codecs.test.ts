import { Subject } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { Codec } from '../../src/codecs/types.js';
import { commonGatewayShape } from '../../src/gateway/common-schema.js';
import { GatewayManager } from '../../src/gateway/manager.js';
import type { GatewayDefinition, IngressItem } from '../../src/gateway/spi.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { BrokerDouble } from '../support/broker-double.js';

/** Upper-cases text: enough to see that the rule ran through the registered codec. */
const shout: Codec = {
  mediaType: 'application/x-shout',
  aliases: ['shout'],
  decode: (b) => b.toString('utf8'),
  encode: (v) => Buffer.from(String(v).toUpperCase()),
};

function definition(codecs?: Codec[]): GatewayDefinition & { ingress: Subject<IngressItem> } {
  const ingress = new Subject<IngressItem>();
  return {
    ingress,
    protocol: 'fake',
    configSchema: z.object(commonGatewayShape),
    capabilities: { uplink: true, downlink: false, requestReply: false, pausable: false },
    codecs,
    defaultMapping: () => ({ uplink: [{ address: '{a*}', topic: 'up/{a*}', payload: { in: 'text', out: 'shout' } }] }),
    create: () => ({
      ingress$: ingress.asObservable(),
      start: async () => undefined,
      stop: async () => ingress.complete(),
      send: async () => undefined,
      health: () => ({ connection: 'connected' as const, peers: 0 }),
    }),
  };
}

function manager(def: GatewayDefinition) {
  const broker = new BrokerDouble();
  const m = new GatewayManager({
    config: { fake: { a: z.object(commonGatewayShape).parse({}) } } as never,
    broker,
    logger: silentLogger(),
    metrics: new Metrics(),
    baseDir: '/nonexistent',
    definitions: [def],
  });
  return { broker, m };
}

describe('codecs a gateway definition registers', () => {
  it('are known to the mapping compiler: a rule naming them compiles and runs', async () => {
    const def = definition([shout]);
    const { broker, m } = manager(def);
    await m.start();
    def.ingress.next({ kind: 'message', address: 'x', payload: Buffer.from('hello') });
    await broker.waitForPublished(3);
    expect(broker.published.find((e) => e.topic === 'up/x')?.payload.toString()).toBe('HELLO');
    await m.stop();
  });

  it('without them the same rule is a load error naming the codec', async () => {
    const { m } = manager(definition());
    await expect(m.start()).rejects.toThrow(/shout/);
  });
});
