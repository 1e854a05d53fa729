/** Per-process resource readings from /proc (Linux): resident memory and CPU time of a broker under test. */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks = 0;

/** USER_HZ: /proc/<pid>/stat times are in these units (100 on every Linux we run on, but ask). */
function ticksPerSecond(): number {
  if (clockTicks === 0) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** VmRSS in kB, or NaN when the process is gone. */
export function rssKb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : NaN;
  } catch {
    return NaN;
  }
}

/** utime + stime of the process in seconds (fields 14 and 15 of /proc/<pid>/stat, after the comm field). */
export function cpuSeconds(pid: number): number {
  const t = cpuTimes(pid);
  return t.user + t.system;
}

/** utime and stime apart: the kernel's share (syscalls, loopback delivery) against user space (JS, GC). */
export function cpuTimes(pid: number): { user: number; system: number } {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state), so utime (14) is fields[11] and stime (15) fields[12]
    return { user: Number(fields[11]) / ticksPerSecond(), system: Number(fields[12]) / ticksPerSecond() };
  } catch {
    return { user: NaN, system: NaN };
  }
}

/** Samples a process while a scenario runs: CPU% over the window and peak RSS (sampled every 100 ms). */
export class ProcessWindow {
  private readonly cpu0: number;
  private readonly sys0: number;
  private readonly t0 = Date.now();
  private peak: number;
  private readonly timer: NodeJS.Timeout;

  constructor(private readonly pid: number) {
    const t = cpuTimes(pid);
    this.cpu0 = t.user + t.system;
    this.sys0 = t.system;
    this.peak = rssKb(pid);
    this.timer = setInterval(() => {
      this.peak = Math.max(this.peak, rssKb(pid));
    }, 100);
  }

  /** CPU% over the window, the CPU seconds it used (for µs per message), VmRSS now and the sampled peak. */
  end(): { cpuPercent: number; cpuSeconds: number; sysSeconds: number; rssKb: number; peakRssKb: number } {
    clearInterval(this.timer);
    const seconds = (Date.now() - this.t0) / 1000;
    const rss = rssKb(this.pid);
    const t = cpuTimes(this.pid);
    const used = t.user + t.system - this.cpu0;
    return {
      cpuPercent: seconds > 0 ? (used / seconds) * 100 : NaN,
      cpuSeconds: used,
      sysSeconds: t.system - this.sys0,
      rssKb: rss,
      peakRssKb: Math.max(this.peak, rss),
    };
  }
}

/**
 * Datagrams the kernel dropped on the UDP socket bound to 127.0.0.1:`port` (the `drops` column of /proc/net/udp:
 * receive buffer full), or NaN when not found. Tells a loss in the socket buffer from one inside the hub.
 */
export function udpDrops(port: number): number {
  try {
    const hex = `0100007F:${port.toString(16).toUpperCase().padStart(4, '0')}`;
    for (const line of readFileSync('/proc/net/udp', 'utf8').split('\n')) {
      const f = line.trim().split(/\s+/);
      if (f[1] === hex) return Number(f[f.length - 1]);
    }
  } catch {
    // not Linux
  }
  return NaN;
}
