/**
 * The one configuration schema: defaults, ranges and descriptions live here and nowhere else.
 * docs/configuration.md and the JSON Schema are generated from it (scripts/gen-docs.ts).
 */
import { z } from 'zod';
import { bind, byteSize, duration } from './types.js';
import { bridgesSchema } from '../bridge/schema.js';
import { gatewaysSchema } from '../gateway/config.js';
import { sysTopicsSchema } from '../sys/schema.js';

const maxConnections = z
  .number()
  .int()
  .min(1)
  .max(1_000_000)
  .default(100_000)
  .describe(
    'connections this listener accepts at once; one more gets CONNACK "server unavailable" (v3 0x03, v5 0x88) and is closed',
  );

const tcpListener = z
  .object({
    enable: z.boolean().default(true).describe('start this listener'),
    bind: bind('address and port to listen on').prefault('0.0.0.0:1883'),
    max_connections: maxConnections,
  })
  .describe('plain MQTT over TCP');

const tlsOptions = {
  certfile: z.string().describe('PEM server certificate (chain) file'),
  keyfile: z.string().describe('PEM private key file'),
  cacertfile: z.string().optional().describe('PEM CA bundle used to verify client certificates'),
  verify: z
    .enum(['verify_none', 'verify_peer'])
    .default('verify_none')
    .describe('request and verify a client certificate'),
  fail_if_no_peer_cert: z
    .boolean()
    .default(false)
    .describe('with verify_peer: refuse clients that send no certificate'),
};

const sslListener = z
  .object({
    enable: z.boolean().default(true).describe('start this listener'),
    bind: bind('address and port to listen on').prefault('0.0.0.0:8883'),
    max_connections: maxConnections,
    ...tlsOptions,
  })
  .describe('MQTT over TLS');

const wsListener = z
  .object({
    enable: z.boolean().default(true).describe('start this listener'),
    bind: bind('address and port to listen on').prefault('0.0.0.0:8083'),
    path: z.string().startsWith('/').default('/mqtt').describe('HTTP path clients upgrade on (subprotocol "mqtt")'),
    max_connections: maxConnections,
  })
  .describe('MQTT over WebSocket');

const wssListener = z
  .object({
    enable: z.boolean().default(true).describe('start this listener'),
    bind: bind('address and port to listen on').prefault('0.0.0.0:8084'),
    path: z.string().startsWith('/').default('/mqtt').describe('HTTP path clients upgrade on (subprotocol "mqtt")'),
    max_connections: maxConnections,
    ...tlsOptions,
  })
  .describe('MQTT over secure WebSocket');

export const listenersSchema = z
  .object({
    tcp: z
      .record(z.string(), tcpListener)
      .prefault({ default: {} })
      .describe('TCP listeners by name (default: `default` on 0.0.0.0:1883)'),
    ssl: z.record(z.string(), sslListener).default({}).describe('TLS listeners by name'),
    ws: z.record(z.string(), wsListener).default({}).describe('WebSocket listeners by name'),
    wss: z.record(z.string(), wssListener).default({}).describe('secure WebSocket listeners by name'),
  })
  .prefault({});

