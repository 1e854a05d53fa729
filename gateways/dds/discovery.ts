/**
 * Wildcard topics need what the Connector's API does not have: seeing remote topics, and readers created after
 * start-up. The Connector makes every entity from its XML at construction and finds its inputs in a table filled
 * then (a reader created later is "Invalid Subscription::DataReader name" to getInput), so this goes to the same
 * libnddsc through koffi: the participant's built-in DCPSPublication reader names the topics and types remote
 * writers publish (DDS 1.4 §2.2.5), a DynamicData reader is created natively for each match, and its samples and
 * sample infos are rendered to JSON by Connext's own formatters. Everything here runs on the event loop and never
 * blocks (take_next_sample returns NO_DATA at once).
 */
import {
  connext,
  NO_DATA,
  OK,
  PUBLICATION_DATA_BYTES,
  READER_QOS_BYTES,
  SAMPLE_INFO_BYTES,
  cString,
  type Bound,
} from './connext-calls.js';
import { DynamicReader, type NativeReader } from './dynamic-reader.js';

export type { NativeReader, NativeSample } from './dynamic-reader.js';

export interface Publication {
  readonly topic: string;
  readonly type: string;
}

/** The participant the Connector created, found by its (unique) participant_name. */
export class Discovery {
  readonly #b: Bound;
  readonly #participant: unknown;
  readonly #publications: unknown;
  readonly #data = Buffer.alloc(PUBLICATION_DATA_BYTES);
  readonly #info = Buffer.alloc(SAMPLE_INFO_BYTES);

  constructor(participantName: string) {
    this.#b = connext();
    this.#participant = this.#b.lookupParticipant(this.#b.factory(), participantName);
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
    return new DynamicReader(reader, data);
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
