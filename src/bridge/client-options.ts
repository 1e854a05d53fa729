/**
 * MQTT.js options for one connect attempt. MQTT.js's own reconnect, resubscribe and offline queue are off:
 * the bridge reconnects itself (failover with backoff), resubscribes when the session is gone and keeps every
 * unacknowledged message in its own cache.
 */
import { readFileSync } from 'node:fs';
import type { IClientOptions } from 'mqtt';
import { BridgeError } from '../errors.js';
import type { BridgeConfig } from './schema.js';

export interface TlsMaterial {
  ca?: Buffer;
  cert?: Buffer;
  key?: Buffer;
}

/** Read the PEM files once at start (not in a constructor, not per attempt). */
export function loadTlsMaterial(cfg: BridgeConfig): TlsMaterial {
  const read = (what: string, file?: string): Buffer | undefined => {
    if (!file) return undefined;
    try {
      return readFileSync(file);
    } catch (err) {
      throw new BridgeError('PH_BRIDGE_TLS_FILE', `cannot read ${what} ${file}: ${(err as Error).message}`, {
        cause: err,
      });
    }
  };
  return {
    ca: read('ssl.cacertfile', cfg.ssl.cacertfile),
    cert: read('ssl.certfile', cfg.ssl.certfile),
    key: read('ssl.keyfile', cfg.ssl.keyfile),
  };
}

export function statusTopic(cfg: BridgeConfig, nodeName: string): string {
  return cfg.status.topic.replaceAll('${node.name}', nodeName);
}

export function statusPayload(nodeName: string, bridge: string, online: boolean): Buffer {
  return Buffer.from(JSON.stringify({ node: nodeName, bridge, online }));
}

export function defaultClientId(nodeName: string, bridge: string): string {
  return `protohub-${nodeName}-${bridge}`;
}

export function clientOptions(
  cfg: BridgeConfig,
  bridge: string,
  nodeName: string,
  url: string,
  tls: TlsMaterial,
): IClientOptions {
  const v5 = cfg.proto_ver === 'v5';
  const secure = cfg.ssl.enable || /^(mqtts|wss|ssl):/.test(url);
  // mqtt:// with ssl.enable is TLS too; MQTT.js picks the transport from the URL scheme
  const effectiveUrlProtocol = !secure
    ? undefined
    : /^(mqtt|tcp):/.test(url)
      ? 'mqtts'
      : /^ws:/.test(url)
        ? 'wss'
        : undefined;
  const opts: IClientOptions = {
    protocolVersion: v5 ? 5 : 4,
    clientId: cfg.clientid ?? defaultClientId(nodeName, bridge),
    username: cfg.username,
    password: cfg.password,
    keepalive: Math.round(cfg.keepalive / 1000),
    clean: cfg.clean_start,
    connectTimeout: cfg.connect_timeout,
    reconnectPeriod: 0,
    resubscribe: false,
    queueQoSZero: false,
    manualConnect: true,
  };
  // MQTT.js calls its `debug` logger several times per packet even when disabled; keep it only when asked for
  if (!/mqttjs/.test(process.env.DEBUG ?? '')) opts.log = () => undefined;
  if (effectiveUrlProtocol) opts.protocol = effectiveUrlProtocol;
  if (v5) {
    opts.properties = {
      // [MQTT-3.1.2-23] the upstream keeps the session (our subscriptions, its queue for us) this long
      sessionExpiryInterval: Math.min(0xffffffff, Math.round(cfg.session_expiry / 1000)),
      ...(cfg.connect_properties.receive_maximum !== undefined
        ? { receiveMaximum: cfg.connect_properties.receive_maximum }
        : {}),
      ...(cfg.connect_properties.maximum_packet_size !== undefined
        ? { maximumPacketSize: cfg.connect_properties.maximum_packet_size }
        : {}),
      ...(Object.keys(cfg.connect_properties.user_properties).length
        ? { userProperties: cfg.connect_properties.user_properties }
        : {}),
    };
  }
  if (cfg.status.enable) {
    // [MQTT-3.1.2-8] the upstream publishes the will when we vanish without DISCONNECT: "hub offline"
    opts.will = {
      topic: statusTopic(cfg, nodeName),
      payload: statusPayload(nodeName, bridge, false),
      qos: cfg.status.qos,
      retain: true,
    };
  }
  if (secure) {
    Object.assign(opts, {
      ca: tls.ca,
      cert: tls.cert,
      key: tls.key,
      rejectUnauthorized: cfg.ssl.verify === 'verify_peer',
      ...(cfg.ssl.server_name_indication ? { servername: cfg.ssl.server_name_indication } : {}),
    });
  }
  return opts;
}
