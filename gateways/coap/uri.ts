/**
 * The gateway's resources (EMQX's CoAP gateway conventions): `ps/{topic…}` to publish (POST/PUT) and subscribe
 * (GET + Observe), `mqtt/connection` for connection mode. Turns the Uri-Path and Uri-Query options of a request
 * into a typed target, or a 4.00/4.04 with a diagnostic payload (RFC 7252 §5.5.2).
 */
import { Opt, Rsp, optionValues, type CoapMessage } from './message.js';

export type QosParam = 0 | 1 | 2 | 'coap';

export interface RequestQuery {
  qos?: QosParam;
  retain?: boolean;
  /** MQTT 5 Message Expiry Interval, seconds. */
  expiry?: number;
  clientid?: string;
  username?: string;
  password?: string;
  token?: string;
  /** Connection mode, POST mqtt/connection: the will (its payload is the request body). */
  will_topic?: string;
  will_qos?: 0 | 1 | 2;
  will_retain?: boolean;
}

export type RequestTarget =
  | { kind: 'ps'; topic: string; query: RequestQuery }
  | { kind: 'connection'; query: RequestQuery }
  | { kind: 'error'; status: 'bad_request' | 'not_found' | 'proxying_not_supported'; diagnostic: string };

/** The response code of a request that names no resource of ours. */
export function targetErrorCode(status: 'bad_request' | 'not_found' | 'proxying_not_supported'): number {
  if (status === 'not_found') return Rsp.NotFound;
  return status === 'proxying_not_supported' ? Rsp.ProxyingNotSupported : Rsp.BadRequest;
}

/** RFC 7252 §5.10.1: Uri-Path and Uri-Query are strings, i.e. UTF-8 (§3.2); MQTT topics must be well-formed too. */
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

function textOf(b: Buffer): string | undefined {
  try {
    return utf8.decode(b);
  } catch {
    return undefined;
  }
}

const BOOL: Record<string, boolean> = { true: true, false: false, '1': true, '0': false };

function parseQuery(values: Buffer[]): RequestQuery | string {
  const q: RequestQuery = {};
  for (const raw of values) {
    const text = textOf(raw);
    if (text === undefined) return 'a Uri-Query option is not valid UTF-8';
    const eq = text.indexOf('=');
    const key = eq < 0 ? text : text.slice(0, eq);
    const value = eq < 0 ? '' : text.slice(eq + 1);
    switch (key) {
      case 'qos':
        if (value === 'coap') q.qos = 'coap';
        else if (value === '0' || value === '1' || value === '2') q.qos = Number(value) as 0 | 1 | 2;
        else return `qos must be 0, 1, 2 or coap, got "${value}"`;
        break;
      case 'retain':
        if (!(value in BOOL)) return `retain must be true or false, got "${value}"`;
        q.retain = BOOL[value];
        break;
      case 'expiry':
        if (!/^\d{1,10}$/.test(value) || Number(value) > 0xffffffff) return `expiry must be seconds, got "${value}"`;
        q.expiry = Number(value);
        break;
      case 'clientid':
      case 'username':
      case 'password':
      case 'token':
      case 'will_topic':
        q[key] = value;
        break;
      case 'will_qos':
        if (value !== '0' && value !== '1' && value !== '2') return `will_qos must be 0, 1 or 2, got "${value}"`;
        q.will_qos = Number(value) as 0 | 1 | 2;
        break;
      case 'will_retain':
        if (!(value in BOOL)) return `will_retain must be true or false, got "${value}"`;
        q.will_retain = BOOL[value];
        break;
      default:
        // Unknown query parameters are ignored, as EMQX does: devices add their own (e.g. cache busters).
        break;
    }
  }
  return q;
}

export function requestTarget(msg: CoapMessage): RequestTarget {
  // RFC 7252 §5.7.2: this endpoint is no forward-proxy
  if (msg.options.some((o) => o.number === Opt.ProxyUri || o.number === Opt.ProxyScheme))
    return { kind: 'error', status: 'proxying_not_supported', diagnostic: 'this gateway is not a proxy' };
  const path = optionValues(msg, Opt.UriPath).map(textOf);
  if (path.some((p) => p === undefined))
    return { kind: 'error', status: 'bad_request', diagnostic: 'a Uri-Path segment is not valid UTF-8' };
  const query = parseQuery(optionValues(msg, Opt.UriQuery));
  if (typeof query === 'string') return { kind: 'error', status: 'bad_request', diagnostic: query };
  return targetOf(path as string[], query);
}

function targetOf(path: string[], query: RequestQuery): RequestTarget {
  if (path[0] === 'ps') {
    const segments = path.slice(1);
    if (segments.length === 0)
      return { kind: 'error', status: 'bad_request', diagnostic: 'ps needs a topic: ps/{topic}' };
    // Uri-Path values arrive percent-decoded (RFC 7252 §6.4), so joining them restores the MQTT topic; an
    // empty segment is an empty topic level, which MQTT allows.
    return { kind: 'ps', topic: segments.join('/'), query };
  }
  if (path.length === 2 && path[0] === 'mqtt' && path[1] === 'connection') return { kind: 'connection', query };
  return { kind: 'error', status: 'not_found', diagnostic: `no resource /${path.join('/')}` };
}
