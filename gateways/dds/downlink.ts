/**
 * One MQTT message → one DDS write (or dispose) on the topic its address names. The address is
 * `<topic>[/<key value>…]`: key values after the topic fill the key fields (and are all a dispose needs).
 * An empty payload or user property `dds-action: dispose|unregister` disposes/unregisters the instance.
 * A payload that is not a JSON object or does not fit the IDL type throws (the pipeline dead-letters it).
 */
import { GatewayError, type DownlinkMessage, type GatewayContext } from '../../src/gateway/index.js';
import { parseDownlinkAddress } from './address.js';
import type { Endpoint } from './connector-xml.js';
import type { TypeModel } from './idl/model.js';
import type { RtiOutput } from './native.js';
import { checkSample } from './sample-check.js';

export interface WriterState {
  readonly endpoint: Endpoint;
  readonly output: RtiOutput;
  readonly keys: readonly string[];
}

function reject(ctx: GatewayContext, message: string): never {
  ctx.metrics.dropped('dds_sample_rejected');
  throw new GatewayError('PH_DDS_SAMPLE', message);
}

export function writeSample(
  writers: Map<string, WriterState>,
  msg: DownlinkMessage,
  model: TypeModel | undefined,
  ctx: GatewayContext,
): void {
  const target = parseDownlinkAddress(msg.address, [...writers.keys()]);
  if (!target) throw new GatewayError('PH_DDS_TOPIC', `no downlink DDS topic for address "${msg.address}"`);
  const writer = writers.get(target.topic) as WriterState;
  const type = writer.endpoint.config.type;
  const action = String(msg.envelope.properties?.userProperties?.['dds-action'] ?? '');
  const dispose = msg.payload.length === 0 || action === 'dispose' || action === 'unregister';
  let sample: Record<string, unknown> = {};
  if (msg.payload.length > 0) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(msg.payload.toString('utf8'));
    } catch (err) {
      reject(ctx, `payload is not JSON: ${(err as Error).message}`);
    }
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      reject(ctx, `payload must be a JSON object (a ${type} sample)`);
    sample = parsed as Record<string, unknown>;
  }
  if (target.keyValues.length > writer.keys.length)
    reject(ctx, `address "${msg.address}" has more key levels than ${type} has keys (${writer.keys.join(', ')})`);
  target.keyValues.forEach((v, i) => {
    const k = writer.keys[i];
    if (!(k in sample)) sample[k] = keyValue(model, type, k, v);
  });
  if (model) {
    const problem = checkSample(model, type, sample);
    if (problem) reject(ctx, problem);
  }
  const out = writer.output;
  try {
    out.clearMembers();
    out.instance.setFromJson(sample);
    out.write(dispose ? { action: action === 'unregister' ? 'unregister' : 'dispose' } : undefined);
  } catch (err) {
    reject(ctx, `${type}: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/** A key value from a topic level is text; numeric key fields get a number. */
function keyValue(model: TypeModel | undefined, type: string, key: string, text: string): unknown {
  const decl = model?.decls.get(type);
  const member = decl?.kind === 'struct' ? decl.members.find((m) => m.name === key) : undefined;
  if (member?.type.kind === 'primitive' && member.type.name !== 'char8' && member.type.name !== 'char16') {
    const n = Number(text);
    return member.type.name === 'boolean' ? text === 'true' : Number.isFinite(n) ? n : text;
  }
  return text;
}
