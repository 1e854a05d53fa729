/**
 * LwM2M device management over HTTP, with EMQX 5's routes where EMQX has them (emqx_lwm2m_api):
 * GET /api/v5/gateways/lwm2m/clients[/{clientid}] (registered endpoints and their objects), GET …/lookup
 * (`action=read|discover`), POST …/read, POST …/observe (`enable=true|false`), PUT or POST …/write
 * (`path`, `type`, `value`), and ours: POST …/execute (`args`) and POST …/command (any EMQX command JSON).
 * Unlike EMQX, which answers 204 and publishes the device's answer on MQTT, each call waits for the device and
 * answers 200 with the result document of `up/resp`, within the instance's `request_timeout` for an awake
 * endpoint and at most `?wait=` seconds in any case (default 60). Endpoints are looked up in every running LwM2M
 * instance, or in the one named by `?gateway=<name>`.
 */
import { z } from 'zod';
import type { DeviceManagement, ManagedDevice } from '../../gateway/client-spi.js';
import type { ApiDeps } from '../deps.js';
import { badRequest, notFound, unavailable } from '../errors.js';
import { paginate } from '../paging.js';
import type { Route, RouteContext } from '../router.js';

const BASE = '/api/v5/gateways/lwm2m/clients';
/** Resource types a `write` may name (TS 1.1 Core Appendix C; EMQX's list plus Unsigned and Corelnk). */
const TYPES = ['String', 'Integer', 'Unsigned', 'Float', 'Boolean', 'Opaque', 'Time', 'Objlnk', 'Corelnk'];

interface Instance {
  id: string;
  management: DeviceManagement;
}

/** Running LwM2M instances with device management, optionally only `?gateway=<name>`. */
function instances(deps: ApiDeps, query: URLSearchParams): Instance[] {
  const gw = deps.gateways();
  if (!gw?.management) throw unavailable('the LwM2M gateway');
  const only = query.get('gateway');
  const out: Instance[] = [];
  for (const h of gw.health()) {
    if (h.protocol !== 'lwm2m' || (only !== null && h.name !== only && h.id !== only)) continue;
    const management = gw.management(h.id);
    if (management) out.push({ id: h.id, management });
  }
  return out;
}

const view = (id: string, d: ManagedDevice) => ({ clientid: d.ep, gateway: id, ...d });

/** The instance that has the endpoint `{clientid}` registered, and the endpoint; 404 when none has. */
function find(ctx: RouteContext<ApiDeps>): Instance & { device: ManagedDevice } {
  const ep = ctx.params.clientid;
  for (const i of instances(ctx.deps, ctx.query)) {
    const device = i.management.list().find((d) => d.ep === ep);
    if (device) return { ...i, device };
  }
  throw notFound(`LwM2M client ${ep}`);
}

function need(query: URLSearchParams, name: string): string {
  const v = query.get(name);
  if (v === null || v === '') throw badRequest(`query.${name}: required`);
  return v;
}

function bool(query: URLSearchParams, name: string): boolean {
  const v = need(query, name);
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  throw badRequest(`query.${name}: expected true or false`);
}

let seq = 0;

/** How long a call waits for the device by default, and at most (`?wait=` seconds). */
const WAIT_S = { default: 60, max: 600 };

function waitMs(query: URLSearchParams): number {
  const raw = query.get('wait');
  if (raw === null || raw === '') return WAIT_S.default * 1000;
  if (!/^\d+(\.\d+)?$/.test(raw) || Number(raw) <= 0 || Number(raw) > WAIT_S.max)
    throw badRequest(`query.wait: expected seconds, more than 0 and at most ${WAIT_S.max}`);
  return Number(raw) * 1000;
}

/**
 * Runs one command on the endpoint `{clientid}` (in the first instance that has it registered: a map lookup, no
 * walk over every endpoint) and waits for its result document, at most `?wait=` seconds: a sleeping queue-mode
 * endpoint holds commands until it wakes, so the call answers EMQX's "6.01 reply_not_received" then and the
 * command's later result is not reported.
 */
