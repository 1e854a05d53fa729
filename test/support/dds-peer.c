/*
 * Cyclone DDS test peer for the DDS gateway tests. Loopback only: run with CYCLONEDDS_URI pointing at a
 * loopback config. Prints one line per event on stdout so tests can await them.
 *
 *   dds-peer <domain> shape-write <topic> <color> <count> <dispose:0|1> [partition]
 *       waits for a matched reader, writes <count> samples (x = i, y = 2i, shapesize = 30), optionally disposes
 *       the instance, waits for acks, prints "done".
 *   dds-peer <domain> shape-read <topic> <count> [partition]
 *       prints "ready", then "sample <color> <x> <y> <shapesize>" / "disposed <color>" until <count> lines
 *       (bytes of <color> outside printable ASCII as \xNN, so a mis-decoded key shows as what it is).
 *   dds-peer <domain> final-read <topic> <count>      the same for FinalShape (@final)
 *   dds-peer <domain> string-write <topic> <text>     (std_msgs::msg::dds_::String_)
 *   dds-peer <domain> string-read <topic> <count>
 *   dds-peer <domain> shape-bench <topic> <count>     writes <count> samples of 4 colors as fast as it can
 *   dds-peer <domain> shape-hold <topic>              a ShapeType writer that writes nothing and stays until killed
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "dds/dds.h"
#include "dds-peer-types.h"

static void fail(const char *what, dds_return_t rc) {
  fprintf(stderr, "%s: %s\n", what, dds_strretcode(rc));
  exit(2);
}

static dds_qos_t *qos_for(int durable) {
  dds_qos_t *q = dds_create_qos();
  dds_qset_reliability(q, DDS_RELIABILITY_RELIABLE, DDS_SECS(10));
  dds_qset_history(q, DDS_HISTORY_KEEP_ALL, 0);
  if (durable) dds_qset_durability(q, DDS_DURABILITY_TRANSIENT_LOCAL);
  return q;
}

static dds_entity_t make_writer(dds_entity_t pp, dds_entity_t topic, const char *partition) {
  dds_qos_t *pq = dds_create_qos();
  if (partition) dds_qset_partition1(pq, partition);
  dds_entity_t pub = dds_create_publisher(pp, pq, NULL);
  dds_delete_qos(pq);
  /* transient-local writers match volatile and transient-local readers alike */
  dds_qos_t *q = qos_for(1);
  dds_entity_t w = dds_create_writer(pub, topic, q, NULL);
  dds_delete_qos(q);
  if (w < 0) fail("create_writer", w);
  return w;
}

static dds_entity_t make_reader(dds_entity_t pp, dds_entity_t topic, const char *partition) {
  dds_qos_t *sq = dds_create_qos();
  if (partition) dds_qset_partition1(sq, partition);
  dds_entity_t sub = dds_create_subscriber(pp, sq, NULL);
  dds_delete_qos(sq);
  dds_qos_t *q = qos_for(0);
  dds_entity_t r = dds_create_reader(sub, topic, q, NULL);
  dds_delete_qos(q);
  if (r < 0) fail("create_reader", r);
  return r;
}

/* the key as text: printable ASCII as is, anything else as \xNN */
static const char *shown(const char *s) {
  static char buf[4 * 128 + 1];
  size_t n = 0;
  for (; *s && n + 4 < sizeof buf; s++) {
    unsigned char c = (unsigned char)*s;
    if (c >= 0x21 && c < 0x7f) buf[n++] = (char)c;
    else n += (size_t)snprintf(buf + n, sizeof buf - n, "\\x%02x", c);
  }
  buf[n] = 0;
  return buf;
}

