/**
 * A running `gateways.dds.<name>`: one RTI Connector (one DDS participant) in the hub process.
 *
 * Threading: the Connector's calls are synchronous C calls through koffi. Only waiting blocks, so the read loop
 * waits with `connector.wait()`, which koffi runs on one libuv thread-pool thread (async FFI) while the event
 * loop stays free; `take()`/`write()` are short non-blocking calls done on the main thread (a reliable
 * KEEP_ALL writer can block up to its max_blocking_time, 100 ms by default, when a reader's queue is full).
 * A worker thread would isolate a crash of the native library no better (same process) and cost a copy per sample.
 */
import { Subject, type Observable } from 'rxjs';
import {
  GatewayError,
  StateError,
  type DownlinkMessage,
  type GatewayContext,
  type GatewayInstance,
  type IngressItem,
  type InstanceHealth,
} from '../../src/gateway/index.js';
import { connectorPlan, PARTICIPANT } from './connector-xml.js';
import { writeSample, type WriterState } from './downlink.js';
import { loadConnector, type RtiConnector, type RtiModule } from './native.js';
import type { DdsConfig } from './schema.js';
import { loadTypes, type LoadedTypes } from './type-source.js';
import { readerState, takeSamples, type ReaderState } from './uplink.js';
import { readFileSync } from 'node:fs';
import { StatusWatch } from './status-watch.js';
import { nativeHandle } from './ffi.js';
import { ignoreOwnWriter } from './own-writes.js';
import { WildcardReaders } from './wildcard-readers.js';

type State = 'new' | 'starting' | 'started' | 'stopped';

const WAIT_MS = 200;
/** With wildcard topics the loop also polls readers outside the Connector's wait set: wait less. */
const WAIT_MS_POLLING = 20;
/** Participant names within this process, so native code finds each instance's participant. */
let participants = 0;

export class DdsGateway implements GatewayInstance {
  readonly #config: DdsConfig;
  readonly #ctx: GatewayContext;
  readonly #ingress = new Subject<IngressItem>();
  readonly ingress$: Observable<IngressItem> = this.#ingress.asObservable();
  #state: State = 'new';
  #starting?: Promise<void>;
  #loop?: Promise<void>;
  #rti?: RtiModule;
  #connector?: RtiConnector;
  #readers: ReaderState[] = [];
  #writers = new Map<string, WriterState>();
  #types?: LoadedTypes;
  #wildcards?: WildcardReaders;
  #paused = false;
  #resume?: () => void;
  #matched = 0;
  #lastError?: string;
  #matchTimer?: NodeJS.Timeout;
  #statusWatch?: StatusWatch;
  constructor(config: DdsConfig, ctx: GatewayContext) {
    this.#config = config;
    this.#ctx = ctx;
  }

