/** InstanceLifecycle: the state machine and idempotence every gateway instance relies on. */
import { firstValueFrom, lastValueFrom, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { GatewayError, InstanceLifecycle, StateError, type IngressItem } from '../../src/gateway/index.js';

function recorder(open: () => void | Promise<void> = () => undefined) {
  const calls: string[] = [];
  const life = new InstanceLifecycle('test.a', {
    open: async () => {
      calls.push('open');
      await open();
    },
    close: () => {
      calls.push('close');
    },
  });
  return { life, calls };
}

const msg = (address: string): IngressItem => ({ kind: 'message', address, payload: Buffer.from(address) });

describe('InstanceLifecycle', () => {
  it('start and stop are idempotent; concurrent starts share one open', async () => {
    const { life, calls } = recorder();
    const all = lastValueFrom(life.ingress$.pipe(toArray()));
    expect(life.state).toBe('new');
    await Promise.all([life.start(), life.start()]);
    await life.start();
    expect(life.state).toBe('started');
    expect(life.running).toBe(true);
    life.emit(msg('a'));
    await Promise.all([life.stop(), life.stop()]);
    await life.stop();
    life.emit(msg('late')); // a socket callback after stop is dropped
    expect(calls).toEqual(['open', 'close']);
    expect(await all).toEqual([msg('a')]);
    await expect(life.start()).rejects.toBeInstanceOf(StateError);
  });

  it('a failed open closes what was opened, completes ingress$ and rejects start', async () => {
    const { life, calls } = recorder(() => {
      throw new GatewayError('PH_TEST', 'bind failed');
    });
    const done = lastValueFrom(life.ingress$.pipe(toArray()));
    await expect(life.start()).rejects.toThrow('bind failed');
    expect(calls).toEqual(['open', 'close']);
    expect(life.state).toBe('stopped');
    expect(await done).toEqual([]);
    await life.stop();
    expect(calls).toEqual(['open', 'close']);
  });

  it('stop during a slow open waits for it, then closes', async () => {
    let release!: () => void;
    const { life, calls } = recorder(() => new Promise<void>((r) => (release = r)));
    const started = life.start();
    const stopped = life.stop();
    release();
    await started;
    await stopped;
    expect(calls).toEqual(['open', 'close']);
    expect(life.state).toBe('stopped');
  });

  it('stop before start closes nothing and completes ingress$', async () => {
    const { life, calls } = recorder();
    const done = lastValueFrom(life.ingress$.pipe(toArray()));
    await life.stop();
    expect(await done).toEqual([]);
    expect(calls).toEqual([]);
  });

  it('fail() errors ingress$ once with a GatewayError carrying the code and cause', async () => {
    const { life } = recorder();
    await life.start();
    const err = firstValueFrom(life.ingress$).catch((e: unknown) => e);
    const cause = new Error('socket died');
    life.fail('PH_TEST_RECEIVE', 'receive failed', cause);
    life.fail('PH_TEST_RECEIVE', 'again', cause);
    const e = (await err) as GatewayError;
    expect(e).toBeInstanceOf(GatewayError);
    expect(e.code).toBe('PH_TEST_RECEIVE');
    expect(e.message).toBe('test.a: receive failed');
    expect(e.cause).toBe(cause);
    expect(life.lastError).toBe('receive failed');
    await life.stop(); // the supervisor still stops the failed instance
  });

  it('send guard, fault items and health outside the running state', async () => {
    const { life } = recorder();
    expect(() => life.assertRunning()).toThrow(StateError);
    life.noteError('dial refused');
    expect(life.closedHealth()).toEqual({ connection: 'closed', peers: 0, lastError: 'dial refused' });
    await life.start();
    expect(() => life.assertRunning()).not.toThrow();
    const item = firstValueFrom(life.ingress$);
    life.fault('test.a/s', Buffer.from('x'), new Error('no delimiter'));
    expect(await item).toEqual({
      kind: 'fault',
      reason: 'malformed',
      error: 'no delimiter',
      payload: Buffer.from('x'),
      peer: 'test.a/s',
      reply: undefined,
    });
    await life.stop();
  });
});
