// RTP load generator for bench/media (built by run.ts with `cc -O2`). Loopback only.
//
// Emulates N G.711 calls: two phones per call, each sending a 172-byte RTP packet every
// `ptime` ms to where the calls file says (a relay port, or the other phone for the direct
// baseline). Every phone has its own loopback address (127.1.x.y / 127.2.x.y) on one shared
// UDP port: one socket sends for all of them (IP_PKTINFO chooses the source address per
// packet, sendmmsg sends a whole sub-tick in one call) and receives for all of them
// (recvmmsg). The payload carries the stream id, a 32-bit sequence and the send time
// (CLOCK_MONOTONIC ns), so loss, reordering and one-way added latency are measured on
// the same clock. Calls are spread over `ptime / tick` sub-ticks; each sub-tick's lateness
// versus its schedule is recorded, so a run where the generator fell behind says so.
//
// IPv6 when the calls file's addresses are (IPV6_PKTINFO; the phones' addresses must be on `lo`).
// Usage: gen --calls FILE --port P --seconds S [--ptime 20] [--tick-us 1000] [--warmup-ms 1500]
// Calls file: one line per call: "srcA dstA_ip dstA_port srcB dstB_ip dstB_port".
// Prints "START" when measuring begins, "END" when sending ends, progress on stderr every
// second, then one JSON line with the results. Bounded: at most 600 s, 20000 calls.
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define PKT 172
#define MAX_CALLS 20000
#define HIST_US 200000 /* 1 µs buckets up to 200 ms, then one overflow bucket */
#define RX_BATCH 256

typedef struct {
  uint64_t n, over, max_ns;
  uint32_t *b;
} hist_t;

static void hist_init(hist_t *h) {
  h->n = h->over = h->max_ns = 0;
  h->b = calloc(HIST_US, sizeof(uint32_t));
}
static void hist_add(hist_t *h, int64_t ns) {
  if (ns < 0) ns = 0;
  uint64_t us = (uint64_t)ns / 1000;
  if (us < HIST_US) h->b[us]++;
  else h->over++;
  if ((uint64_t)ns > h->max_ns) h->max_ns = ns;
  h->n++;
}
static double hist_pct(const hist_t *h, double p) {
  if (h->n == 0) return -1;
  uint64_t want = (uint64_t)(p / 100.0 * (double)h->n), acc = 0;
  if (want >= h->n) want = h->n - 1;
  for (uint64_t i = 0; i < HIST_US; i++) {
    acc += h->b[i];
    if (acc > want) return (double)i / 1000.0 + 0.0005;
  }
  return (double)h->max_ns / 1e6;
}

typedef struct {
  union {
    struct sockaddr_in v4;
    struct sockaddr_in6 v6;
  } dst;
  union {
    struct in_addr v4;
    struct in6_addr v6;
  } src;
  unsigned char buf[PKT];
  uint32_t seq, sent, received, reordered, max_seq;
  uint32_t seq0; /* first sequence of the measured window: warm-up packets arriving late are not counted */
  int have_seq;
  union {
    char ctl[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } c;
} stream_t;

static int v6; /* the calls file holds IPv6 addresses */

static int64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (int64_t)t.tv_sec * 1000000000LL + t.tv_nsec;
}

static double cpu_s(void) {
  struct rusage r;
  getrusage(RUSAGE_SELF, &r);
  return r.ru_utime.tv_sec + r.ru_utime.tv_usec / 1e6 + r.ru_stime.tv_sec + r.ru_stime.tv_usec / 1e6;
}

static stream_t *streams;
static int nstreams;
static hist_t lat, late;
static uint64_t rx_total, rx_bad;

static void on_packet(const unsigned char *p, int len, int64_t t, int counting) {
  if (len < 28) {
    rx_bad++;
    return;
  }
  uint32_t id, seq;
  int64_t sent;
  memcpy(&id, p + 12, 4);
  memcpy(&seq, p + 16, 4);
  memcpy(&sent, p + 20, 8);
  if (id >= (uint32_t)nstreams) {
    rx_bad++;
    return;
  }
  if (!counting) return;
  stream_t *s = &streams[id];
  if (seq < s->seq0) return;
  s->received++;
  rx_total++;
  if (s->have_seq && seq < s->max_seq) s->reordered++;
  else {
    s->max_seq = seq;
    s->have_seq = 1;
  }
  hist_add(&lat, t - sent);
}

