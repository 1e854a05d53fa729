/**
 * Device sessions in tests: connect one through the real broker's `connectDevice` with a handler that records
 * deliveries and close reasons, and await them without sleeping.
 */
import type {
  BrokerApi,
  DeviceCloseReason,
  DeviceConnectRequest,
  DeviceDelivery,
  DeviceSession,
} from '../../src/broker/api.js';
import { DEFAULT_WAIT_MS, withTimeout } from './clients.js';

export class TestDevice {
  readonly deliveries: DeviceDelivery[] = [];
  readonly closes: DeviceCloseReason[] = [];
  session!: DeviceSession;
  sessionPresent = false;
  /** Each returns true once satisfied; the others stay registered. */
  #waiters: Array<() => boolean> = [];

  /** Resolves once at least n deliveries arrived (counting from the start). */
  async waitFor(n: number, timeoutMs = DEFAULT_WAIT_MS): Promise<DeviceDelivery[]> {
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (this.deliveries.length >= n) {
            resolve();
            return true;
          }
          return false;
        };
        if (!check()) this.#waiters.push(check);
      }),
      timeoutMs,
      () => `expected ${n} deliveries, got ${this.deliveries.length}`,
    );
    return this.deliveries.slice(0, n);
  }

  /** Resolves with the first close reason the broker reported. */
  async closed(timeoutMs = DEFAULT_WAIT_MS): Promise<DeviceCloseReason> {
    await withTimeout(
      new Promise<void>((resolve) => {
        const check = () => {
          if (this.closes.length === 0) return false;
          resolve();
          return true;
        };
        if (!check()) this.#waiters.push(check);
      }),
      timeoutMs,
      'device session was not closed by the broker',
    );
    return this.closes[0];
  }

  handler = {
    onDelivery: (d: DeviceDelivery) => {
      this.deliveries.push(d);
      this.#notify();
    },
    onClose: (reason: DeviceCloseReason) => {
      this.closes.push(reason);
      this.#notify();
    },
  };

  #notify(): void {
    this.#waiters = this.#waiters.filter((w) => !w());
  }
}

export type DeviceOptions = Partial<Omit<DeviceConnectRequest, 'handler'>> & { clientId: string };

/** Connect a device (protocol "mqttsn", gateway "mqttsn.test" unless given); throws when refused. */
export async function connectTestDevice(broker: BrokerApi, opts: DeviceOptions): Promise<TestDevice> {
  const device = new TestDevice();
  const r = await broker.connectDevice({
    protocol: 'mqttsn',
    gateway: 'mqttsn.test',
    peerAddress: '127.0.0.1',
    peerPort: 40000,
    cleanStart: true,
    sessionExpiry: 0,
    ...opts,
    handler: device.handler,
  });
  if (!r.ok) throw new Error(`device ${opts.clientId} refused: ${r.reason} (${r.detail})`);
  device.session = r.session;
  device.sessionPresent = r.sessionPresent;
  r.session.startDelivery();
  return device;
}