  start(): Promise<void> {
    if (this.#state === 'stopped')
      return Promise.reject(new StateError('PH_STATE_STOPPED', `${this.#ctx.id} was stopped; create a new instance`));
    this.#starting ??= this.#open();
    return this.#starting;
  }

  async stop(): Promise<void> {
    if (this.#state === 'stopped') return;
    await this.#starting?.catch(() => undefined);
    this.#state = 'stopped';
    clearInterval(this.#matchTimer);
    this.#resume?.();
    await this.#loop;
    // the native readers and their DynamicData go before the participant that contains them
    this.#wildcards?.close();
    const connector = this.#connector;
    this.#connector = undefined;
    // close() waits (bounded) for an outstanding wait() on the thread pool before deleting the participant
    await connector?.close(5).catch((err: unknown) => this.#ctx.logger.warn({ err }, 'dds connector close failed'));
    this.#ingress.complete();
  }

  async send(msg: DownlinkMessage): Promise<void> {
    if (this.#state !== 'started') throw new StateError('PH_STATE_STOPPED', `${this.#ctx.id} is not running`);
    await Promise.resolve();
    writeSample(this.#writers, msg, this.#types?.model, this.#ctx);
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#resume?.();
  }

  health(): InstanceHealth {
    if (this.#state !== 'started') return { connection: 'closed', peers: 0, lastError: this.#lastError };
    return {
      connection: this.#matched > 0 ? 'connected' : 'listening',
      peers: this.#matched,
      lastError: this.#lastError,
    };
  }

  async #open(): Promise<void> {
    this.#state = 'starting';
    try {
      this.#rti = await loadConnector(this.#ctx.id);
      const resolveFile = (key: (string | number)[], f: string) => this.#ctx.resolveFile?.(key, f) ?? f;
      const t = this.#config.types;
      this.#types = loadTypes(
        t,
        t.idl.map((f, i) => resolveFile(['types', 'idl', i], f)),
        t.xml.map((f, i) => resolveFile(['types', 'xml', i], f)),
      );
      const qosXml = this.#config.qos_file
        ? this.#qosLibrary(resolveFile(['qos_file'], this.#config.qos_file))
        : undefined;
      const participantName = `protohub ${this.#ctx.id} ${process.pid}.${++participants}`;
      const plan = connectorPlan(this.#config, this.#types.typesXml, qosXml, participantName);
      this.#ctx.logger.debug({ xml: plan.xml }, 'dds connector configuration');
      let connector: RtiConnector;
      try {
        connector = new this.#rti.Connector(PARTICIPANT, `str://"${plan.xml}"`);
      } catch (err) {
        throw new GatewayError(
          'PH_DDS_PARTICIPANT',
          `${this.#ctx.id}: the RTI Connector rejected the generated configuration (types, QoS profile ` +
            `"${this.#config.qos_profile}" or domain ${this.#config.domain_id}); its log above says why: ${String(err)}`,
          { cause: err },
        );
      }
      this.#connector = connector;
      for (const r of plan.readers) {
        const keys = this.#types.keysOf(r.config.type) ?? [];
        this.#readers.push(readerState(r, connector.getInput(r.name), keys));
      }
      if (plan.wildcards.length) {
        const types = this.#types;
        this.#wildcards = new WildcardReaders(
          plan.wildcards,
          new Set([...plan.readers, ...plan.writers].map((e) => e.topic)),
          this.#config,
          (type) => types.keysOf(type) ?? [],
          this.#ctx,
        );
        try {
          this.#wildcards.open(participantName);
        } catch (err) {
          throw new GatewayError(
            'PH_DDS_WILDCARD',
            `${this.#ctx.id}: wildcard topics need the Connext C library through the Connector's native handles: ${String(err)}`,
            { cause: err },
          );
        }
      }
      for (const w of plan.writers) {
        this.#writers.set(w.topic, {
          endpoint: w,
          output: connector.getOutput(w.name),
          keys: this.#types.keysOf(w.config.type) ?? [],
        });
      }
    } catch (err) {
      this.#state = 'stopped';
      this.#wildcards?.close();
      await this.#connector?.close(5).catch(() => undefined);
      this.#ingress.complete();
      throw err;
    }
    if ((this.#state as State) === 'stopped') return;
    this.#state = 'started';
    this.#ignoreOwnWrites();
    this.#statusWatch = new StatusWatch(this.#ctx, (problem) => (this.#lastError = problem));
    this.#statusWatch.watch(this.#readers, this.#writers);
    this.#discover();
    this.#matchTimer = setInterval(() => {
      this.#discover();
      this.#countMatched();
      this.#statusWatch?.check();
    }, 1000);
    this.#matchTimer.unref();
    this.#loop = this.#readLoop();
  }

  #qosLibrary(file: string): string {
    const text = readFileSync(file, 'utf8');
    const libs = text.match(/<qos_library[\s\S]*?<\/qos_library>/g);
    if (!libs) throw new GatewayError('PH_DDS_TYPES', `${file}:1: no <qos_library> element`);
    return libs.join('\n');
  }

  #countMatched(): void {
    let n = 0;
    try {
      for (const r of this.#readers) {
        const writers = r.input.matchedPublications.filter((p) => p !== null).length;
        this.#ctx.metrics.topicPeers(r.endpoint.topic, 'writers', writers);
        n += writers;
      }
      for (const [topic, writers] of this.#wildcards?.matched() ?? []) {
        this.#ctx.metrics.topicPeers(topic, 'writers', writers);
        n += writers;
      }
      for (const w of this.#writers.values()) {
        const readers = w.output.matchedSubscriptions.filter((p) => p !== null).length;
        this.#ctx.metrics.topicPeers(w.endpoint.topic, 'readers', readers);
        n += readers;
      }
    } catch (err) {
      this.#lastError = String(err);
    }
    if (n !== this.#matched) {
      this.#ctx.metrics.socketEvent(n > this.#matched ? 'dds_matched' : 'dds_unmatched');
      this.#matched = n;
      this.#ctx.metrics.peers(n);
    }
  }

  #discover(): void {
    try {
      this.#wildcards?.discover();
    } catch (err) {
      this.#lastError = `wildcard discovery: ${String(err)}`;
      this.#ctx.logger.warn({ err }, 'dds: wildcard topic discovery failed');
    }
  }

