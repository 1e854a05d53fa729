/**
 * Latency probe on libmosquitto (issue 14): one C process with a publisher and a subscriber connection (MQTT
 * 3.1.1, QoS 0, TCP_NODELAY) to the broker under test. The publisher sends at a steady rate on an absolute
 * schedule; each payload carries its CLOCK_MONOTONIC send time, the subscriber takes the arrival time in the
 * same process, so both ends read one clock. One thread drives both sockets with poll(): no thread hand-off
 * inside the probe, and the publish is written to the socket in the mosquitto_publish() call.
 *
 * A neutral instrument next to the Node probe (`latency`): the same binary measures protohub and mosquitto.
 * Needs cc and libmosquitto-dev (`apt-get install -y libmosquitto-dev`); without them the scenario is skipped.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Figures } from './scenarios.js';

const PROBE = String.raw`
#define _GNU_SOURCE
#include <mosquitto.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static long long now_ns(void) {
  struct timespec t; clock_gettime(CLOCK_MONOTONIC, &t);
  return (long long)t.tv_sec * 1000000000LL + t.tv_nsec;
}
static long long *lat, *sent_at; static long nlat, cap; static long long count_from; static long received;
static int subscribed;

static void on_message(struct mosquitto *m, void *u, const struct mosquitto_message *msg) {
  long long at = now_ns(), sent;
  (void)m; (void)u;
  if (msg->payloadlen < (int)sizeof sent) return;
  memcpy(&sent, msg->payload, sizeof sent);
  received++;
  if (sent < count_from || nlat >= cap) return;
  sent_at[nlat] = sent;
  lat[nlat++] = at - sent;
}
static void on_subscribe(struct mosquitto *m, void *u, int mid, int n, const int *q) {
  (void)m; (void)u; (void)mid; (void)n; (void)q; subscribed = 1;
}
static int cmp(const void *a, const void *b) {
  long long x = *(const long long *)a, y = *(const long long *)b; return x < y ? -1 : x > y;
}
static void die(const char *what, int rc) { fprintf(stderr, "%s: %s\n", what, mosquitto_strerror(rc)); exit(1); }

/* Service one client's socket: read when readable, write what it has queued, keep alive. */
static void service(struct mosquitto *c, short revents) {
  int rc;
  if (revents & (POLLIN | POLLHUP | POLLERR)) { rc = mosquitto_loop_read(c, 64); if (rc) die("read", rc); }
  if (mosquitto_want_write(c)) { rc = mosquitto_loop_write(c, 1); if (rc) die("write", rc); }
  rc = mosquitto_loop_misc(c); if (rc) die("misc", rc);
}

static struct mosquitto *client(const char *id, int port) {
  struct mosquitto *c = mosquitto_new(id, 1, NULL);
  if (!c) { perror("mosquitto_new"); exit(1); }
  mosquitto_int_option(c, MOSQ_OPT_PROTOCOL_VERSION, MQTT_PROTOCOL_V311);
  mosquitto_int_option(c, MOSQ_OPT_TCP_NODELAY, 1);
  int rc = mosquitto_connect(c, "127.0.0.1", port, 60);
  if (rc) die("connect", rc);
  return c;
}

