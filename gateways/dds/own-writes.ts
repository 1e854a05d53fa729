/**
 * A `direction = "both"` topic has our writer and our reader in one participant, and DDS matches a participant's
 * own endpoints like remote ones: without this, every sample written from MQTT came straight back up. The
 * Connector's API has no way to say so, so we ask the participant to ignore our own writer
 * (DomainParticipant::ignore_publication, DDS 1.4 §2.2.2.2.1.15) through the native handles: the writer keeps
 * matching remote readers, our readers keep matching remote writers of the topic.
 */
import { nddsc } from './ffi.js';

type IgnoreWriter = (readerHandle: unknown, writerHandle: unknown) => void;

let bound: IgnoreWriter | undefined;

/** Makes the reader's participant ignore the writer (ours, same participant); throws if Connext refuses. */
export function ignoreOwnWriter(readerHandle: unknown, writerHandle: unknown): void {
  bound ??= bind();
  bound(readerHandle, writerHandle);
}

function bind(): IgnoreWriter {
  const { koffi, lib } = nddsc();
  const h = 'void *';
  // DDS_InstanceHandle_t { DDS_KeyHash_t { octet value[16]; unsigned long length; } keyHash; boolean isValid; }.
  // Returned by value through a hidden pointer: the spare room only guards against a larger layout.
  const Handle = koffi.struct('PhDdsInstanceHandle', {
    value: koffi.array('uint8', 16),
    length: 'uint32',
    isValid: 'uint8',
    spare: koffi.array('uint8', 40),
  });
  const instanceHandle = lib.func('DDS_Entity_get_instance_handle', Handle, [h]);
  const subscriber = lib.func('DDS_DataReader_get_subscriber', h, [h]);
  const participant = lib.func('DDS_Subscriber_get_participant', h, [h]);
  const ignore = lib.func('DDS_DomainParticipant_ignore_publication', 'int', [h, koffi.pointer(Handle)]);
  return (reader, writer) => {
    // a DDS_DataWriter* is its DDS_Entity* (DDS_DataWriter_as_entity is a cast)
    const handle = instanceHandle(writer) as { isValid: number };
    if (!handle.isValid) throw new Error('the writer has no instance handle');
    const rc = ignore(participant(subscriber(reader)), handle);
    if (rc !== 0) throw new Error(`DDS_DomainParticipant_ignore_publication returned ${String(rc)}`);
  };
}
