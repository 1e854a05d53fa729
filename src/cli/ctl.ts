/**
 * `protohub ctl`: operate a running hub through its HTTP API (status, clients, subscriptions, publish,
 * gateways, bridges, reload), and manage API keys — offline against the config's key file by default, so the
 * first key can be made before any exists; `--remote` manages them through the API instead.
 */
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { ConfigError, HubError } from '../errors.js';
import { loadConfig, formatConfigError } from '../config/loader.js';
import type { HubConfig } from '../config/schema.js';
import { ApiKeyStore, apiKeysPath } from '../http/api-keys.js';
import { apiClient, CtlError, urlOfBind, type ApiClient } from './ctl-client.js';
import { record, table, type Row } from './ctl-format.js';

export const CTL_USAGE = `usage: protohub ctl <command> [options]

commands:
  status                                   node, version, uptime, counts and rates
  clients list [--protocol P] [--username U] [--clientid ID] [--page N] [--limit N]
  clients show ID | clients kick ID
  subscriptions [--clientid ID] [--page N] [--limit N]
  publish TOPIC [PAYLOAD] [--qos 0|1|2] [--retain]
  gateways list | gateways start|stop|restart ID
  bridges list | bridges pause|resume NAME
  reload                                   re-read the hub's config
  api-key create NAME | api-key list | api-key delete KEY|NAME   (offline; --remote uses the API)

options:
  -c, --config FILE   config file for the API address and the key file (default config/protohub.conf)
  --url URL           API address (env PROTOHUB_API_URL; default from the config's http.bind)
  --key KEY:SECRET    API key (env PROTOHUB_API_KEY)
  --json              print JSON instead of a table
`;

export interface CtlIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

