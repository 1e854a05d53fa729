/**
 * Turns what one DDS reader took into ingress items: a valid sample → its JSON on `<topic>/<keys…>` with the
 * topic's MQTT QoS (reliable → 1, best effort → 0), retained for transient-local topics; an instance that
 * became NOT_ALIVE (disposed, or no writers left) → the configured announcement. Sample info travels as MQTT 5
 * user properties.
 */
import type { IngressItem } from '../../src/gateway/index.js';
import { InstanceAddresses, uplinkAddress } from './address.js';
import type { Endpoint } from './connector-xml.js';
import type { RtiInput, RtiModule } from './native.js';
import type { DdsConfig } from './schema.js';

export interface ReaderState {
  readonly endpoint: Endpoint;
  readonly input: RtiInput;
  readonly keys: readonly string[];
  /** extra address levels after the keys (`address_fields`), uplink only */
  readonly fields: readonly string[];
  /** with fields: where each instance's data last went, for its dispose announcement */
  readonly addresses: InstanceAddresses;
  readonly qos: 0 | 1 | 2;
  readonly retain: boolean;
}

export function readerState(endpoint: Endpoint, input: RtiInput, keys: readonly string[]): ReaderState {
  const t = endpoint.config;
  return {
    endpoint,
    input,
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
  const { input, endpoint } = reader;
  input.take();
  const n = input.samples.length;
  const out: [string | null] = [null];
  for (let i = 0; i < n; i++) {
    // input.samples.get(i) costs an extra native call (it re-reads the sample count): only for the sample info
    // the Connector's own getJson() parses; we keep the text it gives (that is the payload) and parse once
    rti.connectorBinding.RTI_Connector_get_json_sample(native, input.name, i + 1, out);
    const json = out[0] ?? '{}';
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
      continue;
    }
    const valid = input.infos.isValid(i) === true;
    const address = sampleAddress(reader, parsed, valid);
    const info = config.sample_info || !valid ? input.samples.get(i).info : undefined;
    const props = info && config.sample_info ? sampleInfo(info) : undefined;
    if (valid) {
      emit({
        kind: 'message',
        address,
        payload: Buffer.from(json),
        qos: reader.qos,
        retain: reader.retain,
        userProperties: props,
      });
      continue;
    }
    const state = String(info?.get('instance_state') ?? '');
    if (!state.startsWith('NOT_ALIVE') || config.dispose === 'none') continue;
    const event = state === 'NOT_ALIVE_DISPOSED' ? 'disposed' : 'unregistered';
    const key: Record<string, unknown> = {};
    for (const k of reader.keys) key[k] = parsed[k];
    if (config.dispose === 'empty_retained') {
      // an empty retained message removes the retained value and tells subscribers ([MQTT-3.3.1-6])
      emit({
        kind: 'message',
        address,
        payload: Buffer.alloc(0),
        qos: reader.qos,
        retain: true,
        userProperties: props,
      });
    } else {
      const payload = Buffer.from(JSON.stringify({ dds_event: event, topic: endpoint.topic, key }));
      emit({ kind: 'message', address, payload, qos: reader.qos, retain: false, userProperties: props });
    }
  }
  return n;
}

/**
 * A valid sample's address includes its extra fields; a NOT_ALIVE sample has meaningful key fields only, so it
 * goes where the instance's data last went (or, forgotten, with the extra levels rendered as missing).
 */
function sampleAddress(reader: ReaderState, sample: Record<string, unknown>, valid: boolean): string {
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

function sampleInfo(info: { get(field: string): unknown }): Record<string, string> {
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
