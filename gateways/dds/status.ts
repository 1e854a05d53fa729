/**
 * DDS statuses the Connector's JavaScript API does not expose, read through its native handles with koffi (the
 * FFI the Connector itself uses) from the same libnddsc it loaded: INCONSISTENT_TOPIC (a remote endpoint with the
 * topic's name but a type that is not assignable: DDS 1.4 §2.2.4.1), SAMPLE_LOST, and REQUESTED/OFFERED_INCOMPATIBLE_QOS
 * (a remote endpoint of the topic whose QoS cannot match ours, DDS 1.4 §2.2.4.1). Polled, never blocking.
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
  /** Remote endpoints whose QoS is incompatible with this reader's/writer's, in total, and the last policy id. */
  incompatibleQos(handle: unknown, kind: 'reader' | 'writer'): { total: number; lastPolicy: number };
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
  // {Requested,Offered}IncompatibleQosStatus: total_count, total_count_change, last_policy_id, then a sequence
  // Connext must initialize and finalize itself (so an opaque buffer, read by offset)
  const qosStatus = (kind: string, entity: string) => ({
    init: lib.func(`DDS_${kind}IncompatibleQosStatus_initialize`, 'int', [h]),
    fini: lib.func(`DDS_${kind}IncompatibleQosStatus_finalize`, 'int', [h]),
    get: lib.func(`DDS_${entity}_get_${kind.toLowerCase()}_incompatible_qos_status`, 'int', [h, h]),
  });
  const incompatible = { reader: qosStatus('Requested', 'DataReader'), writer: qosStatus('Offered', 'DataWriter') };
  const total = (fn: (...a: unknown[]) => unknown, handle: unknown): number => {
    const out: Partial<Counts> = {};
    return fn(handle, out) === 0 ? (out.total_count ?? 0) : 0; // DDS_RETCODE_OK
  };
  return {
    inconsistentTopic: (topic) => (topic ? total(inconsistent, topic) : 0),
    samplesLost: (reader) => total(lost, reader),
    incompatibleQos: (handle, kind) => {
      const fns = incompatible[kind];
      const status = Buffer.alloc(256);
      if (fns.init(status) !== 0) return { total: 0, lastPolicy: 0 };
      try {
        if (fns.get(handle, status) !== 0) return { total: 0, lastPolicy: 0 };
        return { total: status.readInt32LE(0), lastPolicy: status.readInt32LE(8) };
      } finally {
        fns.fini(status);
      }
    },
    readerTopic: (reader) => narrow(readerTd(reader)),
    writerTopic: (writer) => writerTopic(writer),
  };
}
