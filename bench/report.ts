/** Medians, protohub/mosquitto ratios and the issue-5 targets, as a console table, Markdown and JSON. */
import type { Figures } from './scenarios.js';

export interface Recorded {
  /** scenario id → target name → one Figures per run. */
  runs: Record<string, Record<string, Figures[]>>;
}

export function median(values: number[]): number {
  const v = values.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (v.length === 0) return NaN;
  const mid = Math.floor(v.length / 2);
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
}

export function medians(runs: Figures[]): Figures {
  const keys = [...new Set(runs.flatMap((r) => Object.keys(r)))];
  return Object.fromEntries(keys.map((k) => [k, median(runs.map((r) => r[k]))]));
}

export interface Row {
  label: string;
  scenario: string;
  figure: string;
  unit: string;
  /** A figure of the same scenario that must be 0 for the rate to count (messages protohub did not deliver). */
  loss?: string;
  /** How protohub must compare: ratio to mosquitto, or an absolute bound. */
  target:
    | { kind: 'ratio-min' | 'ratio-max'; value: number }
    | { kind: 'abs-max' | 'abs-min' | 'abs-eq'; value: number }
    | null;
}

export const ROWS: Row[] = [
  {
    label: 'QoS 0 fan-in 10→1 received',
    scenario: 'fanin-q0',
    figure: 'msg_per_s',
    unit: 'msg/s',
    loss: 'missing',
    target: { kind: 'ratio-min', value: 1 },
  },
  { label: 'QoS 0 fan-in: not delivered', scenario: 'fanin-q0', figure: 'missing', unit: 'msgs', target: null },
  {
    label: 'QoS 0 fan-in: broker-counted drops',
    scenario: 'fanin-q0',
    figure: 'broker_dropped',
    unit: 'msgs',
    target: null,
  },
  {
    label: 'QoS 1 fan-in 10→1 at defaults (mosquitto limits off), delivered',
    scenario: 'fanin-q1-defaults',
    figure: 'delivered_per_s',
    unit: 'msg/s',
    loss: 'missing',
    target: { kind: 'ratio-min', value: 1 },
  },
  {
    label: 'QoS 1 fan-in at defaults: PUBACKed',
    scenario: 'fanin-q1-defaults',
    figure: 'pubacked_per_s',
    unit: 'msg/s',
    target: null,
  },
  {
    label: 'QoS 1 fan-in at defaults: not delivered',
    scenario: 'fanin-q1-defaults',
    figure: 'missing',
    unit: 'msgs',
    target: { kind: 'abs-eq', value: 0 },
  },
  {
    label: 'QoS 1 fan-in at defaults: broker-counted drops',
    scenario: 'fanin-q1-defaults',
    figure: 'broker_dropped',
    unit: 'msgs',
    target: { kind: 'abs-eq', value: 0 },
  },
  {
    label: 'QoS 1 fan-in 10→1 received (tuned: max_inflight 65535, 1M queues)',
    scenario: 'fanin-q1',
    figure: 'msg_per_s',
    unit: 'msg/s',
    loss: 'missing',
    target: { kind: 'ratio-min', value: 1 },
  },
  {
    label: 'QoS 1 fan-in: not delivered',
    scenario: 'fanin-q1',
    figure: 'missing',
    unit: 'msgs',
    target: { kind: 'abs-eq', value: 0 },
  },
  {
    label: 'fan-out 1→100 deliveries',
    scenario: 'fanout',
    figure: 'deliveries_per_s',
    unit: 'msg/s',
    loss: 'missing',
    target: { kind: 'ratio-min', value: 1 },
  },
  { label: 'fan-out: not delivered', scenario: 'fanout', figure: 'missing', unit: 'msgs', target: null },
  { label: 'latency p50 at 5k msg/s', scenario: 'latency', figure: 'p50_us', unit: 'µs', target: null },
  {
    label: 'latency p99 at 5k msg/s',
    scenario: 'latency',
    figure: 'p99_us',
    unit: 'µs',
    target: { kind: 'ratio-max', value: 1.2 },
  },
  {
    label: 'latency p50 at 5k msg/s, libmosquitto probe',
    scenario: 'latency-mosq',
    figure: 'p50_us',
    unit: 'µs',
    target: null,
  },
  {
    label: 'latency p99 at 5k msg/s, libmosquitto probe',
    scenario: 'latency-mosq',
    figure: 'p99_us',
    unit: 'µs',
    target: { kind: 'ratio-max', value: 1.2 },
  },
  {
    label: 'latency p99.9 at 5k msg/s, libmosquitto probe',
    scenario: 'latency-mosq',
    figure: 'p999_us',
    unit: 'µs',
    target: null,
  },
  { label: 'latency max, libmosquitto probe', scenario: 'latency-mosq', figure: 'max_us', unit: 'µs', target: null },
  { label: 'idle RSS after start', scenario: 'startup', figure: 'idle_rss_mb', unit: 'MB', target: null },
  {
    label: 'RSS per idle connection (10k)',
    scenario: 'conn',
    figure: 'kb_per_conn',
    unit: 'KB',
    target: { kind: 'abs-max', value: 10 },
  },
  {
    label: 'spawn → accepting connections',
    scenario: 'startup',
    figure: 'ready_ms',
    unit: 'ms',
    target: { kind: 'abs-max', value: 500 },
  },
  {
    label: 'ZeroMQ PUSH → MQTT end to end (QoS 0)',
    scenario: 'zeromq',
    figure: 'msg_per_s',
    unit: 'msg/s',
    target: { kind: 'abs-min', value: 100_000 },
  },
  { label: 'ZeroMQ → MQTT: not delivered', scenario: 'zeromq', figure: 'missing', unit: 'msgs', target: null },
  {
    label: 'ZeroMQ: same peers into the bare receive layer (ceiling)',
    scenario: 'zeromq',
    figure: 'receive_ceiling_msg_per_s',
    unit: 'msg/s',
    target: null,
  },
  {
    label: 'NNG PUSH → MQTT end to end (QoS 0)',
    scenario: 'nng',
    figure: 'msg_per_s',
    unit: 'msg/s',
    target: { kind: 'abs-min', value: 100_000 },
  },
  { label: 'NNG → MQTT: not delivered', scenario: 'nng', figure: 'missing', unit: 'msgs', target: null },
  {
    label: 'NNG: same peers into the bare receive layer (ceiling)',
    scenario: 'nng',
    figure: 'receive_ceiling_msg_per_s',
    unit: 'msg/s',
    target: null,
  },
  {
    label: 'DDS (Cyclone writer, ShapeType) → MQTT end to end (QoS 0 subscriber)',
    scenario: 'dds',
    figure: 'msg_per_s',
    unit: 'msg/s',
    target: { kind: 'abs-min', value: 30_000 },
  },
  { label: 'DDS → MQTT: not delivered', scenario: 'dds', figure: 'missing', unit: 'msgs', target: null },
  {
    label: 'MQTT-SN: 1,000 clients, QoS 1 (one in flight each) → MQTT QoS 1 subscriber',
    scenario: 'mqttsn',
    figure: 'msg_per_s',
    unit: 'msg/s',
    loss: 'missing',
    target: { kind: 'abs-min', value: 50_000 },
  },
  {
    label: 'MQTT-SN: PUBACKed but not delivered',
    scenario: 'mqttsn',
    figure: 'missing',
    unit: 'msgs',
    target: { kind: 'abs-eq', value: 0 },
  },
  { label: 'MQTT-SN: hub CPU per message', scenario: 'mqttsn', figure: 'hub_cpu_us_per_msg', unit: 'µs', target: null },
  {
    label: 'MQTT-SN: C clients (generator) CPU per message',
    scenario: 'mqttsn',
    figure: 'generator_cpu_us_per_msg',
    unit: 'µs',
    target: null,
  },
  {
    label: 'MQTT-SN: hub RSS per connected MQTT-SN client',
    scenario: 'mqttsn',
    figure: 'rss_per_mqttsn_client_kb',
    unit: 'KB',
    target: null,
  },
  {
    label: 'MQTT-SN: hub RSS per idle MQTT client (same run)',
    scenario: 'mqttsn',
    figure: 'rss_per_mqtt_client_kb',
    unit: 'KB',
    target: null,
  },
  {
    label:
      'CoAP: NON publishes from 4 paced C senders (offered rate: COAP_RATE, default 60,000 msg/s) → MQTT subscriber, delivered',
    scenario: 'coap',
    figure: 'msg_per_s',
    unit: 'msg/s',
    loss: 'missing',
    target: { kind: 'abs-min', value: 50_000 },
  },
  {
    label: 'CoAP: not delivered (of which in the socket buffer: socket_drops)',
    scenario: 'coap',
    figure: 'missing',
    unit: 'msgs',
    target: { kind: 'abs-eq', value: 0 },
  },
  { label: 'CoAP: hub CPU per NON publish', scenario: 'coap', figure: 'hub_cpu_us_per_msg', unit: 'µs', target: null },
  {
    label: 'CoAP: highest offered NON rate with none lost (steps of 5,000 from 40,000)',
    scenario: 'coap-max',
    figure: 'lossless_msg_per_s',
    unit: 'msg/s',
    target: { kind: 'abs-min', value: 50_000 },
  },
  {
    label: 'LwM2M: 1,000 endpoints, read over MQTT dn → device → up/resp (window 100)',
    scenario: 'lwm2m',
    figure: 'responses_per_s',
    unit: 'responses/s',
    loss: 'failed',
    target: null,
  },
  { label: 'LwM2M read round trip p99', scenario: 'lwm2m', figure: 'p99_ms', unit: 'ms', target: null },
  { label: 'LwM2M reads failed or unanswered', scenario: 'lwm2m', figure: 'failed', unit: 'reads', target: null },
  { label: 'LwM2M hub CPU per 1,000 reads', scenario: 'lwm2m', figure: 'hub_cpu_ms_per_1k', unit: 'ms', target: null },
  {
    label: 'bridge backlog drain to mosquitto upstream, until all PUBACKed (QoS 1, defaults: SQLite, max_inflight 32)',
    scenario: 'bridge',
    figure: 'msg_per_s',
    unit: 'msg/s',
    loss: 'missing',
    target: { kind: 'abs-min', value: 20_000 },
  },
  {
    label: 'bridge drain: not delivered (subscriber after the drain)',
    scenario: 'bridge',
    figure: 'missing',
    unit: 'msgs',
    target: { kind: 'abs-eq', value: 0 },
  },
  { label: 'bridge drain: duplicates', scenario: 'bridge', figure: 'duplicates', unit: 'msgs', target: null },
  {
    label:
      'bridge forwards accepted into the SQLite cache, upstream down: hub CPU per message (PUBACK after the cache commit)',
    scenario: 'bridge',
    figure: 'fill_cpu_us_per_msg',
    unit: 'µs/msg',
    target: null,
  },
  {
    label: 'bridge drain timed at a live subscriber on the same 2 cores',
    scenario: 'bridge',
    figure: 'live_sub_msg_per_s',
    unit: 'msg/s',
    loss: 'live_sub_missing',
    target: null,
  },
  {
    label: 'bridge drain (live subscriber): not delivered',
    scenario: 'bridge',
    figure: 'live_sub_missing',
    unit: 'msgs',
    target: { kind: 'abs-eq', value: 0 },
  },
  {
    label: 'mosquitto alone: raw publisher, window 32, until all PUBACKed (ceiling)',
    scenario: 'bridge',
    figure: 'upstream_ceiling_msg_per_s',
    unit: 'msg/s',
    target: null,
  },
];