async function run(
  ctx: RouteContext<ApiDeps>,
  msgType: string,
  data: Record<string, unknown>,
  reqID?: unknown,
): Promise<{ result: Record<string, unknown>; management: DeviceManagement }> {
  const cmd = { reqID: reqID ?? `http-${++seq}`, msgType, data };
  const wait = waitMs(ctx.query);
  for (const { management } of instances(ctx.deps, ctx.query)) {
    const pending = management.command(ctx.params.clientid, cmd);
    if (!pending) continue;
    let timer: NodeJS.Timeout | undefined;
    const notYet = new Promise<Record<string, unknown>>((resolve) => {
      timer = setTimeout(() => {
        const reason = `no answer within ${wait / 1000} s; the command stays with the endpoint`;
        const reqPath = typeof data.path === 'string' ? data.path : data.basePath;
        resolve({ reqID: cmd.reqID, msgType, data: { reqPath, code: '6.01', codeMsg: 'reply_not_received', reason } });
      }, wait);
    });
    const result = await Promise.race([pending, notYet]);
    clearTimeout(timer);
    ctx.deps.logger.info(
      { gateway: 'lwm2m', ep: ctx.params.clientid, msgType, path: data.path ?? data.basePath, by: ctx.principal },
      'LwM2M command through the HTTP API',
    );
    return { result, management };
  }
  throw notFound(`LwM2M client ${ctx.params.clientid}`);
}

const write = (method: 'PUT' | 'POST'): Route<ApiDeps> => ({
  method,
  path: `${BASE}/{clientid}/write`,
  handler: (ctx) => {
    const type = ctx.query.get('type');
    if (type !== null && !TYPES.includes(type)) throw badRequest(`query.type: expected one of ${TYPES.join(', ')}`);
    const data = { path: need(ctx.query, 'path'), value: need(ctx.query, 'value'), ...(type ? { type } : {}) };
    return run(ctx, 'write', data).then((r) => r.result);
  },
});

const commandSchema = z
  .object({ reqID: z.unknown().optional(), msgType: z.string(), data: z.record(z.string(), z.unknown()) })
  .strict();

export const lwm2mRoutes: Route<ApiDeps>[] = [
  {
    method: 'GET',
    path: BASE,
    handler: ({ deps, query }) => {
      const all = instances(deps, query).flatMap((i) => i.management.list().map((d) => view(i.id, d)));
      const like = query.get('like_clientid');
      return paginate(
        query,
        deps.maxPage,
        all,
        (d) => like === null || d.clientid.includes(like),
        (d) => d,
      );
    },
  },
  {
    method: 'GET',
    path: `${BASE}/{clientid}`,
    handler: (ctx) => {
      const { id, device } = find(ctx);
      return view(id, device);
    },
  },
  {
    method: 'GET',
    path: `${BASE}/{clientid}/lookup`,
    handler: async (ctx) => {
      const path = need(ctx.query, 'path');
      const action = need(ctx.query, 'action');
      if (action !== 'read' && action !== 'discover') throw badRequest('query.action: expected read or discover');
      const { result, management } = await run(ctx, action, { path });
      const data = result.data as Record<string, unknown>;
      const { reqPath: _reqPath, content, ...rest } = data;
      if (action === 'read' || !Array.isArray(content))
        return { clientid: ctx.params.clientid, path, action, ...rest, ...(content ? { content } : {}) };
      // EMQX answers a discover lookup with the resources described by the object definitions; the raw links
      // stay in `links`
      const links = content.filter((l): l is string => typeof l === 'string');
      const resources = links
        .map((l) => /^<([^>]*)>/.exec(l)?.[1])
        .filter((p): p is string => p !== undefined && p.split('/').length >= 4)
        .map((p) => ({ path: p, ...management.describe?.(p) }));
      return { clientid: ctx.params.clientid, path, action, ...rest, content: resources, links };
    },
  },
  {
    method: 'POST',
    path: `${BASE}/{clientid}/read`,
    handler: async (ctx) => (await run(ctx, 'read', { path: need(ctx.query, 'path') })).result,
  },
  {
    method: 'POST',
    path: `${BASE}/{clientid}/observe`,
    handler: (ctx) => {
      const path = need(ctx.query, 'path');
      return run(ctx, bool(ctx.query, 'enable') ? 'observe' : 'cancel-observe', { path }).then((r) => r.result);
    },
  },
  write('PUT'),
  write('POST'),
  {
    method: 'POST',
    path: `${BASE}/{clientid}/execute`,
    handler: (ctx) => {
      const args = ctx.query.get('args');
      return run(ctx, 'execute', { path: need(ctx.query, 'path'), ...(args ? { args } : {}) }).then((r) => r.result);
    },
  },
  {
    method: 'POST',
    path: `${BASE}/{clientid}/command`,
    handler: async (ctx) => {
      const body = await ctx.body(commandSchema);
      return (await run(ctx, body.msgType, body.data, body.reqID)).result;
    },
  },
];