export const mqttSchema = z
  .object({
    max_packet_size: byteSize(
      'largest MQTT packet accepted; a bigger one gets DISCONNECT 0x95 (v5) or a close',
      64,
      268_435_455,
    ).prefault('1MB'),
    max_clientid_len: z.number().int().min(23).max(65535).default(65535).describe('longest client id accepted'),
    max_topic_levels: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(128)
      .describe('most levels a topic name or filter may have'),
    max_qos_allowed: z
      .number()
      .int()
      .min(0)
      .max(2)
      .default(2)
      .describe('highest QoS the broker grants (Maximum QoS in CONNACK)'),
    max_topic_alias: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .default(65535)
      .describe('Topic Alias Maximum the broker offers v5 clients; 0 disables'),
    retain_available: z.boolean().default(true).describe('accept retained messages'),
    wildcard_subscription: z.boolean().default(true).describe('accept + and # in filters'),
    shared_subscription: z.boolean().default(true).describe('accept $share/{group}/{filter} subscriptions'),
    max_inflight: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(32)
      .describe(
        'QoS>0 messages the broker sends a v3.1.1 client before waiting for acks (v5 clients announce their own Receive Maximum)',
      ),
    receive_maximum: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(65535)
      .describe(
        'Receive Maximum announced to v5 clients: unacknowledged QoS>0 PUBLISHes a client may send; more gets DISCONNECT 0x93. Some clients (MQTT.js) ignore it, hence the high default',
      ),
    max_awaiting_rel: z
      .number()
      .int()
      .min(1)
      .max(65535)
      .default(100)
      .describe('QoS 2 messages from a client awaiting PUBREL'),
    retry_interval: duration(
      'resend an unacknowledged QoS>0 message to a v3 client after this long on the same connection; 0 = only on reconnect',
    ).prefault('30s'),
    max_mqueue_len: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .default(10_000)
      .describe('messages queued per session (offline, or beyond the in-flight window)'),
    max_mqueue_bytes: byteSize('payload bytes queued per session (offline, or beyond the in-flight window)').prefault(
      '64MB',
    ),
    max_offline_mqueue_len: z
      .number()
      .int()
      .min(1)
      .max(100_000_000)
      .default(100_000)
      .describe(
        'messages queued per persistent session on the SQLite store while it is offline (and while it drains that backlog); only mqueue_memory_window of them are in memory. Never below max_mqueue_len',
      ),
    max_offline_mqueue_bytes: byteSize(
      'payload bytes queued per persistent session on the SQLite store while it is offline (on disk, not in memory). Never below max_mqueue_bytes',
    ).prefault('256MB'),
    mqueue_memory_window: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(1000)
      .describe(
        'queued messages of a persistent session (SQLite store) held in memory; the rest is read back from the store a page at a time. 0 = hold the whole queue in memory',
      ),
    mqueue_overflow: z
      .enum(['drop_oldest', 'drop_newest'])
      .default('drop_oldest')
      .describe('what a full session queue drops'),
    mqueue_store_qos0: z
      .boolean()
      .default(true)
      .describe('queue QoS 0 messages for offline persistent sessions (memory only, lost on restart)'),
    keepalive_multiplier: z
      .number()
      .min(1)
      .max(10)
      .default(1.5)
      .describe('close a client silent for this many keep-alive periods [MQTT-3.1.2-24]'),
    server_keep_alive: z
      .number()
      .int()
      .min(0)
      .max(65535)
      .optional()
      .describe('Server Keep Alive sent to v5 clients, overriding theirs'),
    max_session_expiry: duration('longest session expiry granted; larger requests are capped').prefault('7d'),
    idle_timeout: duration('close a connection that sends no CONNECT within this time').prefault('15s'),
    max_subscriptions: z
      .number()
      .int()
      .min(0)
      .max(1_000_000)
      .default(0)
      .describe('subscriptions per client; 0 = unlimited'),
    outbound_buffer: byteSize(
      'bytes waiting in a client socket before the broker stops writing and queues instead',
    ).prefault('4MB'),
    queue_high_watermark: z
      .number()
      .int()
      .min(0)
      .max(10_000_000)
      .default(1000)
      .describe(
        'QoS>0 messages queued for a connected session (beyond its in-flight window) at which the broker stops reading the publishers that route to it, until the queue is half as long; 0 disables. Keep it well below max_mqueue_len',
      ),
    stall_timeout: duration(
      'a connected subscriber whose queue holds publishers back and that acknowledges nothing for this long is stalled: it stops holding publishers back and its queue limit and overflow policy apply',
    ).prefault('30s'),
  })
  .prefault({});

const who = z.union([
  z.literal('all'),
  z.object({ username: z.string() }).strict(),
  z.object({ clientid: z.string() }).strict(),
  z.object({ ipaddress: z.string() }).strict(),
]);

export const aclRuleSchema = z.object({
  permission: z.enum(['allow', 'deny']).describe('what a match does'),
  who: who
    .default('all')
    .describe('`all`, `{ username = "u" }`, `{ clientid = "c" }` or `{ ipaddress = "10.0.0.0/8" }`'),
  action: z.enum(['publish', 'subscribe', 'all']).default('all').describe('which operation the rule covers'),
  topics: z
    .array(z.string())
    .min(1)
    .describe('topic filters; ${username}/${clientid} are replaced; "eq t/#" matches the filter text exactly'),
});

