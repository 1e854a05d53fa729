/**
 * The Connext C calls wildcard topics need (discovery.ts, dynamic-reader.ts), bound once per process with koffi
 * from the libnddsc the Connector loaded (ffi.ts). Structs we only hand to Connext are opaque buffers of
 * generous size that Connext initializes and finalizes itself.
 */
import { nddsc } from './ffi.js';

export const OK = 0;
export const NO_DATA = 11;
/** Generous sizes for structs we only hand to Connext (it initializes them); we read two pointers of the first. */
export const PUBLICATION_DATA_BYTES = 16_384;
export const SAMPLE_INFO_BYTES = 4096;
export const JSON_BYTES = 65_536;
export const READER_QOS_BYTES = 65_536;
/** Instances per discovered reader whose last sample is kept for their dispose announcement. */
export const MAX_INSTANCES = 10_000;

export type Fn = (...a: unknown[]) => unknown;

export interface Bound {
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
  factory: Fn;
}

let bound: Bound | undefined;

export function connext(): Bound {
  bound ??= bind();
  return bound;
}

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
    factory: f('DDS_DomainParticipantFactory_get_instance', h, []),
  };
}

/** A C string written into `buf` by a Connext formatter. */
export function cString(buf: Buffer): string {
  const end = buf.indexOf(0);
  return buf.toString('utf8', 0, end < 0 ? buf.length : end);
}
