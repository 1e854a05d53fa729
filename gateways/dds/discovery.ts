/**
 * Wildcard topics need what the Connector's API does not have: seeing remote topics, and readers created after
 * start-up. The Connector makes every entity from its XML at construction and finds its inputs in a table filled
 * then (a reader created later is "Invalid Subscription::DataReader name" to getInput), so this goes to the same
 * libnddsc through koffi: the participant's built-in DCPSPublication reader names the topics and types remote
 * writers publish (DDS 1.4 §2.2.5), a DynamicData reader is created natively for each match, and its samples and
 * sample infos are rendered to JSON by Connext's own formatters. Everything here runs on the event loop and never
 * blocks (take_next_sample returns NO_DATA at once).
 */
import { nddsc } from './ffi.js';

const OK = 0;
const NO_DATA = 11;
/** Generous sizes for structs we only hand to Connext (it initializes them); we read two pointers of the first. */
const PUBLICATION_DATA_BYTES = 16_384;
const SAMPLE_INFO_BYTES = 4096;
const JSON_BYTES = 65_536;
const READER_QOS_BYTES = 65_536;
/** Instances per discovered reader whose last sample is kept for their dispose announcement. */
const MAX_INSTANCES = 10_000;

export interface Publication {
  readonly topic: string;
  readonly type: string;
}

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

type Fn = (...a: unknown[]) => unknown;

interface Bound {
  lookupParticipant: Fn;
  builtinSubscriber: Fn;
  lookupReader: Fn;
  lookupSubscriber: Fn;
  pubInit: Fn;
  pubFini: Fn;
  takePublication: Fn;
  head: unknown;
  decode: (buf: Buffer, type: unknown) => { topic_name: string | null; type_name: string | null };
  createTopic: Fn;
  topicQosDefault: unknown;
  lookupTopicDescription: Fn;
  setReaderDefault: Fn;
  qosInit: Fn;
  qosFini: Fn;
  getReaderQos: Fn;
  setReaderQos: Fn;
  createReader: Fn;
  readerQosDefault: unknown;
  keyValue: Fn;
  clear: Fn;
  narrow: Fn;
  typeCode: Fn;
  dataNew: Fn;
  dataDelete: Fn;
  takeSample: Fn;
  infoInit: Fn;
  dataJson: Fn;
  infoJson: Fn;
  matched: Fn;
}

let bound: Bound | undefined;

