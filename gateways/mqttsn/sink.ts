/** What the per-client state machine produces for one input: frames to the client, broker actions, drops. */
import type { BrokerAction } from './broker-port.js';
import type { Frame } from './frames.js';
import type { MqttSnConfig } from './schema.js';

export interface ClientSink {
  /** A frame for this client (the gateway adds the route and forwarder encapsulation). */
  send(frame: Frame): void;
  broker(action: BrokerAction): void;
  /** Something was refused or dropped; `reason` is the metric label. */
  drop(reason: string, detail?: string): void;
}

/** The parts of the instance config the sans-IO core reads. */
export type CoreConfig = Pick<
  MqttSnConfig,
  'predefined' | 'enable_qos3' | 'keepalive_tolerance' | 'advertise' | 'retry' | 'sleep' | 'limits'
>;
