/*
 * MQTT-SN load generator for bench/mqttsn.ts: N simulated MQTT-SN 1.2 clients in one process, one connected UDP
 * socket each, driven by one epoll loop, so the generator costs a fraction of what N Node dgram sockets cost and
 * leaves the 2 cores to the hub.
 *
 *   mqttsn-clients <port> <clients> <messages-per-client> <client-id-prefix> [topic-id] [batch|normal]
 *
 * 1. every client CONNECTs (clean session, keep-alive 600 s), in steps of 100, CONNECT resent after 1 s until the
 *    CONNACK; prints "connected" once all have it;
 * 2. waits for a line on stdin ("go");
 * 3. every client PUBLISHes QoS 1 on the predefined topic id, one message in flight (MQTT-SN 1.2 §6.13), the next
 *    after the PUBACK for it; a PUBLISH without a PUBACK after RETRY_MS is resent with DUP set (§6.13 Tretry);
 *
 * The generator runs as SCHED_BATCH (unless "normal"): 1,000 devices on their own hosts never make the hub's
 * sendmsg wake a process on the hub's machine, but here every PUBACK to a generator asleep in epoll_wait wakes it,
 * and a normal task woken that way may preempt the hub inside its syscall (perf showed ~15 % of the hub's samples
 * in finish_task_switch after sendmsg). A batch task is not allowed to preempt on wake-up.
 *
 * 4. prints one JSON line: sent, accepted, refused (PUBACK code != 0), retransmitted, timed_out (clients that had
 *    not finished after the deadline), the generator's own CPU seconds and the wall time of the publish phase.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <sched.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define RETRY_MS 2000
#define DEADLINE_MS 180000
#define PAYLOAD_LEN 16

struct client {
  int fd;
  int connected;
  long sent;      /* PUBLISHes started (not counting resends) */
  unsigned short msg_id;
  int waiting;    /* a PUBLISH is unacknowledged */
  double sent_at; /* ms, for the resend */
};

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static int topic_id = 1;
static long quota;
static long accepted, refused, retransmitted;

static void send_connect(struct client *c, const char *prefix, int i) {
  unsigned char m[128];
  int id = snprintf((char *)m + 6, sizeof m - 6, "%s%d", prefix, i);
  m[0] = (unsigned char)(6 + id);
  m[1] = 0x04; /* CONNECT */
  m[2] = 0x04; /* flags: clean session */
  m[3] = 0x01; /* protocol id */
  m[4] = 600 >> 8;
  m[5] = 600 & 0xff;
  if (send(c->fd, m, m[0], 0) < 0 && errno != EAGAIN) perror("send CONNECT");
}

static void send_publish(struct client *c, int dup) {
  unsigned char m[7 + PAYLOAD_LEN];
  m[0] = sizeof m;
  m[1] = 0x0c;                        /* PUBLISH */
  m[2] = (dup ? 0x80 : 0) | 0x20 | 1; /* DUP, QoS 1, predefined topic id */
  m[3] = topic_id >> 8;
  m[4] = topic_id & 0xff;
  m[5] = c->msg_id >> 8;
  m[6] = c->msg_id & 0xff;
  memset(m + 7, 'x', PAYLOAD_LEN);
  if (send(c->fd, m, sizeof m, 0) < 0 && errno != EAGAIN) perror("send PUBLISH");
  c->waiting = 1;
  c->sent_at = now_ms();
}

static void next(struct client *c) {
  if (c->sent >= quota) {
    c->waiting = 0;
    return;
  }
  c->sent++;
  c->msg_id = c->msg_id == 0xffff ? 1 : c->msg_id + 1;
  send_publish(c, 0);
}