function bind(): Bound {
  const { koffi, lib } = nddsc();
  const k = koffi as typeof koffi & { decode(b: Buffer, t: unknown): never; inout(t: unknown): unknown };
  const h = 'void *';
  const f = (name: string, ret: unknown, args: unknown[]) => lib.func(name, ret, args);
  const len = k.inout(koffi.pointer('uint32'));
  return {
    lookupParticipant: f('DDS_DomainParticipantFactory_lookup_participant_by_name', h, [h, 'str']),
    builtinSubscriber: f('DDS_DomainParticipant_get_builtin_subscriber', h, [h]),
    lookupReader: f('DDS_Subscriber_lookup_datareader', h, [h, 'str']),
    lookupSubscriber: f('DDS_DomainParticipant_lookup_subscriber_by_name', h, [h, 'str']),
    pubInit: f('DDS_PublicationBuiltinTopicData_initialize', 'uint8', [h]),
    pubFini: f('DDS_PublicationBuiltinTopicData_finalize', 'void', [h]),
    takePublication: f('DDS_PublicationBuiltinTopicDataDataReader_take_next_sample', 'int', [h, h, h]),
    // DDS_PublicationBuiltinTopicData starts with key, participant_key (BuiltinTopicKey_t, 4 × int32), topic_name,
    // type_name (DDS 1.4 §2.2.5, in Connext's C layout)
    head: koffi.struct('PhDdsPublicationHead', {
      key: koffi.array('int32', 4),
      participant_key: koffi.array('int32', 4),
      topic_name: 'const char *',
      type_name: 'const char *',
    }),
    decode: (buf, type) => k.decode(buf, type),
    createTopic: f('DDS_DomainParticipant_create_topic', h, [h, 'str', 'str', h, h, 'uint32']),
    topicQosDefault: lib.symbol('DDS_TOPIC_QOS_DEFAULT', koffi.opaque()),
    lookupTopicDescription: f('DDS_DomainParticipant_lookup_topicdescription', h, [h, 'str']),
    setReaderDefault: f('DDS_Subscriber_set_default_datareader_qos_with_profile', 'int', [h, 'str', 'str']),
    qosInit: f('DDS_DataReaderQos_initialize', 'int', [h]),
    qosFini: f('DDS_DataReaderQos_finalize', 'int', [h]),
    getReaderQos: f('DDS_Subscriber_get_default_datareader_qos', 'int', [h, h]),
    setReaderQos: f('DDS_Subscriber_set_default_datareader_qos', 'int', [h, h]),
    createReader: f('DDS_Subscriber_create_datareader', h, [h, h, h, h, 'uint32']),
    readerQosDefault: lib.symbol('DDS_DATAREADER_QOS_DEFAULT', koffi.opaque()),
    keyValue: f('DDS_DynamicDataReader_get_key_value', 'int', [h, h, h]),
    clear: f('DDS_DynamicData_clear_all_members', 'int', [h]),
    narrow: f('DDS_DynamicDataReader_narrow', h, [h]),
    typeCode: f('DDS_DomainParticipant_get_typecode', h, [h, 'str']),
    dataNew: f('DDS_DynamicData_new', h, [h, h]),
    dataDelete: f('DDS_DynamicData_delete', 'void', [h]),
    takeSample: f('DDS_DynamicDataReader_take_next_sample', 'int', [h, h, h]),
    infoInit: f('DDS_SampleInfo_initialize', 'void', [h]),
    dataJson: f('DDS_DynamicDataFormatter_to_json', 'int', [h, h, len, h]),
    infoJson: f('DDS_SampleInfoFormatter_to_json', 'int', [h, h, len, h]),
    matched: f('DDS_DataReader_get_subscription_matched_status', 'int', [h, h]),
  };
}

const factory = (): unknown => nddsc().lib.func('DDS_DomainParticipantFactory_get_instance', 'void *', [])();

/** A C string written into `buf` by a Connext formatter. */
function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}

/** The participant the Connector created, found by its (unique) participant_name. */
export class Discovery {
  readonly #b: Bound;
  readonly #participant: unknown;
  readonly #publications: unknown;
  readonly #data = Buffer.alloc(PUBLICATION_DATA_BYTES);
  readonly #info = Buffer.alloc(SAMPLE_INFO_BYTES);

