/**
 * Reusable zod building blocks for config schemas: durations ("30s"), byte sizes ("1MB"), host:port binds.
 * Every schema in the hub (core, gateways, bridges) builds on these so users write values the same way everywhere.
 */
import { z } from 'zod';

const DURATION_RE = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/;
const DURATION_UNIT: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** Parse "250ms", "30s", "5m", "2h", "1d" or a bare number of milliseconds. */
export function parseDuration(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) && v >= 0 ? v : undefined;
  const m = DURATION_RE.exec(v);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * DURATION_UNIT[m[2] ?? 'ms']);
}

/** A duration in milliseconds; accepts "30s"-style strings. */
export function duration(description: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === undefined || ms < min || ms > max) {
        ctx.addIssue({ code: 'custom', message: `expected a duration like "30s" (${min}ms..${max}ms)` });
        return z.NEVER;
      }
      return ms;
    })
    .describe(description);
}

const SIZE_RE = /^\s*(\d+(?:\.\d+)?)\s*(B|KB|MB|GB|KiB|MiB|GiB)?\s*$/i;
const SIZE_UNIT: Record<string, number> = {
  b: 1,
  kb: 1024,
  mb: 1024 ** 2,
  gb: 1024 ** 3,
  kib: 1024,
  mib: 1024 ** 2,
  gib: 1024 ** 3,
};

export function parseSize(v: string | number): number | undefined {
  if (typeof v === 'number') return Number.isInteger(v) && v >= 0 ? v : undefined;
  const m = SIZE_RE.exec(v);
  if (!m) return undefined;
  return Math.round(Number(m[1]) * SIZE_UNIT[(m[2] ?? 'b').toLowerCase()]);
}

/** A byte size; accepts "64KB", "1MB" (1024-based) or a number of bytes. */
export function byteSize(description: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const n = parseSize(v);
      if (n === undefined || n < min || n > max) {
        ctx.addIssue({ code: 'custom', message: `expected a size like "1MB" (${min}..${max} bytes)` });
        return z.NEVER;
      }
      return n;
    })
    .describe(description);
}

/** "host:port", ":port" or "port" → { host, port }. */
export function bind(description: string) {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const s = String(v);
      const m = /^(?:\[?([^\]]*?)\]?:)?(\d{1,5})$/.exec(s);
      const port = m ? Number(m[2]) : NaN;
      if (!m || port > 65535) {
        ctx.addIssue({ code: 'custom', message: 'expected "host:port" with port 0..65535' });
        return z.NEVER;
      }
      return { host: m[1] || '0.0.0.0', port };
    })
    .describe(description);
}

export const overflowPolicy = z
  .enum(['drop_oldest', 'drop_newest'])
  .describe('what a full queue does with one more message: drop the oldest queued one or the new one');
