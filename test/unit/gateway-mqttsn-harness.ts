/** A test harness around the sans-IO MQTT-SN gateway: a hand-driven clock and helpers to read its effects. */
import type { BrokerAction, BrokerEvent } from '../../gateways/mqttsn/broker-port.js';
import { encode } from '../../gateways/mqttsn/codec.js';
import type { Flags, Frame } from '../../gateways/mqttsn/frames.js';
import { SnGateway, type Effect } from '../../gateways/mqttsn/gateway.js';
import { mqttsnConfigSchema } from '../../gateways/mqttsn/schema.js';

import { snFlags } from '../support/mqttsn-client.js';

export const flags = snFlags;

export class Harness {
  readonly gw: SnGateway;
  now = 1_000_000;
  readonly log: Effect[] = [];
  constructor(config: Record<string, unknown> = {}) {
    this.gw = new SnGateway(
      mqttsnConfigSchema.parse({ predefined: [{ id: 1, topic: 'sensors/predef/1' }], ...config }),
    );
  }
  #keep(fx: Effect[]): Effect[] {
    this.log.push(...fx);
    return fx;
  }
  in(frame: Frame, peer = '127.0.0.1:5000'): Effect[] {
    return this.#keep(this.gw.datagram(peer, encode(frame), this.now));
  }
  raw(bytes: Buffer, peer = '127.0.0.1:5000'): Effect[] {
    return this.#keep(this.gw.datagram(peer, bytes, this.now));
  }
  ev(e: BrokerEvent): Effect[] {
    return this.#keep(this.gw.broker(e, this.now));
  }
  tick(advanceMs = 0): Effect[] {
    this.now += advanceMs;
    return this.#keep(this.gw.tick(this.now));
  }
  /** CONNECT + accepted connack; returns the session number. */
  connect(clientId = 'dev1', peer = '127.0.0.1:5000', extra: Partial<Flags> = {}, duration = 60): number {
    const fx = this.in({ type: 'CONNECT', flags: flags(extra), protocolId: 1, duration, clientId }, peer);
    const c = actions(fx).find((a) => a.type === 'connect');
    if (!c || c.type !== 'connect') throw new Error(`no connect action: ${JSON.stringify(fx)}`);
    this.ev({ type: 'connack', session: c.session, result: 'accepted' });
    return c.session;
  }
}

export const frames = (fx: Effect[]): Frame[] => fx.flatMap((e) => (e.kind === 'send' ? [e.frame] : []));
export const actions = (fx: Effect[]): BrokerAction[] => fx.flatMap((e) => (e.kind === 'broker' ? [e.action] : []));
export const drops = (fx: Effect[]): string[] => fx.flatMap((e) => (e.kind === 'drop' ? [e.reason] : []));
export const types = (fx: Effect[]): string[] => frames(fx).map((f) => f.type);