  /** `direction = "both"`: our reader must not take what our writer wrote (it came from MQTT). */
  #ignoreOwnWrites(): void {
    for (const r of this.#readers) {
      const w = this.#writers.get(r.endpoint.topic);
      if (!w) continue;
      try {
        ignoreOwnWriter(nativeHandle(r.input), nativeHandle(w.output));
      } catch (err) {
        this.#lastError = `DDS topic ${r.endpoint.topic}: own writes are not filtered: ${String(err)}`;
        this.#ctx.logger.warn(
          { err, topic: r.endpoint.topic },
          'dds: cannot ignore our own writer on a direction=both topic; what MQTT writes will come back up',
        );
      }
    }
  }

  async #readLoop(): Promise<void> {
    const rti = this.#rti;
    const wildcards = this.#wildcards;
    if (!rti || (this.#readers.length === 0 && !wildcards)) return;
    const waitMs = wildcards ? WAIT_MS_POLLING : WAIT_MS;
    const emit = (item: IngressItem): void => this.#ingress.next(item);
    while (this.#state === 'started') {
      if (this.#paused) {
        // leave samples in the readers' queues: with reliable KEEP_ALL the writers are held back by DDS itself
        await new Promise<void>((resolve) => (this.#resume = resolve));
        continue;
      }
      const connector = this.#connector;
      if (!connector) return;
      try {
        // nothing on the Connector's wait set: only the discovered readers, which are polled
        if (this.#readers.length === 0) await new Promise((resolve) => setTimeout(resolve, waitMs));
        else await connector.wait(waitMs);
      } catch (err) {
        if (!(err instanceof rti.TimeoutError)) {
          if (this.#state !== 'started') return;
          this.#ingress.error(new GatewayError('PH_DDS_RECEIVE', `${this.#ctx.id}: wait failed`, { cause: err }));
          return;
        }
      }
      if (this.#state !== 'started') return;
      if (wildcards) {
        try {
          wildcards.take(emit);
        } catch (err) {
          this.#lastError = err instanceof Error ? err.message : String(err);
          this.#ctx.metrics.dropped('dds_take_failed');
          this.#ctx.logger.warn({ err }, 'dds take from a discovered topic failed');
        }
      }
      for (const r of this.#readers) {
        try {
          takeSamples(rti, connector.native, r, this.#config, emit);
        } catch (err) {
          this.#lastError = err instanceof Error ? err.message : String(err);
          this.#ctx.metrics.dropped('dds_take_failed');
          this.#ctx.logger.warn({ err, topic: r.endpoint.topic }, 'dds take failed');
        }
      }
    }
  }
}
