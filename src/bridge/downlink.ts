/**
 * Remote → local: the upstream subscriptions and the path of a message coming down. A QoS ≥ 1 message is
 * acknowledged upstream only after the local broker accepted it (MQTT.js sends the PUBACK when handleMessage
 * calls back), so a command is never lost between the upstream and the hub.
 */
import type { IClientSubscribeOptions, IPublishPacket, MqttClient } from 'mqtt';
import type { BrokerApi } from '../broker/api.js';
import type { Envelope, PublishProperties, QoS } from '../envelope.js';
import { HubError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { BridgeMetrics } from './bridge-metrics.js';
import { hasHop, hopId } from './hop-marker.js';
import { stripShare, type BridgeConfig, type SubscriptionConfig } from './schema.js';
import { compileRoute, type CompiledRoute } from './topic-template.js';

interface Route {
  cfg: SubscriptionConfig;
  /** Filter sent in SUBSCRIBE (with `$share/…` kept, captures as wildcards). */
  subscribeFilter: string;
  route: CompiledRoute;
}

export interface DownlinkDeps {
  cfg: BridgeConfig;
  bridge: string;
  nodeName: string;
  clientId: string;
  broker: BrokerApi;
  metrics: BridgeMetrics;
  logger: Logger;
  onError(message: string): void;
}

export class Downlink {
  readonly #routes: Route[];
  readonly #v5: boolean;
  readonly #hop: string;

  constructor(private readonly d: DownlinkDeps) {
    this.#v5 = d.cfg.proto_ver === 'v5';
    this.#hop = hopId(d.nodeName, d.bridge);
    this.#routes = d.cfg.subscriptions.map((s) => {
      const share = /^(\$share\/[^/]+\/)/.exec(s.remote)?.[1] ?? '';
      const route = compileRoute(
        stripShare(s.remote).replaceAll('${node.name}', d.nodeName),
        s.local.replaceAll('${node.name}', d.nodeName),
      );
      return { cfg: s, subscribeFilter: share + route.filter, route };
    });
  }

  /**
   * v5: subscribe on every connect, so subscriptions added to the config reach a kept session too; with the
   * session present, Retain Handling 1 keeps existing subscriptions from replaying retained messages
   * ([MQTT-3.8.3-5]). v3.1.1 has no Retain Handling: subscribe only when the upstream lost our session.
   */
  subscribe(client: MqttClient, sessionPresent: boolean): void {
    if (this.#routes.length === 0 || (!this.#v5 && sessionPresent)) return;
    const map: Record<string, IClientSubscribeOptions> = {};
    for (const r of this.#routes) {
      const shared = r.subscribeFilter.startsWith('$share/');
      map[r.subscribeFilter] = this.#v5
        ? {
            qos: r.cfg.qos,
            // [MQTT-3.8.3-4] No Local on a shared subscription is a protocol error: the hop marker covers those
            nl: r.cfg.no_local && !shared,
            rap: r.cfg.retain_as_published,
            rh: sessionPresent ? (Math.max(1, r.cfg.retain_handling) as 1 | 2) : r.cfg.retain_handling,
          }
        : { qos: r.cfg.qos };
    }
    client.subscribe(map, (err, granted) => {
      const refused = (granted ?? []).filter((g) => g.qos > 2); // [MQTT-3.9.3] 0x80+ = failure
      if (err || refused.length) {
        const msg = err ? err.message : `upstream refused ${refused.map((g) => g.topic).join(', ')}`;
        this.d.logger.warn({ err: msg }, 'bridge subscribe failed');
        this.d.onError(`subscribe: ${msg}`);
      }
    });
  }

  /** MQTT.js handleMessage: callback → PUBACK/PUBCOMP upstream; callback(err) → no acknowledgement. */
  handle(packet: IPublishPacket, done: (err?: Error) => void): void {
    const topic = packet.topic;
    const props = packet.properties as PublishProperties | undefined;
    if (this.#v5 && hasHop(props?.userProperties, this.#hop)) {
      this.d.metrics.dropped('loop'); // it went up through this bridge: bringing it back would loop
      return done();
    }
    const env = this.#toEnvelope(packet, topic, props);
    if (!env) {
      this.d.metrics.dropped('unroutable');
      return done();
    }
    this.d.broker.publish(env, { clientId: this.d.clientId }).then(
      () => {
        this.d.metrics.received();
        done();
      },
      (err: unknown) => {
        if (err instanceof HubError && err.code === 'PH_TOPIC_INVALID') {
          this.d.metrics.dropped('unroutable'); // retrying cannot help: acknowledge and count it
          this.d.onError(`local publish ${env.topic}: ${err.message}`);
          return done();
        }
        this.d.onError(`local publish: ${(err as Error).message}`);
        done(err as Error); // broker not accepting: no PUBACK, the upstream redelivers after reconnect
      },
    );
  }

  #toEnvelope(packet: IPublishPacket, topic: string, props: PublishProperties | undefined): Envelope | undefined {
    for (const r of this.#routes) {
      const captures = r.route.match(topic);
      if (!captures) continue;
      let localTopic: string;
      try {
        localTopic = r.route.render(topic, captures);
      } catch (err) {
        this.d.onError((err as Error).message);
        return undefined;
      }
      const payload = typeof packet.payload === 'string' ? Buffer.from(packet.payload) : Buffer.from(packet.payload);
      return {
        topic: localTopic,
        payload,
        qos: Math.min(packet.qos, r.cfg.qos) as QoS,
        retain: packet.retain,
        properties: this.#v5 ? pickProperties(props) : undefined,
        origin: { bridge: this.d.bridge, gateway: `bridge.${this.d.bridge}`, clientId: this.d.clientId },
        receivedAt: Date.now(),
      };
    }
    return undefined;
  }
}

/** Keep only end-to-end properties; Topic Alias and Subscription Identifier are per connection ([MQTT-3.3.2-7]). */
function pickProperties(p: PublishProperties | undefined): PublishProperties | undefined {
  if (!p) return undefined;
  const { payloadFormatIndicator, messageExpiryInterval, contentType, responseTopic, correlationData, userProperties } =
    p;
  const out: PublishProperties = {
    payloadFormatIndicator,
    messageExpiryInterval,
    contentType,
    responseTopic,
    correlationData,
    userProperties,
  };
  for (const k of Object.keys(out) as (keyof PublishProperties)[]) if (out[k] === undefined) delete out[k];
  return Object.keys(out).length ? out : undefined;
}