  constructor(participantName: string) {
    this.#b = bound ??= bind();
    this.#participant = this.#b.lookupParticipant(factory(), participantName);
    if (!this.#participant) throw new Error(`no DDS participant named "${participantName}"`);
    this.#publications = this.#b.lookupReader(this.#b.builtinSubscriber(this.#participant), 'DCPSPublication');
    if (!this.#publications) throw new Error('no built-in DCPSPublication reader');
    if (!this.#b.pubInit(this.#data)) throw new Error('DDS_PublicationBuiltinTopicData_initialize failed');
    this.#b.infoInit(this.#info);
  }

  /**
   * Gives the (XML-declared) subscriber its readers' QoS from `library::profile`. Call right after the Connector
   * is made: the profiles live in the process-wide QoS provider, which the next Connector's XML replaces.
   */
  setReaderProfile(subscriber: string, readerProfile: string): void {
    const sub = this.#b.lookupSubscriber(this.#participant, subscriber);
    if (!sub) throw new Error(`no subscriber "${subscriber}"`);
    const [lib, profile] = readerProfile.split('::');
    const b = this.#b;
    let rc = b.setReaderDefault(sub, lib, profile);
    if (rc !== OK) throw new Error(`QoS profile ${readerProfile}: set_default_datareader_qos returned ${String(rc)}`);
    // the subscriber keeps a reference to the profile, resolved at each create_datareader: copy the values now
    const qos = Buffer.alloc(READER_QOS_BYTES);
    if (b.qosInit(qos) !== OK) throw new Error('DDS_DataReaderQos_initialize failed');
    try {
      rc = b.getReaderQos(sub, qos);
      if (rc === OK) rc = b.setReaderQos(sub, qos);
      if (rc !== OK) throw new Error(`copying the default reader QoS of ${subscriber} returned ${String(rc)}`);
    } finally {
      b.qosFini(qos);
    }
  }

  /** Remote writers announced since the last call (a writer seen again, e.g. with changed QoS, comes again). */
  newPublications(max = 1024): Publication[] {
    const out: Publication[] = [];
    for (let i = 0; i < max; i++) {
      const rc = this.#b.takePublication(this.#publications, this.#data, this.#info);
      if (rc === NO_DATA) break;
      if (rc !== OK) throw new Error(`DCPSPublication take returned ${String(rc)}`);
      // a disposed publication (writer gone) has no valid data: the buffer still holds the previous one
      if (!this.#validInfo()) continue;
      const head = this.#b.decode(this.#data, this.#b.head);
      if (head.topic_name && head.type_name) out.push({ topic: head.topic_name, type: head.type_name });
    }
    return out;
  }

  /** A DynamicData reader of `topic` in the (XML-declared) subscriber, with its default reader QoS. */
  createReader(subscriber: string, topic: string, type: string): NativeReader {
    const b = this.#b;
    const sub = b.lookupSubscriber(this.#participant, subscriber);
    if (!sub) throw new Error(`no subscriber "${subscriber}"`);
    if (!b.lookupTopicDescription(this.#participant, topic)) {
      if (!b.createTopic(this.#participant, topic, type, b.topicQosDefault, null, 0))
        throw new Error(`cannot create topic "${topic}" of type ${type} (the Connector's log says why)`);
    }
    // create_datareader wants the TopicDescription (DDS_Topic_as_topicdescription is not a plain cast)
    const description = b.lookupTopicDescription(this.#participant, topic);
    const reader = b.createReader(sub, description, b.readerQosDefault, null, 0);
    if (!reader) throw new Error(`cannot create a reader of "${topic}" (the Connector's log says why)`);
    const typeCode = b.typeCode(this.#participant, type);
    // DDS_DynamicDataProperty_t: buffer_initial_size 0, buffer_max_size -1 (unbounded), the rest zero
    const property = Buffer.alloc(256);
    property.writeInt32LE(-1, 4);
    const data = typeCode ? b.dataNew(typeCode, property) : null;
    if (!data) throw new Error(`no DynamicData for type ${type}`);
    return new DynamicReader(b, reader, data);
  }

  #validInfo(): boolean {
    const json = Buffer.alloc(SAMPLE_INFO_BYTES);
    if (this.#b.infoJson(this.#info, json, [json.length], null) !== OK) return false;
    return (JSON.parse(cString(json)) as { valid_data?: boolean }).valid_data === true;
  }

  close(): void {
    this.#b.pubFini(this.#data);
  }
}

class DynamicReader implements NativeReader {
  readonly #b: Bound;
  readonly #reader: unknown;
  #data: unknown;
  readonly #info = Buffer.alloc(SAMPLE_INFO_BYTES);
  readonly #json = Buffer.alloc(JSON_BYTES);

  readonly #plain: unknown;
  /** Per instance handle (hex), the JSON of its last valid sample. */
  readonly #lastSample = new Map<string, string>();

  constructor(b: Bound, reader: unknown, data: unknown) {
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
