/** Medians, protohub/mosquitto ratios and the issue-5 targets, as a console table, Markdown and JSON. */
import type { Figures } from './scenarios.js';
import { CPU_ROWS, ROWS, type Row } from './report-rows.js';

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
