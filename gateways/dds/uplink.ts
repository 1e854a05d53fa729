/**
 * Turns what one DDS reader took into ingress items: a valid sample → its JSON on `<topic>/<keys…>` with the
 * topic's MQTT QoS (reliable → 1, best effort → 0), retained for transient-local topics; an instance that
 * became NOT_ALIVE (disposed, or no writers left) → the configured announcement. Sample info travels as MQTT 5
 * user properties.
 */
import type { IngressItem } from '../../src/gateway/index.js';
import { InstanceAddresses, uplinkAddress } from './address.js';
import type { Endpoint } from './connector-xml.js';
import type { RtiInput, RtiModule, RtiSampleInfo } from './native.js';
import type { DdsConfig } from './schema.js';

/** Where one reader's samples go: the topic's address, QoS and retain. */
export interface ReaderTarget {
  readonly endpoint: Endpoint;
  readonly keys: readonly string[];
  /** extra address levels after the keys (`address_fields`), uplink only */
  readonly fields: readonly string[];
  /** with fields: where each instance's data last went, for its dispose announcement */
  readonly addresses: InstanceAddresses;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
}

/** A reader the Connector made from its XML. */
export interface ReaderState extends ReaderTarget {
  readonly input: RtiInput;
}

export function readerState(endpoint: Endpoint, input: RtiInput, keys: readonly string[]): ReaderState {
  return { ...readerTarget(endpoint, keys), input };
}

export function readerTarget(endpoint: Endpoint, keys: readonly string[]): ReaderTarget {
  const t = endpoint.config;
  return {
    endpoint,
    keys,
    fields: t.address_fields,
    addresses: new InstanceAddresses(),
    qos: t.mqtt_qos ?? (t.reliability === 'reliable' ? 1 : 0),
    retain: t.durability === 'transient_local',
  };
}

/** Takes what the reader has and emits one item per sample; returns how many samples it took. */
export function takeSamples(
  rti: RtiModule,
  native: unknown,
  reader: ReaderState,
  config: DdsConfig,
  emit: (item: IngressItem) => void,
): number {
  const { input } = reader;
  input.take();
  const n = input.samples.length;
  const out: [string | null] = [null];
  for (let i = 0; i < n; i++) {
    // input.samples.get(i) costs an extra native call (it re-reads the sample count): only for the sample info
    // the Connector's own getJson() parses; we keep the text it gives (that is the payload) and parse once
    rti.connectorBinding.RTI_Connector_get_json_sample(native, input.name, i + 1, out);
    const json = out[0] ?? '{}';
    const valid = input.infos.isValid(i) === true;
    // input.samples.get(i).info is one more native call: only when the sample info is used
    emitSample(reader, config, json, valid, () => input.samples.get(i).info, emit);
  }
  return n;
}

/**
 * One sample (`json` as the Connector or Connext's formatter rendered it) → its ingress item: a valid sample as
 * the payload; a NOT_ALIVE one (disposed, no writers) as the configured announcement.
 */
export function emitSample(
  reader: ReaderTarget,
  config: DdsConfig,
  json: string,
  valid: boolean,
  sampleInfo: () => RtiSampleInfo,
  emit: (item: IngressItem) => void,
): void {
  const { endpoint } = reader;
  let parsed: Record<string, unknown>;
  try {
    parsed = JSON.parse(json) as Record<string, unknown>;
  } catch (err) {
    emit({
      kind: 'fault',
      reason: 'malformed',
      error: String(err),
      payload: Buffer.from(json),
      address: endpoint.topic,
    });
    return;
  }
  const address = sampleAddress(reader, parsed, valid);
  const info = config.sample_info || !valid ? sampleInfo() : undefined;
  const props = info && config.sample_info ? infoProperties(info) : undefined;
  if (valid) {
    emit({
      kind: 'message',
      address,
      payload: Buffer.from(json),
      qos: reader.qos,
      retain: reader.retain,
      userProperties: props,
    });
    return;
  }
  const state = String(info?.get('instance_state') ?? '');
  if (!state.startsWith('NOT_ALIVE') || config.dispose === 'none') return;
  const event = state === 'NOT_ALIVE_DISPOSED' ? 'disposed' : 'unregistered';
  const key: Record<string, unknown> = {};
  for (const k of reader.keys) key[k] = parsed[k];
  if (config.dispose === 'empty_retained') {
    // an empty retained message removes the retained value and tells subscribers ([MQTT-3.3.1-6])
    emit({ kind: 'message', address, payload: Buffer.alloc(0), qos: reader.qos, retain: true, userProperties: props });
  } else {
    const payload = Buffer.from(JSON.stringify({ dds_event: event, topic: endpoint.topic, key }));
    emit({ kind: 'message', address, payload, qos: reader.qos, retain: false, userProperties: props });
  }
}

/**
 * A valid sample's address includes its extra fields; a NOT_ALIVE sample has meaningful key fields only, so it
 * goes where the instance's data last went (or, forgotten, with the extra levels rendered as missing).
 */
function sampleAddress(reader: ReaderTarget, sample: Record<string, unknown>, valid: boolean): string {
  const { topic } = reader.endpoint;
  if (reader.fields.length === 0) return uplinkAddress(topic, reader.keys, sample);
  const keyAddress = uplinkAddress(topic, reader.keys, sample);
  if (valid) {
    const address = uplinkAddress(topic, reader.keys, sample, reader.fields);
    reader.addresses.remember(keyAddress, address);
    return address;
  }
  const keyOnly: Record<string, unknown> = {};
  for (const k of reader.keys) keyOnly[k] = sample[k];
  return reader.addresses.take(keyAddress) ?? uplinkAddress(topic, reader.keys, keyOnly, reader.fields);
}

function infoProperties(info: RtiSampleInfo): Record<string, string> {
  const props: Record<string, string> = {};
  const ts = info.get('source_timestamp');
  if (ts !== null && ts !== undefined) props['dds-source-timestamp'] = String(ts);
  const state = info.get('instance_state');
  if (state !== null && state !== undefined) props['dds-instance-state'] = String(state);
  const identity = info.get('identity') as { writer_guid?: number[]; sequence_number?: number } | null;
  if (identity?.writer_guid) {
    props['dds-writer-guid'] = identity.writer_guid.map((b) => b.toString(16).padStart(2, '0')).join('');
    props['dds-sequence-number'] = String(identity.sequence_number ?? 0);
  }
  return props;
}
