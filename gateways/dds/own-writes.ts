/**
 * A `direction = "both"` topic has our writer and our reader in one participant, and DDS matches a participant's
 * own endpoints like remote ones: without this, every sample written from MQTT came straight back up (and each
 * counted as a matched peer of the other). The Connector's API has no way to say so, so we ask the participant to
 * ignore our own writer and reader (DomainParticipant::ignore_publication / ignore_subscription, DDS 1.4
 * §2.2.2.2.1.14-15) through the native handles: both keep matching remote endpoints of the topic.
 */
import { nddsc } from './ffi.js';

type IgnoreWriter = (readerHandle: unknown, writerHandle: unknown) => void;

let bound: IgnoreWriter | undefined;

/** Makes the participant of our reader and writer (same topic) ignore both; throws if Connext refuses. */
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
  const ignorePublication = lib.func('DDS_DomainParticipant_ignore_publication', 'int', [h, koffi.pointer(Handle)]);
  const ignoreSubscription = lib.func('DDS_DomainParticipant_ignore_subscription', 'int', [h, koffi.pointer(Handle)]);
  const ignore = (fn: (...a: unknown[]) => unknown, name: string, dp: unknown, entity: unknown) => {
    // a DDS_DataWriter*/DDS_DataReader* is its DDS_Entity* (DDS_DataWriter_as_entity is a cast)
    const handle = instanceHandle(entity) as { isValid: number };
    if (!handle.isValid) throw new Error('no instance handle');
    const rc = fn(dp, handle);
    if (rc !== 0) throw new Error(`${name} returned ${String(rc)}`);
  };
  return (reader, writer) => {
    const dp = participant(subscriber(reader));
    ignore(ignorePublication, 'DDS_DomainParticipant_ignore_publication', dp, writer);
    // one-sided otherwise: the writer would still count our reader as a matched subscription
    ignore(ignoreSubscription, 'DDS_DomainParticipant_ignore_subscription', dp, reader);
  };
}
