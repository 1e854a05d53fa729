/**
 * Top self-time frames of a V8 .cpuprofile (from `node --cpu-prof`):
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [top=25]`. Frames are grouped by function + file:line,
 * so one hot function shows once however many call paths reach it.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { relative } from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

export interface FrameRow {
  frame: string;
  selfMs: number;
  percent: number;
}

function label(n: ProfileNode, root: string): string {
  const { functionName, url, lineNumber } = n.callFrame;
  const name = functionName || '(anonymous)';
  if (!url) return name; // (garbage collector), (program), (idle) and native frames
  const file = url.startsWith('file://') ? relative(root, fileURLToPath(url)) : url;
  return `${name} ${file}:${lineNumber + 1}`;
}

/**
 * Self time per frame, largest first; (idle) is left out so percentages are of busy time. `fromMs`/`toMs`
 * (ms since the profile started) keep only samples in that window, e.g. the traffic and not the start-up.
 */
export function summarize(
  profile: CpuProfile,
  top = 25,
  root = process.cwd(),
  fromMs = 0,
  toMs = Infinity,
): { rows: FrameRow[]; busyMs: number; totalMs: number } {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  if (profile.samples && profile.timeDeltas) {
    // timeDeltas[i] is the time since the previous sample; it is charged to the frame sampled at i
    let at = 0;
    profile.samples.forEach((id, i) => {
      const dt = profile.timeDeltas![i] ?? 0;
      at += dt;
      if (at >= fromMs * 1000 && at < toMs * 1000) selfUs.set(id, (selfUs.get(id) ?? 0) + dt);
    });
  } else {
    const interval =
      (profile.endTime - profile.startTime) /
      Math.max(
        1,
        profile.nodes.reduce((s, n) => s + (n.hitCount ?? 0), 0),
      );
    for (const n of profile.nodes) selfUs.set(n.id, (n.hitCount ?? 0) * interval);
  }
  const byFrame = new Map<string, number>();
  let busy = 0;
  let total = 0;
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    if (node.callFrame.functionName === '(idle)') continue;
    busy += us;
    const key = label(node, root);
    byFrame.set(key, (byFrame.get(key) ?? 0) + us);
  }
  const rows = [...byFrame.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([frame, us]) => ({ frame, selfMs: us / 1000, percent: busy > 0 ? (us / busy) * 100 : 0 }));
  return { rows, busyMs: busy / 1000, totalMs: total / 1000 };
}

export function formatSummary(s: ReturnType<typeof summarize>): string {
  const lines = [
    `busy ${s.busyMs.toFixed(0)} ms of ${s.totalMs.toFixed(0)} ms profiled`,
    '',
    '| self ms | % busy | function file:line |',
    '|---:|---:|---|',
  ];
  for (const r of s.rows) lines.push(`| ${r.selfMs.toFixed(1)} | ${r.percent.toFixed(1)} | \`${r.frame}\` |`);
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top, from, to] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top=25] [fromMs=0] [toMs=∞]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(
    formatSummary(summarize(profile, Number(top ?? 25), process.cwd(), Number(from ?? 0), Number(to ?? Infinity))) +
      '\n',
  );
}