static unsigned char rxbuf[RX_BATCH][256];
static struct mmsghdr rxm[RX_BATCH];
static struct iovec rxv[RX_BATCH];

/** Reads whatever is queued; returns how many packets. */
static int drain(int fd, int counting) {
  int total = 0;
  for (;;) {
    int n = recvmmsg(fd, rxm, RX_BATCH, MSG_DONTWAIT, NULL);
    if (n <= 0) break;
    int64_t t = now_ns();
    for (int i = 0; i < n; i++) on_packet(rxbuf[i], (int)rxm[i].msg_len, t, counting);
    total += n;
    if (n < RX_BATCH) break;
  }
  return total;
}

static void stamp(stream_t *s) {
  unsigned char *b = s->buf;
  uint16_t seq16 = htons((uint16_t)s->seq);
  uint32_t ts = htonl(s->seq * 160u);
  memcpy(b + 2, &seq16, 2);
  memcpy(b + 4, &ts, 4);
  memcpy(b + 16, &s->seq, 4);
  int64_t t = now_ns();
  memcpy(b + 20, &t, 8);
  s->seq++;
  s->sent++;
}

static struct mmsghdr *txm;
static struct iovec *txv;
static uint64_t tx_fail;

static void send_group(int fd, int *ids, int n) {
  for (int i = 0; i < n; i++) stamp(&streams[ids[i]]);
  int off = 0;
  while (off < n) {
    int k = n - off > 1024 ? 1024 : n - off;
    for (int i = 0; i < k; i++) {
      stream_t *s = &streams[ids[off + i]];
      txv[i].iov_base = s->buf;
      txv[i].iov_len = PKT;
      struct msghdr *m = &txm[i].msg_hdr;
      m->msg_name = &s->dst;
      m->msg_namelen = v6 ? sizeof s->dst.v6 : sizeof s->dst.v4;
      m->msg_iov = &txv[i];
      m->msg_iovlen = 1;
      m->msg_control = s->c.ctl;
      m->msg_controllen = v6 ? CMSG_SPACE(sizeof(struct in6_pktinfo)) : CMSG_SPACE(sizeof(struct in_pktinfo));
    }
    int r = sendmmsg(fd, txm, k, 0);
    if (r <= 0) {
      // The first message failed: count it, and go on with the next ones.
      if (tx_fail++ == 0) fprintf(stderr, "gen: send failed: %s\n", strerror(errno));
      off += 1;
      continue;
    }
    off += r;
  }
}

static int parse_addr(const char *s, void *a) { return inet_pton(v6 ? AF_INET6 : AF_INET, s, a) == 1 ? 0 : -1; }

