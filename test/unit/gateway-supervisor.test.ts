import { Subject } from 'rxjs';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { compileMapping } from '../../src/mapping/compile.js';
import { commonGatewayShape } from '../../src/gateway/common-schema.js';
import { GatewayMetrics } from '../../src/gateway/metrics.js';
import type { GatewayDefinition, GatewayInstance, IngressItem, InstanceHealth } from '../../src/gateway/spi.js';
import { GatewaySupervisor } from '../../src/gateway/supervisor.js';
import { silentLogger } from '../../src/logger.js';
import { Metrics } from '../../src/metrics.js';
import { BrokerDouble } from '../support/broker-double.js';

function waitUntil(probe: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    const t = setInterval(() => {
      if (probe()) {
        clearInterval(t);
        resolve();
      }
    }, 2);
  });
}

/** Instances whose start fails `failures` times, then succeed; their ingress can be errored by the test. */
function flaky(failures: number) {
  const created: { ingress: Subject<IngressItem>; stopped: boolean }[] = [];
  const def: GatewayDefinition = {
    protocol: 'flaky',
    configSchema: z.object(commonGatewayShape),
    capabilities: { uplink: true, downlink: false, requestReply: false, pausable: false },
    defaultMapping: () => ({ uplink: [{ address: '{a*}', topic: 'f/{a*}' }] }),
    create: (): GatewayInstance => {
      const rec = { ingress: new Subject<IngressItem>(), stopped: false };
      const n = created.push(rec);
      return {
        ingress$: rec.ingress.asObservable(),
        start: async () => {
          if (n <= failures) throw new Error(`start failure ${n}`);
        },
        stop: async () => {
          rec.stopped = true;
          rec.ingress.complete();
        },
        send: async () => undefined,
        health: () => ({ connection: 'connected', peers: 1 }),
      };
    },
  };
  return { def, created };
}

function supervisor(def: GatewayDefinition, metrics = new Metrics()) {
  const config = z
    .object(commonGatewayShape)
    .parse({ restart: { initial_backoff: '10ms', max_backoff: '40ms', jitter: 0 } });
  return new GatewaySupervisor({
    definition: def,
    name: 'x',
    config,
    broker: new BrokerDouble(),
    logger: silentLogger(),
    metrics: new GatewayMetrics(metrics, 'flaky.x'),
    mapping: compileMapping(def.defaultMapping('x', config), { source: 'default:flaky.x' }),
  });
}

describe('GatewaySupervisor', () => {
  it('retries a failing start with backoff until it runs, keeping the last error and counting restarts', async () => {
    const { def, created } = flaky(3);
    const metrics = new Metrics();
    const s = supervisor(def, metrics);
    await s.start();
    expect(s.health()).toMatchObject({ state: 'restarting', lastError: 'start failure 1' });
    await waitUntil(() => s.health().state === 'running');
    expect(s.health()).toMatchObject({ restarts: 3, lastError: 'start failure 3', connection: 'connected' });
    expect(created.slice(0, 3).every((c) => c.stopped)).toBe(true);
    expect(await metrics.value('protohub_gateway_restarts_total')).toBe(3);
    await s.stop();
    expect(s.health().state).toBe('stopped');
  });

  it('restarts a fresh instance when the running one fails (ingress$ errors)', async () => {
    const { def, created } = flaky(0);
    const s = supervisor(def);
    await s.start();
    created[0].ingress.error(new Error('socket exploded'));
    await waitUntil(() => created.length === 2 && s.health().state === 'running');
    expect(created[0].stopped).toBe(true);
    expect(s.health()).toMatchObject({ restarts: 1 });
    await Promise.all([s.stop(), s.stop()]);
    expect(created[1].stopped).toBe(true);
  });

  it('stop during the backoff cancels the restart', async () => {
    vi.useFakeTimers();
    try {
      const { def, created } = flaky(100);
      const s = supervisor(def);
      await s.start();
      expect(s.health().state).toBe('restarting');
      await s.stop();
      await vi.advanceTimersByTimeAsync(10_000);
      expect(created.length).toBe(1);
      expect(s.health().state).toBe('stopped');
    } finally {
      vi.useRealTimers();
    }
  });

  it('republishes the retained status when health changes, at most once per interval and always the latest', async () => {
    vi.useFakeTimers();
    try {
      let health: InstanceHealth = { connection: 'listening', peers: 0 };
      const def: GatewayDefinition = {
        ...flaky(0).def,
        create: (): GatewayInstance => ({
          ingress$: new Subject<IngressItem>().asObservable(),
          start: async () => undefined,
          stop: async () => undefined,
          send: async () => undefined,
          health: () => health,
        }),
      };
      const broker = new BrokerDouble();
      const config = z.object(commonGatewayShape).parse({});
      const s = new GatewaySupervisor({
        definition: def,
        name: 'x',
        config,
        broker,
        logger: silentLogger(),
        metrics: new GatewayMetrics(new Metrics(), 'flaky.x'),
        mapping: compileMapping(def.defaultMapping('x', config), { source: 'default:flaky.x' }),
        statusIntervalMs: 1000,
      });
      const statuses = () =>
        broker.published
          .filter((e) => e.topic === '$hub/gateways/flaky.x/status')
          .map((e) => {
            expect(e.retain).toBe(true);
            return JSON.parse(e.payload.toString()) as { state: string; peers: number; lastError?: string };
          });
      await s.start();
      expect(statuses().map((x) => x.state)).toEqual(['starting', 'running']);

      await vi.advanceTimersByTimeAsync(3000); // nothing changed: nothing republished
      expect(statuses()).toHaveLength(2);

      health = { connection: 'connected', peers: 1 };
      health = { connection: 'connected', peers: 2 };
      health = { connection: 'connected', peers: 3, lastError: 'peer 2 reset' }; // three changes in one interval
      await vi.advanceTimersByTimeAsync(999);
      expect(statuses()).toHaveLength(2); // not before the interval ends
      await vi.advanceTimersByTimeAsync(1);
      expect(statuses()).toHaveLength(3);
      expect(statuses()[2]).toMatchObject({
        state: 'running',
        connection: 'connected',
        peers: 3,
        lastError: 'peer 2 reset',
      });

      await vi.advanceTimersByTimeAsync(5000);
      expect(statuses()).toHaveLength(3);
      health = { connection: 'connecting', peers: 0, lastError: 'peer 2 reset' };
      await vi.advanceTimersByTimeAsync(1000);
      expect(statuses()[3]).toMatchObject({ connection: 'connecting', peers: 0 });

      await s.stop();
      const states = statuses().map((x) => x.state);
      expect(states.slice(-2)).toEqual(['stopping', 'stopped']);
      await vi.advanceTimersByTimeAsync(5000); // the sampling timer ended with the instance
      expect(statuses().map((x) => x.state)).toEqual(states);
    } finally {
      vi.useRealTimers();
    }
  });
});
