/**
 * Local → remote: picks the first forward whose local filter matches a delivered message and turns it into the
 * message to send upstream (remote topic, QoS/retain override, v5 properties kept, user properties added).
 */
import type { Envelope, PublishProperties, QoS } from '../envelope.js';
import { hopId, withHop } from './hop-marker.js';
import type { OutboundMessage } from './cache-types.js';
import type { BridgeConfig, ForwardConfig } from './schema.js';
import { compileRoute, type CompiledRoute } from './topic-template.js';

interface Forward {
  cfg: ForwardConfig;
  route: CompiledRoute;
  /** The properties of a message published without any (the common case), built once and shared. */
  bare?: PublishProperties;
  bareBuilt?: boolean;
}

export class ForwardRouter {
  readonly #forwards: Forward[];
  readonly #v5: boolean;
  readonly #hop?: string;

  constructor(cfg: BridgeConfig, bridge: string, nodeName: string) {
    this.#forwards = cfg.forwards.map((f) => ({
      cfg: f,
      route: compileRoute(f.local, f.remote.replaceAll('${node.name}', nodeName)),
    }));
    this.#v5 = cfg.proto_ver === 'v5';
    this.#hop = cfg.hop_marker && this.#v5 ? hopId(nodeName, bridge) : undefined;
  }

  /** MQTT filters the bridge's in-process session subscribes to. */
  get filters(): string[] {
    return [...new Set(this.#forwards.map((f) => f.route.filter))];
  }

  /** QoS the session subscribes a filter with: 2 so that `keep` can see the published QoS. */
  subscriptionQos(filter: string): QoS {
    const qs = this.#forwards
      .filter((f) => f.route.filter === filter)
      .map((f) => (f.cfg.qos === 'keep' ? 2 : f.cfg.qos));
    return Math.max(0, ...qs) as QoS;
  }

  /** The upstream message for a delivery, or undefined when no forward matches. Throws BridgeError on a bad render. */
  route(env: Envelope, deliveredQos: QoS): OutboundMessage | undefined {
    for (const f of this.#forwards) {
      const captures = f.route.match(env.topic);
      if (!captures) continue;
      return {
        topic: f.route.render(env.topic, captures),
        payload: env.payload,
        qos: f.cfg.qos === 'keep' ? deliveredQos : f.cfg.qos,
        retain: f.cfg.retain === 'keep' ? env.retain : f.cfg.retain,
        properties: env.properties ? this.#properties(env.properties, f.cfg.user_properties) : this.#bare(f),
        receivedAt: env.receivedAt ?? Date.now(),
      };
    }
    return undefined;
  }

  /**
   * Shared by every message without properties of this forward: nothing mutates forwarded properties (expiry
   * is rewritten on a copy), and one object lets the drain encode its property block once (fast-publish.ts).
   */
  #bare(f: Forward): PublishProperties | undefined {
    if (!f.bareBuilt) {
      f.bare = this.#properties(undefined, f.cfg.user_properties);
      f.bareBuilt = true;
    }
    return f.bare;
  }

  #properties(p: Readonly<PublishProperties> | undefined, add: Record<string, string>): PublishProperties | undefined {
    if (!this.#v5) return undefined; // v3.1.1 PUBLISH has no properties
    let user = p?.userProperties || Object.keys(add).length ? { ...p?.userProperties, ...add } : undefined;
    if (this.#hop) user = withHop(user, this.#hop);
    const out: PublishProperties = { ...p };
    if (user) out.userProperties = user;
    return Object.keys(out).length ? out : undefined;
  }
}