static void wait_matched(dds_entity_t w) {
  dds_publication_matched_status_t st;
  for (;;) {
    dds_get_publication_matched_status(w, &st);
    if (st.current_count > 0) return;
    dds_sleepfor(DDS_MSECS(20));
  }
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: see source\n"); return 1; }
  setvbuf(stdout, NULL, _IOLBF, 0);
  dds_entity_t pp = dds_create_participant((dds_domainid_t)atoi(argv[1]), NULL, NULL);
  if (pp < 0) fail("create_participant", pp);
  const char *mode = argv[2];
  const char *tname = argv[3];
  if (strcmp(mode, "shape-write") == 0 || strcmp(mode, "shape-bench") == 0) {
    int bench = strcmp(mode, "shape-bench") == 0;
    dds_entity_t t = dds_create_topic(pp, &ShapeType_desc, tname, NULL, NULL);
    if (t < 0) fail("create_topic", t);
    const char *color = bench ? "BENCH" : argv[4];
    long count = atol(bench ? argv[4] : argv[5]);
    int dispose = bench ? 0 : atoi(argv[6]);
    const char *partition = (!bench && argc > 7) ? argv[7] : NULL;
    dds_entity_t w = make_writer(pp, t, partition);
    wait_matched(w);
    printf("matched\n");
    static const char *colors[] = {"RED", "GREEN", "BLUE", "YELLOW"};
    for (long i = 0; i < count; i++) {
      ShapeType s = {.x = (int32_t)i, .y = (int32_t)(2 * i), .shapesize = 30};
      strncpy(s.color, bench ? colors[i % 4] : color, sizeof s.color - 1);
      dds_return_t rc = dds_write(w, &s);
      if (rc < 0) fail("write", rc);
    }
    if (dispose) {
      /* writedispose sends the whole sample: Connext 7 cannot parse Cyclone 0.10's key-only XCDR2 payload of an
         appendable type (plain dds_dispose), it logs a deserialization error and drops the dispose */
      ShapeType s = {.x = 0};
      strncpy(s.color, color, sizeof s.color - 1);
      dds_return_t rc = dds_writedispose(w, &s);
      if (rc < 0) fail("dispose", rc);
    }
    dds_return_t rc = dds_wait_for_acks(w, DDS_SECS(60));
    if (rc < 0) fail("wait_for_acks", rc);
    printf("done\n");
  } else if (strcmp(mode, "shape-read") == 0 || strcmp(mode, "final-read") == 0) {
    /* ShapeType and FinalShape have the same members in the same order, so one printer serves both */
    int final = strcmp(mode, "final-read") == 0;
    dds_entity_t t = dds_create_topic(pp, final ? &FinalShape_desc : &ShapeType_desc, tname, NULL, NULL);
    if (t < 0) fail("create_topic", t);
    long count = atol(argv[4]);
    dds_entity_t r = make_reader(pp, t, argc > 5 ? argv[5] : NULL);
    printf("ready\n");
    long seen = 0;
    while (seen < count) {
      void *buf[16] = {0};
      dds_sample_info_t info[16];
      dds_return_t n = dds_take(r, buf, info, 16, 16);
      if (n < 0) fail("take", n);
      for (int i = 0; i < n; i++) {
        ShapeType *s = buf[i];
        int disposed = info[i].instance_state == DDS_IST_NOT_ALIVE_DISPOSED;
        if (!info[i].valid_data && !disposed) continue;
        if (info[i].valid_data) {
          printf("sample %s %d %d %d\n", shown(s->color), s->x, s->y, s->shapesize);
          seen++;
        }
        /* a dispose that arrives while the instance still has an unread sample is only that sample's state */
        if (disposed) {
          printf("disposed %s\n", shown(s->color));
          seen++;
        }
      }
      if (n > 0) dds_return_loan(r, buf, n);
      else dds_sleepfor(DDS_MSECS(10));
    }
  } else if (strcmp(mode, "shape-hold") == 0) {
    dds_entity_t t = dds_create_topic(pp, &ShapeType_desc, tname, NULL, NULL);
    if (t < 0) fail("create_topic", t);
    (void)make_writer(pp, t, NULL);
    printf("ready\n");
    for (;;) dds_sleepfor(DDS_SECS(1));
  } else if (strcmp(mode, "string-write") == 0) {
    dds_entity_t t = dds_create_topic(pp, &std_msgs_msg_dds__String__desc, tname, NULL, NULL);
    if (t < 0) fail("create_topic", t);
    dds_entity_t w = make_writer(pp, t, NULL);
    wait_matched(w);
    std_msgs_msg_dds__String_ s = {.data = argv[4]};
    dds_return_t rc = dds_write(w, &s);
    if (rc < 0) fail("write", rc);
    rc = dds_wait_for_acks(w, DDS_SECS(60));
    if (rc < 0) fail("wait_for_acks", rc);
    printf("done\n");
  } else if (strcmp(mode, "string-read") == 0) {
    dds_entity_t t = dds_create_topic(pp, &std_msgs_msg_dds__String__desc, tname, NULL, NULL);
    if (t < 0) fail("create_topic", t);
    long count = atol(argv[4]);
    dds_entity_t r = make_reader(pp, t, NULL);
    printf("ready\n");
    long seen = 0;
    while (seen < count) {
      void *buf[16] = {0};
      dds_sample_info_t info[16];
      dds_return_t n = dds_take(r, buf, info, 16, 16);
      if (n < 0) fail("take", n);
      for (int i = 0; i < n; i++) {
        if (!info[i].valid_data) continue;
        printf("string %s\n", ((std_msgs_msg_dds__String_ *)buf[i])->data);
        seen++;
      }
      if (n > 0) dds_return_loan(r, buf, n);
      else dds_sleepfor(DDS_MSECS(10));
    }
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 1;
  }
  dds_delete(pp);
  return 0;
}