const CPU_ROWS = [
  'fanin-q0',
  'fanin-q1',
  'fanout',
  'latency',
  'zeromq',
  'nng',
  'dds',
  'mqttsn',
  'coap',
  'lwm2m',
  'bridge',
];

function fmt(v: number | undefined): string {
  if (v === undefined || !Number.isFinite(v)) return '–';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  if (Math.abs(v) >= 100) return v.toFixed(0);
  return v.toFixed(Math.abs(v) >= 10 ? 1 : 2);
}

function verdict(row: Row, p: number | undefined, m: number | undefined): string {
  const t = row.target;
  if (!t || p === undefined || !Number.isFinite(p)) return '';
  switch (t.kind) {
    case 'ratio-min':
      return m && Number.isFinite(m) ? (p / m >= t.value ? `met (≥${t.value}×)` : `MISSED (≥${t.value}×)`) : '';
    case 'ratio-max':
      return m && Number.isFinite(m) ? (p / m <= t.value ? `met (≤${t.value}×)` : `MISSED (≤${t.value}×)`) : '';
    case 'abs-min':
      return p >= t.value
        ? `met (≥${t.value.toLocaleString('en-US')} ${row.unit})`
        : `MISSED (≥${t.value.toLocaleString('en-US')} ${row.unit})`;
    case 'abs-max':
      return p <= t.value ? `met (≤${t.value} ${row.unit})` : `MISSED (≤${t.value} ${row.unit})`;
    case 'abs-eq':
      return p === t.value ? `met (= ${t.value})` : `MISSED (= ${t.value})`;
  }
}

