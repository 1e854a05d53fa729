/*
 * libnng test peer (Debian libnng-dev). Built by the NNG component tests:
 *   cc -o nng-peer test/support/nng-peer.c -lnng
 * usage:
 *   nng-peer req  <url> <body>          dial, send one request, print the reply, exit
 *   nng-peer push <url> <body>          dial, send one message, exit after it was handed to the pipe
 *   nng-peer pub  <url> <body> <ms>     listen, publish <body> every <ms> until killed
 *   nng-peer sub  <url>                 dial, subscribe to everything, print every body
 *   nng-peer pull <url>                 listen, print every body
 *   nng-peer stall <url> <n>            listen, print the first <n> bodies, then stop reading (back-pressure)
 *   nng-peer burst <url> <n>            dial, send "burst/<i> <i>" for i = 0..n-1 as fast as the pipe takes them
 *                                       (a 1024-message send queue), print "sent", exit after a linger
 * Bodies are printed one per line, as is.
 */
#include <nng/nng.h>
#include <nng/supplemental/util/platform.h>
#include <nng/protocol/pipeline0/pull.h>
#include <nng/protocol/pipeline0/push.h>
#include <nng/protocol/pubsub0/pub.h>
#include <nng/protocol/pubsub0/sub.h>
#include <nng/protocol/reqrep0/req.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void die(const char *what, int rv) {
  fprintf(stderr, "%s: %s\n", what, nng_strerror(rv));
  exit(1);
}

static void print_loop(nng_socket s) {
  for (;;) {
    char *buf = NULL;
    size_t len = 0;
    int rv = nng_recv(s, &buf, &len, NNG_FLAG_ALLOC);
    if (rv != 0) die("recv", rv);
    fwrite(buf, 1, len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    nng_free(buf, len);
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: nng-peer req|push|burst|pub|sub|pull|stall <url> [body|n] [ms]\n");
    return 2;
  }
  const char *mode = argv[1], *url = argv[2], *body = argc > 3 ? argv[3] : "";
  nng_socket s;
  int rv;
  if (strcmp(mode, "req") == 0) {
    if ((rv = nng_req0_open(&s)) != 0) die("open", rv);
    if ((rv = nng_dial(s, url, NULL, 0)) != 0) die("dial", rv);
    if ((rv = nng_send(s, (void *)body, strlen(body), 0)) != 0) die("send", rv);
    char *buf = NULL;
    size_t len = 0;
    if ((rv = nng_recv(s, &buf, &len, NNG_FLAG_ALLOC)) != 0) die("recv", rv);
    fwrite(buf, 1, len, stdout);
    fputc('\n', stdout);
    nng_free(buf, len);
  } else if (strcmp(mode, "push") == 0) {
    if ((rv = nng_push0_open(&s)) != 0) die("open", rv);
    if ((rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK)) != 0) die("dial", rv);
    if ((rv = nng_send(s, (void *)body, strlen(body), 0)) != 0) die("send", rv);
    nng_msleep(200); /* linger: let the message leave before the socket closes */
  } else if (strcmp(mode, "burst") == 0) {
    int n = argc > 3 ? atoi(argv[3]) : 1;
    if ((rv = nng_push0_open(&s)) != 0) die("open", rv);
    if ((rv = nng_socket_set_int(s, NNG_OPT_SENDBUF, 1024)) != 0) die("sendbuf", rv);
    if ((rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK)) != 0) die("dial", rv);
    for (int i = 0; i < n; i++) {
      char msg[64];
      int len = snprintf(msg, sizeof msg, "burst/%d %d", i, i);
      if ((rv = nng_send(s, msg, (size_t)len, 0)) != 0) die("send", rv);
    }
    printf("sent\n");
    fflush(stdout);
    nng_msleep(2000); /* NNG has no linger: let the send queue empty before the socket closes */
  } else if (strcmp(mode, "pub") == 0) {
    int ms = argc > 4 ? atoi(argv[4]) : 100;
    if ((rv = nng_pub0_open(&s)) != 0) die("open", rv);
    if ((rv = nng_listen(s, url, NULL, 0)) != 0) die("listen", rv);
    printf("ready\n");
    fflush(stdout);
    for (;;) {
      if ((rv = nng_send(s, (void *)body, strlen(body), 0)) != 0) die("send", rv);
      nng_msleep(ms);
    }
  } else if (strcmp(mode, "sub") == 0) {
    if ((rv = nng_sub0_open(&s)) != 0) die("open", rv);
    if ((rv = nng_socket_set(s, NNG_OPT_SUB_SUBSCRIBE, "", 0)) != 0) die("subscribe", rv);
    if ((rv = nng_dial(s, url, NULL, NNG_FLAG_NONBLOCK)) != 0) die("dial", rv);
    print_loop(s);
  } else if (strcmp(mode, "pull") == 0) {
    if ((rv = nng_pull0_open(&s)) != 0) die("open", rv);
    if ((rv = nng_listen(s, url, NULL, 0)) != 0) die("listen", rv);
    printf("ready\n");
    fflush(stdout);
    print_loop(s);
  } else if (strcmp(mode, "stall") == 0) {
    int n = argc > 3 ? atoi(argv[3]) : 1;
    if ((rv = nng_pull0_open(&s)) != 0) die("open", rv);
    if ((rv = nng_socket_set_int(s, NNG_OPT_RECVBUF, 1)) != 0) die("recvbuf", rv);
    if ((rv = nng_listen(s, url, NULL, 0)) != 0) die("listen", rv);
    printf("ready\n");
    fflush(stdout);
    for (int i = 0; i < n; i++) {
      char *buf = NULL;
      size_t len = 0;
      if ((rv = nng_recv(s, &buf, &len, NNG_FLAG_ALLOC)) != 0) die("recv", rv);
      printf("%d\n", (int)len);
      fflush(stdout);
      nng_free(buf, len);
    }
    for (;;) nng_msleep(1000);
  } else {
    fprintf(stderr, "unknown mode %s\n", mode);
    return 2;
  }
  nng_close(s);
  return 0;
}
