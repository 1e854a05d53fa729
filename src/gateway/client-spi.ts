/**
 * Client gateways (MQTT-SN, CoAP with a client id, LwM2M endpoints): every device is a client of the broker
 * with its own session (BrokerApi.connectDevice), unlike address-mapped gateways (ZeroMQ, NNG, DDS) whose
 * peers share one pipeline session. The hub runs them under the same supervisor (restart with backoff,
 * health, status topic); there is no mapping pipeline: topics come from the devices (under the instance's
 * mountpoint), and each device's deliveries go to the gateway through its own session, acked per device.
 */
import type { Observable } from 'rxjs';
import type { z } from 'zod';
import type { DeviceConnectRequest, DeviceConnectResult, DevicePublish } from '../broker/device-types.js';
import type { Codec } from '../codecs/types.js';
import type { ClientGatewayConfigBase } from './client-schema.js';
import type { GatewayContext, InstanceHealth } from './spi.js';

/** What a gateway passes to connect one device; the instance's settings fill in the rest. */
export type DeviceConnect = Omit<
  DeviceConnectRequest,
  'protocol' | 'gateway' | 'mountpoint' | 'allowAnonymous' | 'inflightWindow' | 'queue'
>;

/** Connects this instance's devices to the broker: protocol, gateway id, mountpoint, allow_anonymous, window and
 * queue bounds of the instance are applied. */
export interface DeviceSessions {
  /** Authenticate and connect one device; refusals are results (map them to the protocol's return code). */
  connect(req: DeviceConnect): Promise<DeviceConnectResult>;
  /**
   * Publish for a sender without a session (MQTT-SN QoS -1): refused when the instance sets
   * allow_anonymous = false; otherwise authorized as an anonymous client with an empty client id from
   * `peerAddress`, under the mountpoint (placeholders left as written). Resolves like DeviceSession.publish.
   */
  publishUnconnected(msg: DevicePublish & { peerAddress: string }): Promise<void>;
  /** Devices of this instance connected now. */
  readonly connected: number;
}

export interface ClientGatewayContext extends GatewayContext {
  readonly devices: DeviceSessions;
}

/** One device a management gateway knows (an LwM2M endpoint): its name, its objects, and what else it reports. */
export interface ManagedDevice {
  readonly ep: string;
  readonly objectList: readonly string[];
}

/**
 * What a device-management gateway (LwM2M) offers the HTTP API: its registered devices, and one command on one of
 * them that resolves with the result document (EMQX `up/resp` shape); undefined when the device is not registered.
 */
export interface DeviceManagement {
  list(): readonly ManagedDevice[];
  command(device: string, command: unknown): Promise<Record<string, unknown>> | undefined;
  /** What the gateway's object definitions say of a resource path ("/3/0/1"); undefined when nothing. */
  describe?(path: string): ResourceDescription | undefined;
}

/** A resource as an object definition declares it (EMQX's discover lookup shape). */
export interface ResourceDescription {
  readonly name: string;
  /** "R", "W", "RW", "E" or "" (TS 1.1 Core Appendix D, Operations). */
  readonly operations: string;
  /** The resource type; absent for executable resources. */
  readonly dataType?: string;
}

export interface ClientGatewayInstance {
  /** Open sockets. Idempotent; rejects with a GatewayError when the instance cannot start. */
  start(): Promise<void>;
  /**
   * Close sockets and end every device session this instance opened (close() or lose()). Idempotent, bounded.
   * Sessions still open afterwards are lost (will published), as TCP clients are when the hub stops.
   */
  stop(): Promise<void>;
  health(): InstanceHealth;
  /** Errors when the instance as a whole failed (the supervisor restarts it); never completes on its own. */
  readonly failure$?: Observable<never>;
  /** Device management for the HTTP API (LwM2M); absent for gateways that only relay messages. */
  readonly management?: DeviceManagement;
}

export interface ClientGatewayDefinition<C extends ClientGatewayConfigBase = ClientGatewayConfigBase> {
  readonly kind: 'client';
  /** Key under `gateways.`, e.g. "mqttsn". */
  readonly protocol: string;
  /** Instance config schema; must include the client keys (see client-schema.ts). */
  readonly configSchema: z.ZodType<C, unknown>;
  /** Payload codecs (SenML, LwM2M TLV…) this protocol adds to the registry mapping files resolve against. */
  readonly codecs?: readonly Codec[];
  /** Build an instance; must do no I/O (start() does). May load the protocol runtime lazily. */
  create(config: C, ctx: ClientGatewayContext): ClientGatewayInstance | Promise<ClientGatewayInstance>;
}