export interface TableInput {
  medians: Record<string, Record<string, Figures>>;
  runsPerTarget: number;
  todo: string[];
}

/** Markdown table (also what the console prints). */
export function markdownTable(input: TableInput): string {
  const m = input.medians;
  const lines = [
    `| scenario (median of ${input.runsPerTarget}) | protohub | mosquitto | protohub / mosquitto | target |`,
    '|---|---:|---:|---:|---|',
  ];
  for (const row of ROWS) {
    const p = m[row.scenario]?.protohub?.[row.figure];
    const q = m[row.scenario]?.mosquitto?.[row.figure];
    const ratio = p !== undefined && q ? p / q : NaN;
    const lost = row.loss ? m[row.scenario]?.protohub?.[row.loss] : undefined;
    // a rate over fewer delivered messages is not the same work: a lossy run cannot meet a throughput target
    const judged =
      lost !== undefined && lost > 0 ? `MISSED (protohub did not deliver ${fmt(lost)} msgs)` : verdict(row, p, q);
    lines.push(
      `| ${row.label} (${row.unit}) | ${fmt(p)} | ${fmt(q)} | ${Number.isFinite(ratio) ? ratio.toFixed(2) + '×' : '–'} | ${judged} |`,
    );
  }
  for (const t of input.todo) lines.push(`| ${t} | TODO | TODO | – | not measured |`);
  lines.push(
    '',
    '| broker CPU% / RSS during scenario | protohub CPU% | protohub RSS MB (peak) | mosquitto CPU% | mosquitto RSS MB (peak) |',
    '|---|---:|---:|---:|---:|',
  );
  for (const id of CPU_ROWS) {
    const p = m[id]?.protohub ?? {};
    const q = m[id]?.mosquitto ?? {};
    lines.push(
      `| ${id} | ${fmt(p.cpu_percent)} | ${fmt(p.rss_mb)} (${fmt(p.peak_rss_mb)}) | ${fmt(q.cpu_percent)} | ${fmt(q.rss_mb)} (${fmt(q.peak_rss_mb)}) |`,
    );
  }
  const c = m['fanin-q0']?.ceiling;
  const ct = m['fanin-q0']?.['ceiling-threads'];
  const l = m.latency?.ceiling;
  const s = m['sub-flood']?.ceiling;
  const st = m['sub-flood']?.['ceiling-threads'];
  lines.push(
    '',
    '| generator ceiling (discard server instead of a broker) | worker processes | worker threads |',
    '|---|---:|---:|',
  );
  lines.push(`| 10 publishers → discard server, sent (msg/s) | ${fmt(c?.sent_per_s)} | ${fmt(ct?.sent_per_s)} |`);
  lines.push(
    `| 10 publishers → discard relay (one Node process) → 1 subscriber, received (msg/s) | ${fmt(c?.msg_per_s)} | ${fmt(ct?.msg_per_s)} |`,
  );
  lines.push(`| 1 subscriber ← discard flood, received (msg/s) | ${fmt(s?.msg_per_s)} | ${fmt(st?.msg_per_s)} |`);
  lines.push(`| latency via discard relay p50 / p99 (µs) | ${fmt(l?.p50_us)} / ${fmt(l?.p99_us)} | – |`);
  return lines.join('\n');
}