/* argv: port rate seconds warmup_seconds topic. Prints one JSON line. */
int main(int argc, char **argv) {
  if (argc < 6) { fprintf(stderr, "usage: port rate seconds warmup topic\n"); return 2; }
  int port = atoi(argv[1]); double rate = atof(argv[2]), secs = atof(argv[3]), warm = atof(argv[4]);
  const char *topic = argv[5];
  char id[64];
  mosquitto_lib_init();
  cap = (long)(rate * secs) + 16; lat = malloc(sizeof *lat * cap); sent_at = malloc(sizeof *sent_at * cap);
  snprintf(id, sizeof id, "lat-sub-%d", getpid());
  struct mosquitto *sub = client(id, port);
  snprintf(id, sizeof id, "lat-pub-%d", getpid());
  struct mosquitto *pub = client(id, port);
  mosquitto_message_callback_set(sub, on_message);
  mosquitto_subscribe_callback_set(sub, on_subscribe);
  int rc = mosquitto_subscribe(sub, NULL, topic, 0); if (rc) die("subscribe", rc);
  struct pollfd fds[2];
  long long deadline = now_ns() + 10000000000LL;
  while (!subscribed) {                                   /* CONNACKs, SUBACK */
    fds[0].fd = mosquitto_socket(sub); fds[0].events = POLLIN | (mosquitto_want_write(sub) ? POLLOUT : 0);
    fds[1].fd = mosquitto_socket(pub); fds[1].events = POLLIN | (mosquitto_want_write(pub) ? POLLOUT : 0);
    poll(fds, 2, 100);
    service(sub, fds[0].revents); service(pub, fds[1].revents);
    if (now_ns() > deadline) { fprintf(stderr, "no SUBACK within 10 s\n"); return 1; }
  }
  long long period = (long long)(1e9 / rate), t0 = now_ns() + 20000000LL;
  long long end = t0 + (long long)(secs * 1e9);
  count_from = t0 + (long long)(warm * 1e9);
  long sent = 0, late = 0;
  unsigned char payload[16] = {0};
  for (;;) {
    long long t = now_ns();
    if (t >= end) break;
    long long next = t0 + sent * period;
    if (t >= next) {
      long long stamp = now_ns();
      if (stamp - next > period) late++;                  /* the probe itself fell behind its schedule */
      memcpy(payload, &stamp, sizeof stamp);
      rc = mosquitto_publish(pub, NULL, topic, sizeof payload, payload, 0, 0);
      if (rc) die("publish", rc);
      sent++;
      continue;
    }
    long long wait_us = (next - t) / 1000;
    fds[0].fd = mosquitto_socket(sub); fds[0].events = POLLIN;
    fds[1].fd = mosquitto_socket(pub); fds[1].events = POLLIN | (mosquitto_want_write(pub) ? POLLOUT : 0);
    if (wait_us >= 1000) poll(fds, 2, (int)(wait_us / 1000));
    else {                                                /* sub-millisecond: ppoll */
      struct timespec ts = { 0, (long)((next - t)) };
      ppoll(fds, 2, &ts, NULL);
    }
    service(sub, fds[0].revents); service(pub, fds[1].revents);
  }
  deadline = now_ns() + 1000000000LL;                     /* collect stragglers for up to 1 s */
  while (received < sent && now_ns() < deadline) {
    fds[0].fd = mosquitto_socket(sub); fds[0].events = POLLIN;
    poll(fds, 1, 50);
    service(sub, fds[0].revents);
  }
  const char *trace = getenv("LAT_TRACE");               /* send time (ns since start) and latency per sample */
  if (trace) {
    FILE *f = fopen(trace, "w");
    if (f) { for (long i = 0; i < nlat; i++) fprintf(f, "%lld %lld\n", sent_at[i] - t0, lat[i]); fclose(f); }
  }
  qsort(lat, nlat, sizeof *lat, cmp);
#define PCT(p) (nlat ? lat[(long)((p) * (nlat - 1))] / 1000.0 : -1)
  printf("{\"sent\":%ld,\"received\":%ld,\"samples\":%ld,\"late_sends\":%ld,\"p50_us\":%.1f,\"p90_us\":%.1f,"
         "\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f}\n",
         sent, received, nlat, late, PCT(0.5), PCT(0.9), PCT(0.99), PCT(0.999), nlat ? lat[nlat - 1] / 1000.0 : -1);
  mosquitto_disconnect(pub); mosquitto_disconnect(sub);
  mosquitto_loop_write(pub, 1); mosquitto_loop_write(sub, 1);
  mosquitto_destroy(pub); mosquitto_destroy(sub);
  mosquitto_lib_cleanup();
  return 0;
}
`;

const HEADER = '/usr/include/mosquitto.h';
export const MOSQ_PROBE_HINT = 'needs cc and libmosquitto-dev (apt-get install -y libmosquitto-dev)';

/** cc and libmosquitto's header present. */
export function hasMosqProbeToolchain(): boolean {
  try {
    execFileSync('sh', ['-c', `command -v cc && test -e ${HEADER}`], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

let built: string | undefined;
/** Compile the probe once per process. */
export function buildMosqProbe(): string {
  if (built && existsSync(built)) return built;
  const dir = mkdtempSync(join(tmpdir(), 'mosq-lat-'));
  writeFileSync(join(dir, 'probe.c'), PROBE);
  execFileSync('cc', ['-O2', '-o', join(dir, 'probe'), join(dir, 'probe.c'), '-lmosquitto'], { stdio: 'inherit' });
  built = join(dir, 'probe');
  return built;
}

let topicSeq = 0;
/** Run the probe against a broker on `port`: `rate` msg/s for `seconds`, the first `warmup` s not counted. */
export function mosqLatency(
  port: number,
  rate: number,
  seconds: number,
  warmup = 0.5,
  /** Write every sample (send time since start, latency; ns) to this file. */
  trace?: string,
): Promise<Figures> {
  const binary = buildMosqProbe();
  const topic = `bench/mlat/${process.pid}/${topicSeq++}`;
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [String(port), String(rate), String(seconds), String(warmup), topic], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: trace ? { ...process.env, LAT_TRACE: trace } : process.env,
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.once('error', reject);
    child.once('exit', (code) => {
      if (code !== 0) return reject(new Error(`latency probe exited with ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out) as Figures);
      } catch {
        reject(new Error(`latency probe printed no figures: ${out} ${err}`));
      }
    });
  });
}
