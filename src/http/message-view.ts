/**
 * How the dashboard sees one message (the live viewer and the dead-letter ring): topic, QoS, flags, user
 * properties and a payload preview cut at `maxPreview` bytes — as UTF-8 text when it is valid text, else base64.
 */
import type { Delivery } from '../broker/api.js';

export interface MessageView {
  topic: string;
  qos: number;
  retain: boolean;
  payload: string;
  payload_encoding: 'plain' | 'base64';
  payload_size: number;
  truncated: boolean;
  user_properties: Record<string, string>;
  from_clientid?: string;
  received_at: string;
}

const decoder = new TextDecoder('utf-8', { fatal: true });

export function messageView(d: Delivery, maxPreview: number): MessageView {
  const env = d.envelope;
  const head = env.payload.subarray(0, maxPreview);
  let payload: string;
  let encoding: 'plain' | 'base64' = 'plain';
  try {
    payload = decoder.decode(head);
  } catch {
    // a cut inside a multi-byte character or binary data: show bytes, not replacement characters
    payload = head.toString('base64');
    encoding = 'base64';
  }
  const props: Record<string, string> = {};
  for (const [k, v] of Object.entries(env.properties?.userProperties ?? {}))
    props[k] = Array.isArray(v) ? v.join(', ') : String(v);
  return {
    topic: env.topic,
    qos: d.qos,
    retain: env.retain,
    payload,
    payload_encoding: encoding,
    payload_size: env.payload.length,
    truncated: env.payload.length > head.length,
    user_properties: props,
    from_clientid: env.origin?.clientId,
    received_at: new Date(env.receivedAt ?? Date.now()).toISOString(),
  };
}
