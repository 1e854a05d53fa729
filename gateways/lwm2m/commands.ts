/**
 * The EMQX-compatible MQTT command interface (issue #12; EMQX LwM2M gateway docs): `{"reqID","msgType","data"}`
 * on `dn` becomes a CoAP request to the device (TS 1.1 Core §6.3 Device Management & Service Enablement, §6.4
 * Information Reporting), and a device answer becomes `{"reqID","msgType","data":{"reqPath","code","codeMsg",
 * "content"}}` on `up/resp`. Pure functions; bad shapes are a CommandError carrying the 4.00 the application gets.
 */
import { Method, Opt, Rsp, codeText, encodeUint, type CoapOption } from '../coap/index.js';
import { encodeContent, Format } from './content.js';
import { Lwm2mError } from './errors.js';
import { formatPath, parsePath, pathSegments, type Lwm2mPath } from './path.js';
import { coerce, inferType, RESOURCE_TYPES, type Lwm2mRecord, type ResourceType, type TypeResolver } from './values.js';

export const MSG_TYPES = [
  'read',
  'discover',
  'write',
  'write-attr',
  'execute',
  'create',
  'delete',
  'observe',
  'cancel-observe',
] as const;
export type MsgType = (typeof MSG_TYPES)[number];

export interface Command {
  readonly reqID: unknown;
  readonly msgType: MsgType;
  readonly path: Lwm2mPath;
  readonly request: { code: number; options: CoapOption[]; payload?: Buffer };
}

/** A command the gateway refuses before it reaches the device; `reqID`/`msgType` echo what could be read. */
export class CommandError extends Lwm2mError {
  constructor(
    readonly reqID: unknown,
    readonly msgType: string | undefined,
    readonly reqPath: string | undefined,
    message: string,
  ) {
    super('PH_LWM2M_COMMAND', message);
  }
}

const isObject = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);

const uriPath = (p: Lwm2mPath, root: string): CoapOption[] =>
  [...(root === '/' ? [] : root.split('/').filter((s) => s !== '')), ...pathSegments(p)].map((s) => ({
    number: Opt.UriPath,
    value: Buffer.from(s, 'utf8'),
  }));

/** Write-Attributes query parameters (TS 1.1 Core §5.1.2). */
const ATTRS = ['pmin', 'pmax', 'gt', 'lt', 'st', 'epmin', 'epmax'] as const;

export interface CommandContext {
  readonly typeOf: TypeResolver;
  /** The endpoint's alternate root path ("/" unless it registered `</lwm2m>;rt="oma.lwm2m"`). */
  readonly rootPath: string;
  /** Content-Format for multi-value bodies (TLV for 1.0, the best declared for 1.1). */
  readonly bodyFormat: number;
  /** Accept for reads of objects/instances; undefined lets the device choose. */
  readonly accept?: number;
}