int main(int argc, char **argv) {
  if (argc < 5) {
    fprintf(stderr, "usage: %s port clients messages-per-client prefix [topic-id]\n", argv[0]);
    return 2;
  }
  int port = atoi(argv[1]), n = atoi(argv[2]);
  quota = atol(argv[3]);
  const char *prefix = argv[4];
  if (argc > 5) topic_id = atoi(argv[5]);
  struct sched_param batch = {0};
  if (argc <= 6 || strcmp(argv[6], "normal") != 0)
    sched_setscheduler(0, SCHED_BATCH, &batch); /* best effort: never preempt the hub on a wake-up */
  struct client *cl = calloc(n, sizeof *cl);
  int ep = epoll_create1(0);
  struct sockaddr_in hub = {0};
  hub.sin_family = AF_INET;
  hub.sin_port = htons(port);
  hub.sin_addr.s_addr = htonl(0x7f000001);
  for (int i = 0; i < n; i++) {
    int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&hub, sizeof hub) < 0) {
      perror("socket");
      return 1;
    }
    cl[i].fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.u32 = i};
    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
  }
  struct epoll_event evs[256];
  unsigned char buf[256];

  /* 1. CONNECT, 100 at a time */
  int connected = 0, started = 0;
  double last_round = now_ms();
  while (connected < n) {
    double t = now_ms();
    if (started < n && connected >= started - 50) {
      for (int k = 0; k < 100 && started < n; k++, started++) send_connect(&cl[started], prefix, started);
    } else if (t - last_round > 1000) {
      last_round = t;
      for (int i = 0; i < started; i++)
        if (!cl[i].connected) send_connect(&cl[i], prefix, i);
    }
    int k = epoll_wait(ep, evs, 256, 100);
    for (int e = 0; e < k; e++) {
      struct client *c = &cl[evs[e].data.u32];
      ssize_t len;
      while ((len = recv(c->fd, buf, sizeof buf, 0)) > 0) {
        if (len >= 3 && buf[1] == 0x05 && !c->connected) {
          if (buf[2] != 0) {
            fprintf(stderr, "CONNACK refused: %d\n", buf[2]);
            return 1;
          }
          c->connected = 1;
          connected++;
        }
      }
    }
  }
  printf("connected\n");
  fflush(stdout);

  /* 2. wait for "go" */
  char line[16];
  if (!fgets(line, sizeof line, stdin)) return 0;

  /* 3. publish */
  struct rusage r0;
  getrusage(RUSAGE_SELF, &r0);
  double t0 = now_ms(), last_sweep = t0;
  for (int i = 0; i < n; i++) next(&cl[i]);
  long finished_goal = (long)n * quota, done = 0;
  while (done < finished_goal && now_ms() - t0 < DEADLINE_MS) {
    int k = epoll_wait(ep, evs, 256, 200);
    for (int e = 0; e < k; e++) {
      struct client *c = &cl[evs[e].data.u32];
      ssize_t len;
      while ((len = recv(c->fd, buf, sizeof buf, 0)) > 0) {
        /* PUBACK: length 7, type 0x0d, topic id, msg id, return code */
        if (len < 7 || buf[1] != 0x0d || !c->waiting) continue;
        if (((buf[4] << 8) | buf[5]) != c->msg_id) continue; /* a late PUBACK for a resent message */
        if (buf[6] == 0) accepted++;
        else refused++;
        done++;
        next(c);
      }
    }
    double t = now_ms();
    if (t - last_sweep > RETRY_MS / 4) {
      last_sweep = t;
      for (int i = 0; i < n; i++)
        if (cl[i].waiting && t - cl[i].sent_at > RETRY_MS) {
          retransmitted++;
          send_publish(&cl[i], 1);
        }
    }
  }
  double wall = now_ms() - t0;
  struct rusage r1;
  getrusage(RUSAGE_SELF, &r1);
  double cpu = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) + (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec) / 1e6 +
               (r1.ru_stime.tv_sec - r0.ru_stime.tv_sec) + (r1.ru_stime.tv_usec - r0.ru_stime.tv_usec) / 1e6;
  long sent = 0, timed_out = 0;
  for (int i = 0; i < n; i++) {
    sent += cl[i].sent;
    if (cl[i].waiting) timed_out++;
  }
  printf("{\"sent\":%ld,\"accepted\":%ld,\"refused\":%ld,\"retransmitted\":%ld,\"timed_out\":%ld,"
         "\"cpu_seconds\":%.3f,\"wall_ms\":%.1f}\n",
         sent, accepted, refused, retransmitted, timed_out, cpu, wall);
  fflush(stdout);
  for (int i = 0; i < n; i++) close(cl[i].fd);
  return 0;
}
