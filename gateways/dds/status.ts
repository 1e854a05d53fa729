/**
 * DDS statuses the Connector's JavaScript API does not expose, read through its native handles with koffi (the
 * FFI the Connector itself uses) from the same libnddsc it loaded: INCONSISTENT_TOPIC (a remote endpoint with the
 * topic's name but a type that is not assignable: DDS 1.4 §2.2.4.1) and SAMPLE_LOST. Polled, never blocking.
 * If the library cannot be bound (another platform layout), monitoring is off and says so once.
 */
import { nddsc } from './ffi.js';

interface Counts {
  total_count: number;
  total_count_change: number;
}

export interface StatusReader {
  /** Remote endpoints seen with an inconsistent type on this topic, in total. */
  inconsistentTopic(topicHandle: unknown): number;
  /** Samples this reader lost, in total. */
  samplesLost(readerHandle: unknown): number;
  readerTopic(readerHandle: unknown): unknown;
  writerTopic(writerHandle: unknown): unknown;
}

let bound: StatusReader | undefined;

/** Binds once per process: koffi type names are global, a second struct definition would be refused. */
export function bindStatuses(): StatusReader {
  bound ??= bind();
  return bound;
}

function bind(): StatusReader {
  const { koffi, lib } = nddsc();
  const h = 'void *';
  const Inconsistent = koffi.struct('PhDdsInconsistentTopicStatus', { total_count: 'int', total_count_change: 'int' });
  const Lost = koffi.struct('PhDdsSampleLostStatus', {
    total_count: 'int',
    total_count_change: 'int',
    last_reason: 'int',
  });
  const readerTd = lib.func('DDS_DataReader_get_topicdescription', h, [h]);
  const narrow = lib.func('DDS_Topic_narrow', h, [h]);
  const writerTopic = lib.func('DDS_DataWriter_get_topic', h, [h]);
  const inconsistent = lib.func('DDS_Topic_get_inconsistent_topic_status', 'int', [
    h,
    koffi.out(koffi.pointer(Inconsistent)),
  ]);
  const lost = lib.func('DDS_DataReader_get_sample_lost_status', 'int', [h, koffi.out(koffi.pointer(Lost))]);
  const total = (fn: (...a: unknown[]) => unknown, handle: unknown): number => {
    const out: Partial<Counts> = {};
    return fn(handle, out) === 0 ? (out.total_count ?? 0) : 0; // DDS_RETCODE_OK
  };
  return {
    inconsistentTopic: (topic) => (topic ? total(inconsistent, topic) : 0),
    samplesLost: (reader) => total(lost, reader),
    readerTopic: (reader) => narrow(readerTd(reader)),
    writerTopic: (writer) => writerTopic(writer),
  };
}
