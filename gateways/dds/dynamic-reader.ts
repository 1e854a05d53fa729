/**
 * A DynamicData reader created at run time for a discovered topic (discovery.ts): takes samples one at a time
 * (take_next_sample never blocks) and renders each sample and its sample info with Connext's JSON formatters.
 */
import {
  connext,
  cString,
  JSON_BYTES,
  MAX_INSTANCES,
  NO_DATA,
  OK,
  SAMPLE_INFO_BYTES,
  type Bound,
  type Fn,
} from './connext-calls.js';

export interface NativeSample {
  /** The sample as JSON text, or undefined when Connext could not render it (`error` says why). */
  readonly json?: string;
  /** Connext's sample info JSON: valid_data, instance_state, source_timestamp {sec, nanosec}, … */
  readonly info: Record<string, unknown>;
  readonly error?: string;
}

export interface NativeReader {
  /** Up to `max` samples, oldest first. */
  take(max: number): NativeSample[];
  matchedWriters(): number;
  close(): void;
}

export class DynamicReader implements NativeReader {
  readonly #b: Bound;
  readonly #reader: unknown;
  #data: unknown;
  readonly #info = Buffer.alloc(SAMPLE_INFO_BYTES);
  readonly #json = Buffer.alloc(JSON_BYTES);

  readonly #plain: unknown;
  /** Per instance handle (hex), the JSON of its last valid sample. */
  readonly #lastSample = new Map<string, string>();

  constructor(reader: unknown, data: unknown) {
    const b = connext();
    this.#b = b;
    this.#plain = reader;
    this.#reader = b.narrow(reader);
    this.#data = data;
    b.infoInit(this.#info);
  }

  take(max: number): NativeSample[] {
    const out: NativeSample[] = [];
    while (this.#data && out.length < max) {
      const rc = this.#b.takeSample(this.#reader, this.#data, this.#info);
      if (rc === NO_DATA) break;
      if (rc !== OK) throw new Error(`take_next_sample returned ${String(rc)}`);
      const info = JSON.parse(this.#render(this.#b.infoJson, this.#info)) as Record<string, unknown>;
      const handle = String(info.instance_handle ?? '');
      try {
        if (info.valid_data === true) {
          const json = this.#render(this.#b.dataJson, this.#data);
          this.#remember(handle, json);
          out.push({ json, info });
        } else {
          // an invalid sample (dispose, no writers) leaves the data as it was: its key comes from the instance's
          // last sample (its key fields are all an announcement reads) or, never seen, from Connext
          const last = this.#lastSample.get(handle);
          this.#lastSample.delete(handle);
          if (last !== undefined) out.push({ json: last, info });
          else {
            this.#keyOf(handle);
            out.push({ json: this.#render(this.#b.dataJson, this.#data), info });
          }
        }
      } catch (err) {
        out.push({ info, error: err instanceof Error ? err.message : String(err) });
      }
    }
    return out;
  }

  #remember(handle: string, json: string): void {
    this.#lastSample.delete(handle);
    this.#lastSample.set(handle, json);
    // bounded: the least recently written instance is forgotten first (Map keeps insertion order)
    if (this.#lastSample.size > MAX_INSTANCES) this.#lastSample.delete(this.#lastSample.keys().next().value as string);
  }

  /**
   * The instance handle is inside the sample info Connext filled (its JSON shows the 16 key-hash bytes in hex);
   * the handle struct has more than the key hash in Connext 7, so we hand Connext its own bytes back.
   */
  #keyOf(hex: string): void {
    this.#b.clear(this.#data);
    const at = /^[0-9A-Fa-f]{32}$/.test(hex) ? this.#info.indexOf(Buffer.from(hex, 'hex')) : -1;
    if (at < 0) throw new Error(`sample info without a usable instance handle ("${hex}")`);
    const rc = this.#b.keyValue(this.#reader, this.#data, this.#info.subarray(at));
    if (rc !== OK) throw new Error(`get_key_value returned ${String(rc)}`);
  }

  #render(fn: Fn, what: unknown): string {
    this.#json[0] = 0;
    const rc = fn(what, this.#json, [this.#json.length], null);
    if (rc !== OK) throw new Error(`JSON rendering returned ${String(rc)} (a sample over ${JSON_BYTES} bytes?)`);
    return cString(this.#json);
  }

  /** Remote writers matched now (DDS_SubscriptionMatchedStatus.current_count, after two int32 totals). */
  matchedWriters(): number {
    const status = Buffer.alloc(256);
    return this.#b.matched(this.#plain, status) === OK ? status.readInt32LE(8) : 0;
  }

  close(): void {
    if (this.#data) this.#b.dataDelete(this.#data);
    this.#data = undefined;
  }
}
