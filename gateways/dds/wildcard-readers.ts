/**
 * The run-time side of wildcard topics: polls the participant's DCPSPublication reader (every second, from the
 * instance's timer), creates a reader for each new remote topic that matches a wildcard entry and has its type,
 * and takes their samples in the read loop (they are not on the Connector's wait set, so they are polled).
 */
import type { GatewayContext, IngressItem } from '../../src/gateway/index.js';
import type { WildcardPlan } from './connector-xml.js';
import { Discovery, type NativeReader, type NativeSample } from './discovery.js';
import type { RtiSampleInfo } from './native.js';
import type { DdsConfig } from './schema.js';
import { emitSample, readerTarget, type ReaderTarget } from './uplink.js';
import { wildcardFor } from './wildcard.js';

interface Discovered {
  readonly target: ReaderTarget;
  readonly reader: NativeReader;
}

export class WildcardReaders {
  readonly #entries: readonly WildcardPlan[];
  readonly #named: ReadonlySet<string>;
  readonly #config: DdsConfig;
  readonly #keysOf: (type: string) => readonly string[];
  readonly #ctx: GatewayContext;
  readonly #readers = new Map<string, Discovered>();
  /** Topics refused (limit reached or creation failed), so each is logged once. */
  readonly #refused = new Set<string>();
  #discovery?: Discovery;

  constructor(
    entries: readonly WildcardPlan[],
    named: ReadonlySet<string>,
    config: DdsConfig,
    keysOf: (type: string) => readonly string[],
    ctx: GatewayContext,
  ) {
    this.#entries = entries;
    this.#named = named;
    this.#config = config;
    this.#keysOf = keysOf;
    this.#ctx = ctx;
  }

  /** Binds to the Connector's participant (by its participant_name); throws if the native path is unavailable. */
  open(participantName: string): void {
    const discovery = new Discovery(participantName);
    this.#discovery = discovery;
    for (const e of this.#entries) discovery.setReaderProfile(e.subscriber, e.readerProfile);
  }

  /** New remote publications → readers for the topics a wildcard entry wants. */
  discover(): void {
    const discovery = this.#discovery;
    if (!discovery) return;
    for (const pub of discovery.newPublications()) {
      if (this.#readers.has(pub.topic) || this.#refused.has(pub.topic)) continue;
      if (this.#refused.size > 10_000) this.#refused.clear(); // bounded; a topic refused again is logged again
      const entry = wildcardFor(this.#entries, this.#named, pub.topic, pub.type);
      if (!entry) continue;
      if (this.#readers.size >= this.#config.max_discovered_topics) {
        this.#refused.add(pub.topic);
        this.#ctx.metrics.dropped('dds_wildcard_limit');
        this.#ctx.logger.warn(
          { topic: pub.topic, pattern: entry.pattern, max: this.#config.max_discovered_topics },
          'dds: a topic matches a wildcard but max_discovered_topics readers exist; not read',
        );
        continue;
      }
      try {
        const reader = discovery.createReader(entry.subscriber, pub.topic, pub.type);
        const endpoint = { topic: pub.topic, config: entry.config, name: `${entry.subscriber}::${pub.topic}` };
        this.#readers.set(pub.topic, { target: readerTarget(endpoint, this.#keysOf(pub.type)), reader });
        this.#ctx.metrics.socketEvent('dds_wildcard_reader');
        this.#ctx.logger.info({ topic: pub.topic, pattern: entry.pattern }, 'dds: reading a discovered topic');
      } catch (err) {
        this.#refused.add(pub.topic);
        this.#ctx.logger.warn({ err, topic: pub.topic }, 'dds: cannot read a discovered topic');
      }
    }
  }

  /** Matched remote writers per discovered topic. */
  matched(): [topic: string, writers: number][] {
    return [...this.#readers].map(([topic, d]) => [topic, d.reader.matchedWriters()]);
  }

  /** Takes what the discovered readers hold (at most max_samples_per_take each). */
  take(emit: (item: IngressItem) => void): void {
    for (const { target, reader } of this.#readers.values()) {
      for (const s of reader.take(this.#config.max_samples_per_take)) {
        if (s.json === undefined) {
          this.#ctx.metrics.dropped('dds_take_failed');
          emit({
            kind: 'fault',
            reason: 'malformed',
            error: s.error ?? 'unrendered sample',
            payload: Buffer.alloc(0),
            address: target.endpoint.topic,
          });
          continue;
        }
        // Connext's formatter indents; the Connector's JSON (named topics) is compact, so is this
        emitSample(target, this.#config, compact(s.json), s.info.valid_data === true, () => infoOf(s), emit);
      }
    }
  }

  close(): void {
    for (const { reader } of this.#readers.values()) reader.close();
    this.#readers.clear();
    this.#discovery?.close();
    this.#discovery = undefined;
  }
}

function compact(json: string): string {
  try {
    return JSON.stringify(JSON.parse(json));
  } catch {
    return json; // emitSample reports it as malformed
  }
}

/** Connext's sample-info JSON in the shape the Connector's SampleInfo has (source_timestamp in ns). */
function infoOf(s: NativeSample): RtiSampleInfo {
  return {
    get(field: string): unknown {
      if (field !== 'source_timestamp') return s.info[field];
      const ts = s.info.source_timestamp as { sec?: number; nanosec?: number } | undefined;
      // DDS_TIME_INVALID (sec -1) on samples without a source time, e.g. an unregistration
      if (ts?.sec === undefined || ts.sec < 0) return undefined;
      return (BigInt(ts.sec) * 1_000_000_000n + BigInt(ts.nanosec ?? 0)).toString();
    },
  };
}