export interface ResultsFile {
  command: string;
  started: string;
  finished: string;
  machine: {
    cpu: string;
    cores: number;
    memory_gb: number;
    kernel: string;
    node: string;
    mosquitto: string;
    loadavg_start: number[];
    loadavg_end: number[];
  };
  sizes: Record<string, number>;
  protohub_outbound_buffer: string;
  runs: Record<string, Record<string, Figures[]>>;
  medians: Record<string, Record<string, Figures>>;
  todo: string[];
}

/** bench/results/latest.md from the JSON record (also used by `npm run bench -- --report` to re-render). */
export function renderMarkdown(r: ResultsFile): string {
  const m = r.machine;
  const runsPerTarget = Math.max(0, ...Object.values(r.runs['fanin-q0'] ?? r.runs.startup ?? {}).map((x) => x.length));
  return [
    '# protohub vs mosquitto — latest benchmark run',
    '',
    `Command: \`${r.command}\`  `,
    `Date: ${r.started} → ${r.finished}  `,
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memory_gb} GB, Linux ${m.kernel}, Node ${m.node}, ${m.mosquitto}  `,
    `Load average (1/5/15 min) at start ${m.loadavg_start.join(' / ')}, at end ${m.loadavg_end.join(' / ')} — the machine is shared with other engineers' test runs, so absolute figures are low and noisy; the ratios come from the same run, A/B alternating.  `,
    `sizes: ${JSON.stringify(r.sizes)}; 16-byte payloads, MQTT 3.1.1, one generator (protohub bench workers) for every target.  `,
    `protohub: memory store, mqtt.max_inflight 65535, max_mqueue_len 1,000,000, max_mqueue_bytes 1GB, outbound_buffer ${r.protohub_outbound_buffer}; mosquitto: max_inflight_messages 0, max_queued_messages 1,000,000, max_queued_bytes 0, set_tcp_nodelay true. Except \`fanin-q1-defaults\` (issue 14): protohub at its shipped defaults (SQLite store, max_inflight 32, max_mqueue_len 10,000), publishers 64 in flight each; mosquitto with max_queued_messages 0 (unlimited).`,
    '',
    markdownTable({ medians: r.medians, runsPerTarget, todo: r.todo }),
    '',
    'How each figure is measured, and what the profiles say: docs/performance.md.',
    '',
  ].join('\n');
}