export function parseCommand(payload: Buffer, ctx: CommandContext): Command {
  let doc: unknown;
  try {
    doc = JSON.parse(payload.toString('utf8'));
  } catch {
    throw new CommandError(undefined, undefined, undefined, 'command is not JSON');
  }
  if (!isObject(doc)) throw new CommandError(undefined, undefined, undefined, 'command is not a JSON object');
  const { reqID, msgType, data } = doc;
  if (typeof msgType !== 'string' || !(MSG_TYPES as readonly string[]).includes(msgType))
    throw new CommandError(
      reqID,
      typeof msgType === 'string' ? msgType : undefined,
      undefined,
      `unknown msgType ${JSON.stringify(msgType)}`,
    );
  const bad = (reqPath: string | undefined, why: string): CommandError =>
    new CommandError(reqID, msgType, reqPath, why);
  if (!isObject(data)) throw bad(undefined, '"data" must be an object');
  const rawPath =
    typeof data.path === 'string' ? data.path : typeof data.basePath === 'string' ? data.basePath : undefined;
  if (rawPath === undefined) throw bad(undefined, '"data.path" (or "data.basePath") must be a string');
  let path: Lwm2mPath;
  try {
    path = parsePath(rawPath);
  } catch (err) {
    throw bad(rawPath, (err as Error).message);
  }
  const reqPath = formatPath(path);
  const at = uriPath(path, ctx.rootPath);
  const typed = (p: Lwm2mPath, type: unknown, value: unknown): Lwm2mRecord => {
    if (p.instanceId === undefined || p.resourceId === undefined)
      throw bad(reqPath, `${formatPath(p)} is not a resource`);
    if (type !== undefined && (typeof type !== 'string' || !(RESOURCE_TYPES as readonly string[]).includes(type)))
      throw bad(reqPath, `unknown type ${JSON.stringify(type)}`);
    const t = (type as ResourceType | undefined) ?? ctx.typeOf(p.objectId, p.resourceId) ?? inferType(value as never);
    try {
      return { path: formatPath(p), value: coerce(t, value) };
    } catch (err) {
      throw bad(reqPath, (err as Error).message);
    }
  };
  const contentRecords = (): Lwm2mRecord[] => {
    if (!Array.isArray(data.content)) throw bad(reqPath, '"data.content" must be an array of {path, type, value}');
    return data.content.map((c: unknown) => {
      if (!isObject(c) || typeof c.path !== 'string') throw bad(reqPath, 'content entries need a "path" string');
      // EMQX: content paths are relative to basePath ("/0" under "/3303/0"), or absolute when they repeat it.
      let full: Lwm2mPath;
      try {
        const rel = parsePath(c.path);
        full = c.path.startsWith(reqPath + '/')
          ? parsePath(c.path)
          : parsePath(`${reqPath}/${formatPath(rel).slice(1)}`);
      } catch (err) {
        throw bad(reqPath, (err as Error).message);
      }
      return typed(full, c.type, c.value);
    });
  };
  const body = (records: Lwm2mRecord[]): { options: CoapOption[]; payload: Buffer } => {
    const single = records.length === 1 && records[0]!.path === reqPath && path.resourceInstanceId === undefined;
    const t = single ? ctx.typeOf(path.objectId, path.resourceId!) : undefined;
    const format = single ? (t === 'Opaque' ? Format.Opaque : Format.Text) : ctx.bodyFormat;
    try {
      const payload = encodeContent(format, records, path, ctx.typeOf);
      return { options: [{ number: Opt.ContentFormat, value: encodeUint(format) }], payload };
    } catch (err) {
      throw bad(reqPath, (err as Error).message);
    }
  };
  const accept = (f: number | undefined): CoapOption[] =>
    f === undefined ? [] : [{ number: Opt.Accept, value: encodeUint(f) }];
  const readAccept = path.resourceId === undefined ? accept(ctx.accept) : [];
  const cmd = (request: Command['request']): Command => ({ reqID, msgType: msgType as MsgType, path, request });
  switch (msgType as MsgType) {
    case 'read': // TS 1.1 Core §6.3.1: GET
      return cmd({ code: Method.GET, options: [...at, ...readAccept] });
    case 'discover': // §6.3.2: GET with Accept application/link-format
      return cmd({ code: Method.GET, options: [...at, ...accept(Format.LinkFormat)] });
    case 'observe': // §6.4.1: GET with Observe 0
      return cmd({ code: Method.GET, options: [...at, { number: Opt.Observe, value: encodeUint(0) }, ...readAccept] });
    case 'cancel-observe': // §6.4.2 / RFC 7641 §3.6: GET with Observe 1
      return cmd({ code: Method.GET, options: [...at, { number: Opt.Observe, value: encodeUint(1) }, ...readAccept] });
    case 'delete': // §6.3.8
      return cmd({ code: Method.DELETE, options: at });
    case 'execute': {
      // §6.3.5: POST on a resource, optional arguments as text
      if (path.resourceId === undefined) throw bad(reqPath, 'execute needs a resource path');
      const args = data.args === undefined || data.args === '' ? undefined : data.args;
      if (args !== undefined && typeof args !== 'string') throw bad(reqPath, '"data.args" must be a string');
      return cmd({
        code: Method.POST,
        options: at,
        payload: args === undefined ? undefined : Buffer.from(args, 'utf8'),
      });
    }
    case 'write-attr': {
      // §6.3.4: PUT with the attributes as query
      const query: CoapOption[] = [];
      for (const a of ATTRS) {
        const v = data[a];
        if (v === undefined || v === null || v === '') continue;
        if (typeof v !== 'number' && !(typeof v === 'string' && v.trim() !== '' && !Number.isNaN(Number(v))))
          throw bad(reqPath, `attribute ${a} must be a number`);
        query.push({ number: Opt.UriQuery, value: Buffer.from(`${a}=${Number(v)}`, 'utf8') });
      }
      if (query.length === 0) throw bad(reqPath, `write-attr needs one of ${ATTRS.join(', ')}`);
      return cmd({ code: Method.PUT, options: [...at, ...query] });
    }
    case 'write': {
      // §6.3.3: PUT replaces a resource; a basePath+content batch on an instance is a partial update (POST)
      if (data.content !== undefined) {
        if (path.instanceId === undefined) throw bad(reqPath, 'write with content needs an instance basePath');
        const b = body(contentRecords());
        return cmd({
          code: path.resourceId === undefined ? Method.POST : Method.PUT,
          options: [...at, ...b.options],
          payload: b.payload,
        });
      }
      if (!('value' in data)) throw bad(reqPath, 'write needs "data.value" or "data.content"');
      const b = body([typed(path, data.type, data.value)]);
      return cmd({ code: Method.PUT, options: [...at, ...b.options], payload: b.payload });
    }
    case 'create': {
      // §6.3.6: POST on the object with the new instance's resources
      if (path.instanceId !== undefined && path.resourceId !== undefined)
        throw bad(reqPath, 'create needs an object path');
      const records = Array.isArray(data.content) ? contentRecords() : [];
      const objectPath = { objectId: path.objectId };
      const fullRecords = records;
      const b = fullRecords.length === 0 ? { options: [], payload: Buffer.alloc(0) } : body(fullRecords);
      return {
        reqID,
        msgType: 'create',
        path,
        request: {
          code: Method.POST,
          options: [...uriPath(objectPath, ctx.rootPath), ...b.options],
          payload: b.payload,
        },
      };
    }
  }
}