const OPTIONS = {
  config: { type: 'string', short: 'c' },
  url: { type: 'string' },
  key: { type: 'string' },
  json: { type: 'boolean', default: false },
  remote: { type: 'boolean', default: false },
  protocol: { type: 'string' },
  username: { type: 'string' },
  clientid: { type: 'string' },
  page: { type: 'string' },
  limit: { type: 'string' },
  qos: { type: 'string', default: '0' },
  retain: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

type Values = ReturnType<typeof parseArgs<{ options: typeof OPTIONS; allowPositionals: true }>>['values'];

class Usage extends Error {}

export async function runCtl(argv: string[], io: CtlIo): Promise<number> {
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true }));
  } catch (err) {
    io.stderr.write(`${(err as Error).message}\n${CTL_USAGE}`);
    return 2;
  }
  if (values.help || positionals.length === 0) {
    (values.help ? io.stdout : io.stderr).write(CTL_USAGE);
    return values.help ? 0 : 2;
  }
  try {
    const out = await dispatch(positionals, values, io);
    io.stdout.write(out);
    return 0;
  } catch (err) {
    if (err instanceof Usage) {
      io.stderr.write(`${err.message}\n${CTL_USAGE}`);
      return 2;
    }
    if (err instanceof ConfigError) {
      io.stderr.write(formatConfigError(err) + '\n');
      return 2;
    }
    if (err instanceof HubError) {
      io.stderr.write(`${err.code}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}

function config(values: Values, required: boolean): HubConfig | undefined {
  const file = values.config ?? 'config/protohub.conf';
  if (!values.config && !existsSync(file) && !required) return undefined;
  return loadConfig(file).config;
}

function client(values: Values, env: NodeJS.ProcessEnv): ApiClient {
  let url = values.url ?? env.PROTOHUB_API_URL;
  if (!url) {
    const cfg = config(values, false);
    if (!cfg) throw new Usage('no API address: give --url, PROTOHUB_API_URL or -c FILE');
    url = urlOfBind(cfg.http.bind);
  }
  return apiClient(url, values.key ?? env.PROTOHUB_API_KEY);
}

const qs = (params: Record<string, string | undefined>) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined) q.set(k, v);
  const s = q.toString();
  return s ? `?${s}` : '';
};

const enc = encodeURIComponent;

async function dispatch(pos: string[], v: Values, io: CtlIo): Promise<string> {
  const [cmd, sub, arg, extra] = pos;
  const show = (data: unknown, columns?: string[]) => {
    if (v.json || !columns) return JSON.stringify(data, null, 2) + '\n';
    if (Array.isArray(data)) return table(data as Row[], columns);
    return record(data as Row);
  };
  const api = () => client(v, io.env);
  switch (cmd) {
    case 'status': {
      const c = api();
      const [node] = (await c.request('GET', '/api/v5/nodes')) as Row[];
      const current = (await c.request('GET', '/api/v5/monitor_current')) as Row;
      return show({ ...node, ...current }, []);
    }
    case 'clients': {
      if (sub === 'list' || sub === undefined) {
        const page = (await api().request(
          'GET',
          `/api/v5/clients${qs({ protocol: v.protocol, username: v.username, clientid: v.clientid, page: v.page, limit: v.limit })}`,
        )) as { data: Row[]; meta: Row };
        if (v.json) return show(page);
        const m = page.meta;
        return (
          table(page.data, [
            'clientid',
            'protocol',
            'username',
            'ip_address',
            'connected',
            'subscriptions_cnt',
            'mqueue_len',
          ]) +
          `page ${String(m.page)}, ${page.data.length} of ${String(m.count)}${m.hasnext ? ' (more: --page)' : ''}\n`
        );
      }
      if (!arg) throw new Usage(`clients ${sub} needs a client id`);
      if (sub === 'show') return show(await api().request('GET', `/api/v5/clients/${enc(arg)}`), []);
      if (sub === 'kick') {
        await api().request('DELETE', `/api/v5/clients/${enc(arg)}`);
        return v.json ? show({ kicked: arg }) : `kicked ${arg}\n`;
      }
      throw new Usage(`unknown clients command ${sub}`);
    }
    case 'subscriptions': {
      const page = (await api().request(
        'GET',
        `/api/v5/subscriptions${qs({ clientid: v.clientid, page: v.page, limit: v.limit })}`,
      )) as { data: Row[] };
      return v.json ? show(page) : table(page.data, ['clientid', 'topic', 'qos', 'nl', 'rap', 'rh']);
    }
    case 'publish': {
      if (!sub) throw new Usage('publish needs a topic');
      const qos = Number(v.qos);
      if (![0, 1, 2].includes(qos)) throw new Usage('--qos must be 0, 1 or 2');
      const r = await api().request('POST', '/api/v5/publish', {
        topic: sub,
        payload: arg ?? '',
        qos,
        retain: v.retain,
      });
      return v.json ? show(r) : `published to ${sub}\n`;
    }
    case 'gateways': {
      if (sub === 'list' || sub === undefined)
        return show(await api().request('GET', '/api/v5/gateways'), [
          'id',
          'state',
          'connection',
          'peers',
          'restarts',
          'lastError',
        ]);
      if (!['start', 'stop', 'restart'].includes(sub)) throw new Usage(`unknown gateways command ${sub}`);
      if (!arg) throw new Usage(`gateways ${sub} needs a gateway id (<protocol>.<name>)`);
      const h = await api().request('POST', `/api/v5/gateways/${enc(arg)}/${sub}`);
      return v.json ? show(h) : `${arg}: ${String((h as Row).state)}\n`;
    }
    case 'bridges':
      if (sub === 'pause' || sub === 'resume') {
        if (!arg) throw new Usage(`bridges ${sub} needs a bridge name`);
        const b = (await api().request('POST', `/api/v5/bridges/${enc(arg)}/${sub}`)) as Row;
        return v.json ? show(b) : `${arg}: ${b.paused ? 'paused' : 'draining'}, backlog ${String(b.backlog)}\n`;
      }
      if (sub !== undefined && sub !== 'list') throw new Usage(`unknown bridges command ${sub}`);
      return show(await api().request('GET', '/api/v5/bridges'), [
        'name',
        'state',
        'server',
        'backlog',
        'inflight',
        'sent',
        'acked',
        'dropped',
        'lastError',
      ]);
    case 'reload':
      return show(await api().request('POST', '/api/v5/reload'));
    case 'api-key':
      return apiKey(sub, arg ?? extra, v, io, show);
    default:
      throw new Usage(`unknown ctl command ${cmd}`);
  }
}

async function apiKey(
  sub: string | undefined,
  arg: string | undefined,
  v: Values,
  io: CtlIo,
  show: (d: unknown, c?: string[]) => string,
): Promise<string> {
  const remote = v.remote ? client(v, io.env) : undefined;
  const store = remote ? undefined : new ApiKeyStore(apiKeysPath(config(v, true)!));
  switch (sub) {
    case 'create': {
      if (!arg) throw new Usage('api-key create needs a name');
      const k = remote ? ((await remote.request('POST', '/api/v5/api_key', { name: arg })) as Row) : store!.create(arg);
      if (v.json) return show(k);
      return `created API key ${String(k.name)}\n  key:    ${String(k.key)}\n  secret: ${String(k.secret)}\nuse as --key ${String(k.key)}:${String(k.secret)} (the secret is not shown again)\n`;
    }
    case 'list':
    case undefined:
      return show(remote ? await remote.request('GET', '/api/v5/api_key') : store!.list(), [
        'key',
        'name',
        'created_at',
      ]);
    case 'delete': {
      if (!arg) throw new Usage('api-key delete needs a key or name');
      if (remote) await remote.request('DELETE', `/api/v5/api_key/${enc(arg)}`);
      else if (!store!.delete(arg))
        throw new CtlError('PH_HTTP_NOT_FOUND', `API key ${arg} not found in ${store!.path}`);
      return v.json ? show({ deleted: arg }) : `deleted ${arg}\n`;
    }
    default:
      throw new Usage(`unknown api-key command ${sub}`);
  }
}
