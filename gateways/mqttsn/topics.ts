/**
 * Topic ids of MQTT-SN 1.2 §3 / §6.5: per-client normal ids (registered by the client with REGISTER, or by the
 * gateway in SUBACK and its own REGISTER), predefined ids (the instance's configured table, shared by all
 * clients) and two-character short names (no registration at all).
 */
import { shortName, shortTopicId, type TopicIdType } from './frames.js';

export class PredefinedTopics {
  readonly #byId = new Map<number, string>();
  readonly #byTopic = new Map<string, number>();
  constructor(entries: readonly { id: number; topic: string }[]) {
    for (const e of entries) {
      this.#byId.set(e.id, e.topic);
      this.#byTopic.set(e.topic, e.id);
    }
  }
  topic(id: number): string | undefined {
    return this.#byId.get(id);
  }
  id(topic: string): number | undefined {
    return this.#byTopic.get(topic);
  }
}

/**
 * Normal topic ids of one client. Ids are numbered from 1 (0x0000 and 0xFFFF are reserved, §5.3.11); `known`
 * says whether the client knows the id (it registered it, got it in a SUBACK, or acknowledged our REGISTER).
 */
export class TopicRegistry {
  readonly #byId = new Map<number, string>();
  readonly #byName = new Map<string, { id: number; known: boolean }>();
  #next = 1;
  constructor(readonly max: number) {}

  get size(): number {
    return this.#byId.size;
  }
  name(id: number): string | undefined {
    return this.#byId.get(id);
  }
  lookup(name: string): { id: number; known: boolean } | undefined {
    return this.#byName.get(name);
  }
  /** The id for `name`, assigning one if there is room; undefined when the registry is full. */
  assign(name: string, known: boolean): number | undefined {
    const have = this.#byName.get(name);
    if (have) {
      if (known) have.known = true;
      return have.id;
    }
    if (this.#byId.size >= this.max) return undefined;
    let id = this.#next;
    while (this.#byId.has(id)) id = id >= 0xfffe ? 1 : id + 1;
    this.#next = id >= 0xfffe ? 1 : id + 1;
    this.#byId.set(id, name);
    this.#byName.set(name, { id, known });
    return id;
  }
  confirm(id: number): void {
    const name = this.#byId.get(id);
    const e = name === undefined ? undefined : this.#byName.get(name);
    if (e) e.known = true;
  }
  forget(id: number): void {
    const name = this.#byId.get(id);
    if (name === undefined) return;
    this.#byId.delete(id);
    this.#byName.delete(name);
  }
}

/** Resolve a topic id of a PUBLISH from a client (§6.6; the id types of §6.7); undefined when unknown. */
export function resolveTopic(
  type: TopicIdType,
  topicId: number,
  registry: TopicRegistry,
  predefined: PredefinedTopics,
): string | undefined {
  if (type === 1) return predefined.topic(topicId);
  if (type === 2) {
    const name = shortName(topicId);
    return shortTopicId(name) === topicId ? name : undefined;
  }
  return registry.name(topicId);
}

/** An MQTT topic name: not empty, no wildcards, no U+0000 ([MQTT-4.7.3-1], [MQTT-4.7.3-2]). */
export function validTopicName(t: string): boolean {
  return t.length > 0 && Buffer.byteLength(t) <= 65_535 && !/[+#\u0000]/.test(t);
}

/** An MQTT topic filter: `#` alone and last, `+` alone in its level ([MQTT-4.7.1-2], [MQTT-4.7.1-3]). */
export function validTopicFilter(f: string): boolean {
  if (f.length === 0 || f.includes('\u0000') || Buffer.byteLength(f) > 65_535) return false;
  const levels = f.split('/');
  return levels.every((l, i) =>
    l === '#' ? i === levels.length - 1 : l === '+' || !(l.includes('+') || l.includes('#')),
  );
}