/** EMQX `codeMsg` spellings of CoAP response codes. */
const CODE_MSG: Record<number, string> = {
  [Rsp.Created]: 'created',
  [Rsp.Deleted]: 'deleted',
  [Rsp.Valid]: 'valid',
  [Rsp.Changed]: 'changed',
  [Rsp.Content]: 'content',
  [Rsp.Continue]: 'continue',
  [Rsp.BadRequest]: 'bad_request',
  [Rsp.Unauthorized]: 'unauthorized',
  [Rsp.BadOption]: 'bad_option',
  [Rsp.Forbidden]: 'forbidden',
  [Rsp.NotFound]: 'not_found',
  [Rsp.MethodNotAllowed]: 'method_not_allowed',
  [Rsp.NotAcceptable]: 'not_acceptable',
  [Rsp.RequestEntityIncomplete]: 'request_entity_incomplete',
  [Rsp.PreconditionFailed]: 'precondition_failed',
  [Rsp.RequestEntityTooLarge]: 'request_entity_too_large',
  [Rsp.UnsupportedContentFormat]: 'unsupported_content_format',
  [Rsp.InternalServerError]: 'internal_server_error',
  [Rsp.ServiceUnavailable]: 'service_unavailable',
  [Rsp.GatewayTimeout]: 'gateway_timeout',
};

export function codeMsg(code: number): string {
  return CODE_MSG[code] ?? 'unknown';
}

export interface ResultData {
  reqPath?: string;
  code: string;
  codeMsg: string;
  content?: unknown[];
  reason?: string;
}

export function result(reqID: unknown, msgType: string | undefined, data: ResultData): Buffer {
  return Buffer.from(JSON.stringify({ reqID, msgType, data }), 'utf8');
}

export function errorResult(
  reqID: unknown,
  msgType: string | undefined,
  reqPath: string | undefined,
  code: number,
  reason: string,
): Buffer {
  return result(reqID, msgType, { reqPath, code: codeText(code), codeMsg: codeMsg(code), reason });
}