export const authSchema = z
  .object({
    allow_anonymous: z.boolean().default(true).describe('accept clients that send no username'),
    password_file: z
      .string()
      .optional()
      .describe(
        'file of `username:$scrypt$...[:$scram-sha-256$...:$scram-sha-512$...]` lines managed by `protohub passwd`',
      ),
    jwt: z
      .object({
        enable: z.boolean().default(false).describe('accept a JWT as the CONNECT password'),
        algorithm: z.enum(['HS256', 'RS256']).default('HS256').describe('signature algorithm'),
        secret: z.string().optional().describe('HS256 shared secret'),
        key_file: z.string().optional().describe('HS256 secret file or RS256 PEM public key file'),
        username_claim: z
          .string()
          .default('username')
          .describe('claim that must equal the CONNECT username (if present)'),
        acl_claim: z
          .string()
          .default('acl')
          .describe('claim with `{ pub: [filters], sub: [filters] }` allowed for this client'),
        disconnect_after_expire: z
          .boolean()
          .default(true)
          .describe('end the connection when the token expires (v5 DISCONNECT 0xA0), as EMQX does'),
      })
      .prefault({}),
    scram: z
      .object({
        enable: z
          .boolean()
          .default(true)
          .describe('MQTT 5 enhanced authentication with SCRAM against the password file (needs password_file)'),
        mechanisms: z
          .array(z.enum(['SCRAM-SHA-256', 'SCRAM-SHA-512']))
          .default(['SCRAM-SHA-256', 'SCRAM-SHA-512'])
          .describe('Authentication Methods accepted in CONNECT'),
        step_timeout: duration(
          "longest wait for the client's next AUTH during CONNECT before CONNACK 0x87",
          100,
          300_000,
        ).prefault('20s'),
      })
      .prefault({}),
  })
  .prefault({});

export const authorizationSchema = z
  .object({
    no_match: z.enum(['allow', 'deny']).default('allow').describe('decision when no rule matches'),
    rules: z.array(aclRuleSchema).default([]).describe('checked in order, first match wins'),
  })
  .prefault({});

export const storeSchema = z
  .object({
    type: z
      .enum(['sqlite', 'memory'])
      .default('sqlite')
      .describe('sqlite survives restarts; memory loses sessions and retained messages on stop'),
    dir: z.string().default('./data').describe('directory of the SQLite database (created if missing)'),
    synchronous: z
      .enum(['normal', 'full'])
      .default('normal')
      .describe('SQLite synchronous mode: normal survives a process crash, full also a power loss'),
    max_size: byteSize(
      'largest the database file may grow; beyond, writes fail as on a full disk (publishers get no PUBACK and are disconnected; nothing acknowledged is lost). 0 = until the disk is full',
    ).prefault(0),
  })
  .prefault({});

export const httpSchema = z
  .object({
    enable: z.boolean().default(true).describe('serve the HTTP API and /metrics'),
    bind: bind('address and port of the HTTP API').prefault('127.0.0.1:8081'),
    metrics_auth: z
      .boolean()
      .default(false)
      .describe('require API credentials for /metrics too (off: Prometheus scrapes without credentials)'),
    api_keys_file: z
      .string()
      .optional()
      .describe('file of hashed API keys managed by `protohub ctl api-key` (default `<store.dir>/api-keys.json`)'),
    admins: z
      .array(z.string().min(1))
      .default([])
      .describe('users of `auth.password_file` who may use the API and log in to the dashboard'),
    session_ttl: duration('lifetime of a dashboard login session (cookie)').prefault('8h'),
    allowed_origins: z
      .array(z.string().regex(/^https?:\/\/[^/]+$/, 'expected an origin like "http://host:port"'))
      .default([])
      .describe("origins besides the API's own that may send state-changing requests (CSRF check)"),
    max_body: byteSize('largest accepted request body', 1, 64 * 1024 * 1024).prefault('1MB'),
    max_page_size: z.number().int().min(1).max(100_000).default(1000).describe('largest `limit` of a paged list'),
    auth_failures: z
      .number()
      .int()
      .min(1)
      .default(10)
      .describe('wrong credentials per client address within `auth_failure_window` before 429'),
    auth_failure_window: duration('window of the wrong-credentials limit').prefault('1m'),
  })
  .prefault({});

export const logSchema = z
  .object({
    level: z
      .enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'])
      .default('info')
      .describe('lowest level written'),
    format: z.enum(['auto', 'json', 'text']).default('auto').describe('auto = text on a TTY, JSON otherwise'),
  })
  .prefault({});

export const nodeSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]+$/)
      .default('protohub')
      .describe('hub name, used in $SYS topics and bridge templates as ${node.name}'),
  })
  .prefault({});

export const hubConfigSchema = z
  .object({
    node: nodeSchema,
    listeners: listenersSchema,
    mqtt: mqttSchema,
    auth: authSchema,
    authorization: authorizationSchema,
    store: storeSchema,
    http: httpSchema,
    log: logSchema,
    gateways: gatewaysSchema,
    bridges: bridgesSchema,
    sys_topics: sysTopicsSchema,
    rules: z.array(z.unknown()).default([]).describe('rule engine rules (reserved)'),
  })
  .strict();

export type HubConfigInput = z.input<typeof hubConfigSchema>;
export type HubConfig = z.output<typeof hubConfigSchema>;
export type MqttOptions = HubConfig['mqtt'];
export type AclRule = z.output<typeof aclRuleSchema>;