int main(int argc, char **argv) {
  const char *file = NULL;
  int port = 0, ptime = 20, tick_us = 1000, warmup_ms = 1500;
  double seconds = 10;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (!strcmp(argv[i], "--calls")) file = argv[i + 1];
    else if (!strcmp(argv[i], "--port")) port = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--seconds")) seconds = atof(argv[i + 1]);
    else if (!strcmp(argv[i], "--ptime")) ptime = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--tick-us")) tick_us = atoi(argv[i + 1]);
    else if (!strcmp(argv[i], "--warmup-ms")) warmup_ms = atoi(argv[i + 1]);
    else {
      fprintf(stderr, "gen: unknown option %s\n", argv[i]);
      return 2;
    }
  }
  if (!file || port <= 0 || seconds <= 0 || seconds > 600 || tick_us < 100 || ptime * 1000 % tick_us) {
    fprintf(stderr, "gen: bad arguments\n");
    return 2;
  }
  FILE *f = fopen(file, "r");
  if (!f) {
    perror(file);
    return 2;
  }
  streams = calloc(2 * MAX_CALLS, sizeof(stream_t));
  char sa[64], da[64], sb[64], db[64];
  int pa, pb, calls = 0;
  while (calls < MAX_CALLS && fscanf(f, "%63s %63s %d %63s %63s %d", sa, da, &pa, sb, db, &pb) == 6) {
    if (calls == 0) v6 = strchr(sa, ':') != NULL;
    stream_t *a = &streams[2 * calls], *b = &streams[2 * calls + 1];
    int bad = v6 ? parse_addr(sa, &a->src.v6) || parse_addr(da, &a->dst.v6.sin6_addr) ||
                       parse_addr(sb, &b->src.v6) || parse_addr(db, &b->dst.v6.sin6_addr)
                 : parse_addr(sa, &a->src.v4) || parse_addr(da, &a->dst.v4.sin_addr) ||
                       parse_addr(sb, &b->src.v4) || parse_addr(db, &b->dst.v4.sin_addr);
    if (bad) {
      fprintf(stderr, "gen: bad address on line %d\n", calls + 1);
      return 2;
    }
    if (v6) {
      a->dst.v6.sin6_family = b->dst.v6.sin6_family = AF_INET6;
      a->dst.v6.sin6_port = htons(pa);
      b->dst.v6.sin6_port = htons(pb);
    } else {
      a->dst.v4.sin_family = b->dst.v4.sin_family = AF_INET;
      a->dst.v4.sin_port = htons(pa);
      b->dst.v4.sin_port = htons(pb);
    }
    calls++;
  }
  fclose(f);
  nstreams = 2 * calls;
  for (int i = 0; i < nstreams; i++) {
    stream_t *s = &streams[i];
    s->buf[0] = 0x80;
    uint32_t ssrc = htonl(0x10000 + i);
    memcpy(s->buf + 8, &ssrc, 4);
    uint32_t id = i;
    memcpy(s->buf + 12, &id, 4);
    struct cmsghdr *c = (struct cmsghdr *)s->c.ctl;
    if (v6) {
      c->cmsg_level = IPPROTO_IPV6;
      c->cmsg_type = IPV6_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(struct in6_pktinfo));
      struct in6_pktinfo pi = {0};
      pi.ipi6_addr = s->src.v6;
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
    } else {
      c->cmsg_level = IPPROTO_IP;
      c->cmsg_type = IP_PKTINFO;
      c->cmsg_len = CMSG_LEN(sizeof(struct in_pktinfo));
      struct in_pktinfo pi = {0};
      pi.ipi_spec_dst = s->src.v4;
      memcpy(CMSG_DATA(c), &pi, sizeof pi);
    }
  }

  int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_DGRAM, 0);
  int big = 16 << 20;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof big);
  setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &big, sizeof big);
  struct sockaddr_in me = {.sin_family = AF_INET, .sin_port = htons(port)};
  me.sin_addr.s_addr = htonl(INADDR_ANY);
  struct sockaddr_in6 me6 = {.sin6_family = AF_INET6, .sin6_port = htons(port), .sin6_addr = IN6ADDR_ANY_INIT};
  if (bind(fd, v6 ? (struct sockaddr *)&me6 : (struct sockaddr *)&me, v6 ? sizeof me6 : sizeof me) < 0) {
    perror("gen: bind");
    return 2;
  }
  for (int i = 0; i < RX_BATCH; i++) {
    rxv[i].iov_base = rxbuf[i];
    rxv[i].iov_len = sizeof rxbuf[i];
    rxm[i].msg_hdr.msg_iov = &rxv[i];
    rxm[i].msg_hdr.msg_iovlen = 1;
  }
  txm = calloc(1024, sizeof *txm);
  txv = calloc(1024, sizeof *txv);
  hist_init(&lat);
  hist_init(&late);

  int groups = ptime * 1000 / tick_us;
  int **gids = calloc(groups, sizeof(int *));
  int *gn = calloc(groups, sizeof(int));
  for (int g = 0; g < groups; g++) gids[g] = calloc(nstreams + 1, sizeof(int));
  for (int c = 0; c < calls; c++) {
    int g = c % groups;
    gids[g][gn[g]++] = 2 * c;
    gids[g][gn[g]++] = 2 * c + 1;
  }

  // Priming: one packet each way so the relay latches (and installs its kernel path), then
  // the full schedule, not counted, for the rest of the warm-up: a JIT-compiled relay (Node)
  // measured from its first packets would be measured compiling its code, which a relay that
  // runs for days does once; rtpengine gets the same warm-up.
  for (int g = 0; g < groups; g++) send_group(fd, gids[g], gn[g]);
  int64_t primed = now_ns() + (int64_t)(warmup_ms / 3) * 1000000;
  while (now_ns() < primed) {
    drain(fd, 0);
    usleep(1000);
  }
  {
    int64_t w0 = now_ns(), wtick = (int64_t)tick_us * 1000;
    int64_t wticks = (int64_t)(warmup_ms - warmup_ms / 3) * 1000000 / wtick;
    struct pollfd wp = {.fd = fd, .events = POLLIN};
    for (int64_t k = 0; k < wticks; k++) {
      int64_t due = w0 + k * wtick;
      for (int64_t t = now_ns(); t < due; t = now_ns()) {
        struct timespec ts = {.tv_sec = 0, .tv_nsec = due - t};
        if (ppoll(&wp, 1, &ts, NULL) > 0) drain(fd, 0);
      }
      int g = (int)(k % groups);
      send_group(fd, gids[g], gn[g]);
      drain(fd, 0);
    }
  }
  drain(fd, 0);
  for (int i = 0; i < nstreams; i++) {
    streams[i].sent = 0;
    streams[i].seq0 = streams[i].seq;
  }
  tx_fail = 0;

  printf("START\n");
  fflush(stdout);
  double cpu0 = cpu_s();
  int64_t t0 = now_ns() + 2000000, tick = (int64_t)tick_us * 1000;
  int64_t ticks = (int64_t)(seconds * 1e9) / tick;
  int64_t next_progress = t0 + 1000000000LL;
  struct pollfd pfd = {.fd = fd, .events = POLLIN};
  for (int64_t k = 0; k < ticks; k++) {
    int64_t due = t0 + k * tick;
    for (;;) {
      int64_t t = now_ns();
      if (t >= due) break;
      int64_t wait = due - t;
      struct timespec ts = {.tv_sec = 0, .tv_nsec = wait};
      if (ppoll(&pfd, 1, &ts, NULL) > 0) drain(fd, 1);
    }
    hist_add(&late, now_ns() - due);
    int g = (int)(k % groups);
    send_group(fd, gids[g], gn[g]);
    drain(fd, 1);
    if (due >= next_progress) {
      uint64_t sent = 0;
      for (int i = 0; i < nstreams; i++) sent += streams[i].sent;
      fprintf(stderr, "progress %.0f/%.0f s sent %llu received %llu\n", (double)(due - t0) / 1e9, seconds,
              (unsigned long long)sent, (unsigned long long)rx_total);
      next_progress += 1000000000LL;
    }
  }
  int64_t send_end = now_ns();
  double cpu1 = cpu_s();
  printf("END\n");
  fflush(stdout);
  // Stragglers: packets still in flight count for 300 ms.
  int64_t stop = now_ns() + 300000000LL;
  while (now_ns() < stop) {
    struct timespec ts = {.tv_sec = 0, .tv_nsec = 5000000};
    if (ppoll(&pfd, 1, &ts, NULL) > 0) drain(fd, 1);
  }
  uint64_t sent = 0, received = 0, reordered = 0;
  for (int i = 0; i < nstreams; i++) {
    sent += streams[i].sent;
    received += streams[i].received;
    reordered += streams[i].reordered;
  }
  printf(
      "{\"calls\":%d,\"seconds\":%.3f,\"sent\":%llu,\"received\":%llu,\"reordered\":%llu,\"sendFailed\":%llu,"
      "\"bad\":%llu,\"latencyMs\":{\"p50\":%.4f,\"p99\":%.4f,\"p999\":%.4f,\"max\":%.3f},"
      "\"latenessMs\":{\"p50\":%.4f,\"p99\":%.4f,\"max\":%.3f},\"genCpuSeconds\":%.4f}\n",
      calls, (double)(send_end - t0) / 1e9, (unsigned long long)sent, (unsigned long long)received,
      (unsigned long long)reordered, (unsigned long long)tx_fail, (unsigned long long)rx_bad, hist_pct(&lat, 50),
      hist_pct(&lat, 99), hist_pct(&lat, 99.9), (double)lat.max_ns / 1e6, hist_pct(&late, 50), hist_pct(&late, 99),
      (double)late.max_ns / 1e6, cpu1 - cpu0);
  return 0;
}
