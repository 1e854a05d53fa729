/**
 * Client lifecycle events as the rest of the hub sees them. The broker reports its MQTT clients through
 * `Broker.clientEvents`; device-gateway clients (MQTT-SN, CoAP, LwM2M sessions) report theirs through the same
 * interface, so `$SYS/brokers/<node>/clients/<id>/connected|disconnected` look alike whatever the protocol.
 * Field names follow EMQX's event messages so existing consumers parse them unchanged.
 */
export interface ClientConnectedEvent {
  clientid: string;
  username?: string;
  /** Peer address as the transport saw it (`ip` or `ip:port`). */
  ipaddress: string;
  /** MQTT protocol level (3, 4, 5); other protocols report their own version number. */
  proto_ver: number;
  /** `MQTT`, `MQTT-SN`, `CoAP`, `LwM2M`, … */
  proto_name: string;
  keepalive?: number;
  clean_start?: boolean;
  /** Listener or gateway instance the client came in through. */
  listener?: string;
  /** Epoch ms. */
  connected_at: number;
}

export interface ClientDisconnectedEvent {
  clientid: string;
  username?: string;
  ipaddress: string;
  proto_ver: number;
  proto_name: string;
  /** Why: `normal` (client DISCONNECT), `takeover`, `keepalive_timeout`, `sock_closed`, a protocol error name, … */
  reason: string;
  listener?: string;
  /** Epoch ms. */
  disconnected_at: number;
}

/** What the broker (and device gateways) call on connect/disconnect. Implementations must not throw. */
export interface ClientLifecycle {
  connected(event: ClientConnectedEvent): void;
  disconnected(event: ClientDisconnectedEvent): void;
}
