/*
 * bench_client: the load client of `npm run bench` (scripts/bench/main.ts).
 *
 * One process, one thread, one epoll loop, no dependency but zlib. It
 * speaks the client side of RFC 6455 to 127.0.0.1:PORT: an HTTP/1.1
 * upgrade with a random Sec-WebSocket-Key (the Sec-WebSocket-Accept answer
 * is checked), masked frames out, unmasked server frames of any size and
 * any fragmentation in (parsed as a stream: a 16 MiB binary message is
 * never buffered; json and compressed messages are kept whole, within
 * their size, to be checked), pings answered with pongs, closes answered
 * with closes.
 *
 * Modes (one JSON line on stdout when done):
 *   echo    --conns N --inflight K --size S on /echo: every connection keeps
 *           K binary messages in flight; each echo is checked (length and
 *           sequence number) and answered with the next message. Latency is
 *           the time between writing a message and reading its echo
 *           (per-connection FIFO of send times). Reports msgs/s, MB/s of
 *           echoed payload, p50/p99.
 *   bcast   --conns S subscribers on /bcast, then one publisher on /bcast
 *           keeping up to --outstanding messages published but not yet
 *           received back by itself (/bcast includes the sender). Each
 *           message carries its publish time; reports deliveries/s over the
 *           S subscribers, publish->receipt p50/p99, the fewest and most
 *           deliveries to one subscriber and how many got none.
 *   idle    opens --conns N connections with at most --handshakes
 *           handshakes in flight (handshakes/s), holds them --settle ms,
 *           reads the server's VmRSS (before/after, --server-pid), then
 *           pings every connection and counts the ones that answer.
 *   maxconn the same as idle with a large N: how many are held.
 *
 * Payloads (--payload): `binary` (the default) sends --size bytes whose
 * first bytes carry a sequence number (echo) or the publish time (bcast);
 * only length and those bytes are checked. `json` sends text frames of
 * chat-like JSON of exactly --size bytes (bench_chat.c: 256 deterministic
 * messages): an echo must equal, byte for byte, the message sent; a
 * broadcast must equal the message published, in publish order.
 *
 * permessage-deflate (--deflate browser|no-context-takeover, RFC 7692, with
 * bench_pmd.c on zlib; needs --payload json for echo and bcast): the
 * handshake offers it ("browser": what browsers offer; the other adds both
 * no_context_takeover parameters), the 101's Sec-WebSocket-Extensions is
 * checked (a malformed or unoffered answer fails the connection, a
 * declined offer is counted), every message sent is compressed (RSV1;
 * without context takeover, which a client may always choose, so the
 * compressed echo messages are made once per window size), every RSV1
 * message received is inflated (within the message's size) and checked
 * like any other (with server_no_context_takeover, a message whose
 * compressed bytes were inflated before is taken from a cache keyed by
 * those bytes: a broadcast compressed once is inflated once, not 1,000
 * times). RSV1 where the extension was not agreed, on a
 * continuation or a control frame, or RSV2/RSV3, is a protocol error. The
 * report gives the agreed extension, the messages received compressed and
 * plain, and the bytes on the wire each way during the measurement.
 *
 * During the measurement window of echo/bcast it reads its own CPU time
 * (getrusage), the server's (/proc/PID/stat, all threads) and the machine's
 * busy time (/proc/stat), so the report can show that the client is not the
 * bottleneck and that nothing else ran meanwhile (other_cpu_pct). It raises
 * its RLIMIT_NOFILE to the hard limit and picks its own local ports outside
 * the ephemeral range (the kernel's ephemeral port search is slow with
 * 20,000 connections open). A server that fails a whole first batch of
 * handshakes ends the run early; every phase is bounded by --timeout and
 * every handshake by --hs-timeout.
 *
 * Build (load_client.ts does it; zlib's headers: zlib1g-dev):
 *   cc -O2 -o .bench/bench_client scripts/bench/bench_client.c \
 *      scripts/bench/bench_pmd.c scripts/bench/bench_chat.c -lz
 *
 * Why this file is long: its sections share one connection table, one
 * histogram and the options as file-level state. The sections, in order:
 * options, time and CPU readings, latency histogram, random, SHA-1 and
 * base64 (for the handshake), connections (framing, parsing, handshake,
 * epoll events), main (modes and the JSON report). What needs none of that
 * state lives beside it: bench_pmd.c (permessage-deflate) and bench_chat.c
 * (the JSON messages).
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_chat.h"
#include "bench_pmd.h"

/* ---------------------------------------------------------------- options */

enum { M_ECHO, M_BCAST, M_IDLE, M_MAXCONN };
enum { P_BINARY, P_JSON };

static struct {
  int mode;
  const char *mode_name;
  int port;
  const char *path;
  int conns;
  int inflight;
  int size;
  int warmup_ms;
  int duration_ms;
  int handshakes;
  int settle_ms;
  int timeout_ms;
  int hs_timeout_ms;
  int check_timeout_ms;
  int server_pid;
  int outstanding;
  int payload;
  int deflate; /* PMD_OFF, PMD_BROWSER, PMD_NO_CONTEXT_TAKEOVER */
} opt = {
    .mode = M_ECHO,
    .mode_name = "echo",
    .port = 0,
    .path = NULL,
    .conns = 100,
    .inflight = 1,
    .size = 32,
    .warmup_ms = 1000,
    .duration_ms = 5000,
    .handshakes = 128,
    .settle_ms = 1000,
    .timeout_ms = 60000,
    .hs_timeout_ms = 10000,
    .check_timeout_ms = 10000,
    .server_pid = 0,
    .outstanding = 256,
    .payload = P_BINARY,
    .deflate = PMD_OFF,
};

/* ------------------------------------------------------------------ time */

static inline int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* The clock read once per socket event: every message parsed from one read
 * shares it, and so does every message written in answer. */
static int64_t now_cached;

/* Own CPU time in ns; *sys gets the kernel part. */
static int64_t cpu_ns(int64_t *sys) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  *sys = (int64_t)ru.ru_stime.tv_sec * 1000000000 + (int64_t)ru.ru_stime.tv_usec * 1000;
  return ((int64_t)ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000 +
         ((int64_t)ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000;
}

/* Server CPU time (all threads) in ns from /proc/PID/stat, or -1. */
static int64_t server_cpu_ns(void) {
  if (opt.server_pid <= 0) return -1;
  char path[64], buf[1024];
  snprintf(path, sizeof path, "/proc/%d/stat", opt.server_pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = 0;
  char *p = strrchr(buf, ')');
  if (!p) return -1;
  p += 2; /* field 3 (state) */
  for (int field = 3; field < 14; field++) {
    p = strchr(p, ' ');
    if (!p) return -1;
    p++;
  }
  unsigned long long utime = 0, stime = 0;
  if (sscanf(p, "%llu %llu", &utime, &stime) != 2) return -1;
  long tck = sysconf(_SC_CLK_TCK);
  return (int64_t)(utime + stime) * (1000000000 / tck);
}

/* Busy time of all CPUs together in ns (everything but idle and iowait)
 * from /proc/stat, or -1: with our own and the server's CPU time it tells
 * how much other processes took during the measurement. */
static int64_t machine_busy_ns(void) {
  FILE *f = fopen("/proc/stat", "r");
  if (!f) return -1;
  unsigned long long v[10] = {0};
  int n = fscanf(f, "cpu %llu %llu %llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1],
                 &v[2], &v[3], &v[4], &v[5], &v[6], &v[7], &v[8], &v[9]);
  fclose(f);
  if (n < 8) return -1;
  /* user nice system idle iowait irq softirq steal (guest is in user). */
  unsigned long long busy = v[0] + v[1] + v[2] + v[5] + v[6] + v[7];
  long tck = sysconf(_SC_CLK_TCK);
  return (int64_t)busy * (1000000000 / tck);
}

/* Server VmRSS in KiB from /proc/PID/status, or -1. */
static long server_rss_kib(void) {
  if (opt.server_pid <= 0) return -1;
  char path[64], line[256];
  snprintf(path, sizeof path, "/proc/%d/status", opt.server_pid);
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  long kib = -1;
  while (fgets(line, sizeof line, f)) {
    if (strncmp(line, "VmRSS:", 6) == 0) {
      kib = strtol(line + 6, NULL, 10);
      break;
    }
  }
  fclose(f);
  return kib;
}

/* ------------------------------------------------------------ histogram */

/* Log-linear histogram of nanoseconds: exact below 128, then 64 buckets per
 * power of two (relative error < 0.8 %). */
#define H_N (128 + 64 * 58)
static uint64_t hist[H_N];
static uint64_t hist_count;

static inline void hist_record(int64_t v) {
  if (v < 0) v = 0;
  uint64_t u = (uint64_t)v;
  int idx;
  if (u < 128) {
    idx = (int)u;
  } else {
    int shift = (63 - __builtin_clzll(u)) - 6;
    idx = 128 + (shift - 1) * 64 + (int)((u >> shift) - 64);
  }
  if (idx >= H_N) idx = H_N - 1;
  hist[idx]++;
  hist_count++;
}

static double hist_value_ns(int idx) {
  if (idx < 128) return idx;
  int k = idx - 128;
  int shift = k / 64 + 1;
  uint64_t m = (uint64_t)(k % 64 + 64);
  return (double)(m << shift) + (double)(1ULL << shift) / 2.0;
}

/* The p-quantile (0..1) in microseconds, or -1 without samples. */
static double hist_quantile_us(double p) {
  if (hist_count == 0) return -1;
  uint64_t target = (uint64_t)(p * (double)hist_count);
  if (target < 1) target = 1;
  uint64_t seen = 0;
  for (int i = 0; i < H_N; i++) {
    seen += hist[i];
    if (seen >= target) return hist_value_ns(i) / 1000.0;
  }
  return hist_value_ns(H_N - 1) / 1000.0;
}

/* ------------------------------------------------------------ random */

static uint64_t rng_state;

static inline uint64_t rng_next(void) {
  /* xorshift64*: good enough for masking keys and handshake nonces. */
  uint64_t x = rng_state;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  rng_state = x;
  return x * 0x2545F4914F6CDD1DULL;
}

/* ------------------------------------------------------------- SHA-1 */

static uint32_t rol32(uint32_t x, int n) { return (x << n) | (x >> (32 - n)); }

static void sha1(const uint8_t *data, size_t len, uint8_t out[20]) {
  uint32_t h[5] = {0x67452301, 0xEFCDAB89, 0x98BADCFE, 0x10325476,
                   0xC3D2E1F0};
  uint8_t block[64];
  size_t total = ((len + 8) / 64 + 1) * 64;
  for (size_t off = 0; off < total; off += 64) {
    for (int i = 0; i < 64; i++) {
      size_t pos = off + (size_t)i;
      uint8_t b;
      if (pos < len) b = data[pos];
      else if (pos == len) b = 0x80;
      else if (pos >= total - 8) b = (uint8_t)(((uint64_t)len * 8) >> (8 * (total - 1 - pos)));
      else b = 0;
      block[i] = b;
    }
    uint32_t w[80];
    for (int i = 0; i < 16; i++)
      w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
             (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
    for (int i = 16; i < 80; i++) w[i] = rol32(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (int i = 0; i < 80; i++) {
      uint32_t f, k;
      if (i < 20) f = (b & c) | (~b & d), k = 0x5A827999;
      else if (i < 40) f = b ^ c ^ d, k = 0x6ED9EBA1;
      else if (i < 60) f = (b & c) | (b & d) | (c & d), k = 0x8F1BBCDC;
      else f = b ^ c ^ d, k = 0xCA62C1D6;
      uint32_t t = rol32(a, 5) + f + e + k + w[i];
      e = d, d = c, c = rol32(b, 30), b = a, a = t;
    }
    h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e;
  }
  for (int i = 0; i < 5; i++) {
    out[4 * i] = (uint8_t)(h[i] >> 24);
    out[4 * i + 1] = (uint8_t)(h[i] >> 16);
    out[4 * i + 2] = (uint8_t)(h[i] >> 8);
    out[4 * i + 3] = (uint8_t)h[i];
  }
}

static void base64(const uint8_t *in, size_t len, char *out) {
  static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  size_t o = 0;
  for (size_t i = 0; i < len; i += 3) {
    uint32_t v = (uint32_t)in[i] << 16;
    if (i + 1 < len) v |= (uint32_t)in[i + 1] << 8;
    if (i + 2 < len) v |= in[i + 2];
    out[o++] = t[(v >> 18) & 63];
    out[o++] = t[(v >> 12) & 63];
    out[o++] = i + 1 < len ? t[(v >> 6) & 63] : '=';
    out[o++] = i + 2 < len ? t[v & 63] : '=';
  }
  out[o] = 0;
}

/* ------------------------------------------------------------ connections */

enum { ST_FREE, ST_CONNECTING, ST_HANDSHAKE, ST_OPEN, ST_CLOSED };

typedef struct conn {
  int fd;
  uint8_t state;
  uint8_t publisher;
  uint8_t in_frame;  /* inside a frame's payload */
  uint8_t in_msg;    /* inside a fragmented data message */
  uint8_t cur_op;
  uint8_t cur_fin;
  uint8_t hdr_len;   /* bytes of an incomplete frame header kept */
  uint8_t ctrl_len;
  uint8_t pong_seen;
  uint8_t close_sent;
  uint8_t msg_rsv1;  /* the current message is compressed */
  uint8_t msg_op;    /* the current message's opcode (its first frame's) */
  uint8_t pmd_on;    /* permessage-deflate agreed */
  uint8_t pmd_server_nct; /* ... with server_no_context_takeover */
  uint8_t pmd_client_bits; /* ... and this client_max_window_bits */
  uint8_t hdr[14];
  uint8_t msg_head[16]; /* first 16 bytes of the current message */
  uint8_t ctrl[125];
  uint64_t remaining; /* payload bytes left in the current frame */
  uint64_t msg_len;
  uint32_t id;
  int64_t hs_start;
  char accept[32];
  char *hs;           /* handshake response so far */
  uint32_t hs_len;
  uint8_t *out;       /* bytes not yet written */
  size_t out_off, out_len, out_cap;
  uint64_t seq_sent, seq_recv;
  int64_t *send_times; /* echo: ring of K send times */
  uint64_t delivered;  /* bcast: messages received in the window */
  uint8_t *mbuf;       /* json or compressed: the current message's payload */
  size_t mbuf_len, mbuf_cap;
  pmd_inflater_t *inflater; /* created at the first compressed message */
} conn_t;

static conn_t *conns;
static int conn_total;    /* slots allocated */
static int open_target;   /* connections to open in this phase */
static int next_open;     /* next slot to open */
static int hs_in_flight;
static int n_open;        /* currently open */
static int n_opened;      /* ever opened */
static int n_failed;      /* connect or handshake failed */
static int n_closed;      /* closed after opening (by the server or an error) */
static int n_protocol;    /* protocol violations seen */
static int n_deflate_agreed, n_deflate_declined;
static char first_extension[256]; /* the first 101's Sec-WebSocket-Extensions */
static bool extension_seen;
static int n_extension_differs; /* answers unlike the first one */
static char first_error[200];
static int ep;

#define RBUF_CAP (256 * 1024)
static uint8_t *rbuf;
static uint8_t *payload_tpl;
/* json: the message being inflated or checked (room for size + 1 bytes). */
static uint8_t *inflated;
/* json + deflate: the echo messages compressed, per client window (8..15). */
static uint8_t *ztpl[16][CHAT_TEMPLATES];
static long ztpl_len[16][CHAT_TEMPLATES];
static pmd_deflater_t deflater;
static uint8_t *zout; /* the publisher's compressed message */
static uint64_t n_rsv1_msgs, n_plain_msgs, n_inflated, n_cache_hits;

/* Measurement. */
enum { PH_CONNECT, PH_WARMUP, PH_MEASURE, PH_SETTLE, PH_CHECK, PH_DONE };
static int phase = PH_CONNECT;
static int64_t t_start, t_phase_end, t_measure_start, t_measure_end;
static int64_t t_open_first, t_open_last;
static int64_t cpu_start, cpu_end, sys_start, sys_end, srv_cpu_start, srv_cpu_end;
static int64_t busy_start, busy_end;
static uint64_t m_msgs, m_bytes;
/* Bytes on the wire during the measurement: into the receivers (bcast: the
 * subscribers), out of the senders (bcast: the publisher), and the data
 * messages those senders wrote. */
static uint64_t m_wire_in, m_wire_out, m_sent;
static uint64_t pub_outstanding, pub_sent, pub_back;
static long rss_before = -1, rss_after = -1, rss_checked = -1;
static int pongs;
static bool measuring;

static void note_error(const char *fmt, const char *detail) {
  if (first_error[0]) return;
  snprintf(first_error, sizeof first_error, fmt, detail);
}

static void conn_close(conn_t *c) {
  if (c->fd >= 0) close(c->fd);
  c->fd = -1;
  free(c->out);
  c->out = NULL;
  c->out_cap = c->out_len = c->out_off = 0;
  free(c->hs);
  c->hs = NULL;
  free(c->mbuf);
  c->mbuf = NULL;
  c->mbuf_len = c->mbuf_cap = 0;
  if (c->inflater) {
    pmd_inflater_end(c->inflater);
    free(c->inflater);
    c->inflater = NULL;
  }
}

/* A connection ended: before its handshake completed (failed) or after. */
static void conn_lost(conn_t *c, const char *why) {
  if (c->state == ST_CLOSED || c->state == ST_FREE) return;
  if (c->state == ST_OPEN) {
    n_open--;
    if (phase != PH_DONE) {
      n_closed++;
      note_error("Connection lost: %s", why);
    }
  } else {
    hs_in_flight--;
    n_failed++;
    note_error("Connection failed: %s", why);
  }
  c->state = ST_CLOSED;
  conn_close(c);
}

static void protocol_error(conn_t *c, const char *why) {
  n_protocol++;
  note_error("Protocol error: %s", why);
  conn_lost(c, why);
}

static uint8_t *out_reserve(conn_t *c, size_t n) {
  if (c->out_off > 0 && c->out_off == c->out_len) c->out_off = c->out_len = 0;
  if (c->out_len + n > c->out_cap) {
    if (c->out_off > 0) {
      memmove(c->out, c->out + c->out_off, c->out_len - c->out_off);
      c->out_len -= c->out_off;
      c->out_off = 0;
    }
    if (c->out_len + n > c->out_cap) {
      size_t cap = c->out_cap ? c->out_cap : 256;
      while (cap < c->out_len + n) cap *= 2;
      uint8_t *p = realloc(c->out, cap);
      if (!p) {
        fprintf(stderr, "bench_client: out of memory\n");
        exit(2);
      }
      c->out = p;
      c->out_cap = cap;
    }
  }
  uint8_t *p = c->out + c->out_len;
  c->out_len += n;
  return p;
}

/* Appends one masked frame (RFC 6455 §5.3: every client frame is masked),
 * with RSV1 when `compressed` (RFC 7692 §6: the first frame of a compressed
 * message; every message here is one frame). */
static void frame_append_rsv(conn_t *c, int opcode, bool compressed, const uint8_t *src,
                             size_t len) {
  size_t hl = len < 126 ? 2 : len < 65536 ? 4 : 10;
  uint8_t *p = out_reserve(c, hl + 4 + len);
  p[0] = (uint8_t)(0x80 | (compressed ? 0x40 : 0) | opcode);
  if (len < 126) {
    p[1] = (uint8_t)(0x80 | len);
  } else if (len < 65536) {
    p[1] = 0x80 | 126;
    p[2] = (uint8_t)(len >> 8);
    p[3] = (uint8_t)len;
  } else {
    p[1] = 0x80 | 127;
    for (int i = 0; i < 8; i++) p[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
  }
  uint32_t m32 = (uint32_t)rng_next();
  uint8_t *mk = p + hl;
  memcpy(mk, &m32, 4);
  uint8_t *dst = mk + 4;
  uint64_t m64 = (uint64_t)m32 | ((uint64_t)m32 << 32);
  size_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w;
    memcpy(&w, src + i, 8);
    w ^= m64;
    memcpy(dst + i, &w, 8);
  }
  for (; i < len; i++) dst[i] = src[i] ^ mk[i & 3];
}

static void frame_append(conn_t *c, int opcode, const uint8_t *src, size_t len) {
  frame_append_rsv(c, opcode, false, src, len);
}

static void flush(conn_t *c) {
  while (c->out_off < c->out_len) {
    ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off, MSG_NOSIGNAL);
    if (n > 0) {
      if (measuring && (opt.mode != M_BCAST || c->publisher)) m_wire_out += (uint64_t)n;
      c->out_off += (size_t)n;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return; /* EPOLLOUT */
    conn_lost(c, n < 0 ? strerror(errno) : "write returned 0");
    return;
  }
  c->out_off = c->out_len = 0;
}

static void fatal(const char *why) {
  fprintf(stderr, "bench_client: %s\n", why);
  exit(2);
}

/* The echo messages compressed for a client window of `bits`, once. */
static void compress_templates(int bits) {
  if (ztpl[bits][0]) return;
  size_t cap = pmd_bound((size_t)opt.size);
  for (int k = 0; k < CHAT_TEMPLATES; k++) {
    ztpl[bits][k] = malloc(cap);
    if (!ztpl[bits][k]) fatal("out of memory");
    ztpl_len[bits][k] =
        pmd_compress(&deflater, bits, chat_template(k), (size_t)opt.size, ztpl[bits][k], cap);
    if (ztpl_len[bits][k] < 0) fatal("cannot compress a message with zlib");
  }
}

static void send_echo(conn_t *c) {
  uint64_t seq = c->seq_sent++;
  c->send_times[seq % (uint64_t)opt.inflight] = now_cached;
  if (measuring) m_sent++;
  if (opt.payload == P_JSON) {
    /* The messages of a connection go round the templates in order. */
    int k = (int)((c->id + seq) % CHAT_TEMPLATES);
    if (c->pmd_on) {
      int bits = c->pmd_client_bits;
      frame_append_rsv(c, 1, true, ztpl[bits][k], (size_t)ztpl_len[bits][k]);
    } else {
      frame_append(c, 1, chat_template(k), (size_t)opt.size);
    }
    return;
  }
  memcpy(payload_tpl, &seq, 8);
  memcpy(payload_tpl + 8, &c->id, 4);
  frame_append(c, 2, payload_tpl, (size_t)opt.size);
}

static void publish_more(conn_t *c) {
  while (pub_outstanding < (uint64_t)opt.outstanding) {
    int64_t t = now_cached;
    if (measuring) m_sent++;
    if (opt.payload == P_JSON) {
      chat_stamp(payload_tpl, pub_sent, t);
      if (c->pmd_on) {
        size_t cap = pmd_bound((size_t)opt.size);
        long n = pmd_compress(&deflater, c->pmd_client_bits, payload_tpl, (size_t)opt.size,
                              zout, cap);
        if (n < 0) fatal("cannot compress a message with zlib");
        frame_append_rsv(c, 1, true, zout, (size_t)n);
      } else {
        frame_append(c, 1, payload_tpl, (size_t)opt.size);
      }
    } else {
      memcpy(payload_tpl, &t, 8);
      memcpy(payload_tpl + 8, &pub_sent, 8);
      frame_append(c, 2, payload_tpl, (size_t)opt.size);
    }
    pub_sent++;
    pub_outstanding++;
  }
}

static void on_open(conn_t *c) {
  if (opt.mode == M_ECHO) {
    for (int i = 0; i < opt.inflight; i++) send_echo(c);
  }
}

/* The message just completed (json runs and compressed messages): its
 * payload, inflated when it came with RSV1; NULL after a protocol error. */
static const uint8_t *message_bytes(conn_t *c, size_t *len) {
  if (!c->msg_rsv1) {
    *len = c->mbuf_len;
    return c->mbuf;
  }
  bool takeover = !c->pmd_server_nct;
  if (!takeover) {
    const uint8_t *hit = pmd_cache_find(c->mbuf, c->mbuf_len, len);
    if (hit) {
      n_cache_hits++;
      return hit;
    }
  }
  if (!c->inflater) {
    c->inflater = calloc(1, sizeof *c->inflater);
    if (!c->inflater) fatal("out of memory");
  }
  const char *why = "inflate failed";
  long n = pmd_inflate(c->inflater, takeover, c->mbuf, c->mbuf_len, inflated,
                       (size_t)opt.size, &why);
  if (n < 0) {
    protocol_error(c, why);
    return NULL;
  }
  n_inflated++;
  if (!takeover) pmd_cache_put(c->mbuf, c->mbuf_len, inflated, (size_t)n);
  *len = (size_t)n;
  return inflated;
}

/* A json message: an echo equals the template sent (in order), a broadcast
 * the message published next. */
static void on_json_message(conn_t *c, int opcode, const uint8_t *m, size_t len) {
  int64_t t = now_cached;
  if (opcode != 1) {
    protocol_error(c, "a binary message where text was sent");
    return;
  }
  if (opt.mode == M_ECHO) {
    uint64_t seq = c->seq_recv;
    int k = (int)((c->id + seq) % CHAT_TEMPLATES);
    if (seq >= c->seq_sent || len != (size_t)opt.size ||
        memcmp(m, chat_template(k), len) != 0) {
      protocol_error(c, "echo does not match the message sent");
      return;
    }
    int64_t sent = c->send_times[seq % (uint64_t)opt.inflight];
    c->seq_recv++;
    if (measuring) {
      m_msgs++;
      m_bytes += len;
      hist_record(t - sent);
    }
    if (phase != PH_DONE) send_echo(c);
  } else if (opt.mode == M_BCAST) {
    int64_t sent = 0;
    if (!chat_check_stamped(m, len, c->seq_recv, &sent)) {
      protocol_error(c, "broadcast message unlike the one published next");
      return;
    }
    c->seq_recv++;
    if (c->publisher) {
      if (pub_outstanding > 0) pub_outstanding--;
      pub_back++;
      if (phase != PH_DONE) publish_more(c);
    } else if (measuring) {
      m_msgs++;
      m_bytes += len;
      c->delivered++;
      hist_record(t - sent);
    }
  }
}

static void on_message(conn_t *c, int opcode, uint64_t len) {
  if (c->msg_rsv1) n_rsv1_msgs++;
  else n_plain_msgs++;
  if (opt.payload == P_JSON || c->msg_rsv1) {
    size_t mlen = 0;
    const uint8_t *m = message_bytes(c, &mlen);
    c->mbuf_len = 0;
    if (!m) return;
    if (opt.payload == P_JSON) return on_json_message(c, opcode, m, mlen);
    /* Binary payloads are never compressed by this client, and idle runs
     * expect no message: only the length counts below. */
    len = mlen;
    memcpy(c->msg_head, m, mlen < 16 ? mlen : 16);
  }
  int64_t t = now_cached;
  switch (opt.mode) {
    case M_ECHO: {
      uint64_t seq = 0;
      if (len >= 8) memcpy(&seq, c->msg_head, 8);
      if (len != (uint64_t)opt.size || seq != c->seq_recv) {
        protocol_error(c, "echo does not match the message sent");
        return;
      }
      int64_t sent = c->send_times[seq % (uint64_t)opt.inflight];
      c->seq_recv++;
      if (measuring) {
        m_msgs++;
        m_bytes += len;
        hist_record(t - sent);
      }
      if (phase != PH_DONE) send_echo(c);
      break;
    }
    case M_BCAST: {
      if (len != (uint64_t)opt.size) {
        protocol_error(c, "broadcast message of the wrong size");
        return;
      }
      if (c->publisher) {
        if (pub_outstanding > 0) pub_outstanding--;
        pub_back++;
        if (phase != PH_DONE) publish_more(c);
      } else {
        int64_t sent;
        memcpy(&sent, c->msg_head, 8);
        if (measuring) {
          m_msgs++;
          m_bytes += len;
          c->delivered++;
          hist_record(t - sent);
        }
      }
      break;
    }
    default:
      break; /* idle: nothing is expected */
  }
}

static void on_control(conn_t *c, int opcode) {
  if (opcode == 0x9) { /* RFC 6455 §5.5.2: answer a ping with a pong */
    frame_append(c, 0xA, c->ctrl, c->ctrl_len);
  } else if (opcode == 0xA) {
    if (!c->pong_seen) {
      c->pong_seen = 1;
      pongs++;
    }
  } else if (opcode == 0x8) {
    char why[64];
    int code = c->ctrl_len >= 2 ? (c->ctrl[0] << 8 | c->ctrl[1]) : 1005;
    snprintf(why, sizeof why, "close frame %d from the server", code);
    if (!c->close_sent) {
      c->close_sent = 1;
      frame_append(c, 0x8, c->ctrl, c->ctrl_len >= 2 ? 2 : 0);
      flush(c);
    }
    conn_lost(c, why);
  }
}

/* Keeps a piece of the current message's payload (json runs, compressed
 * messages), within what the message may be: its size, or for compressed
 * bytes a bound no honest DEFLATE stream of that size exceeds. */
static bool keep_payload(conn_t *c, const uint8_t *p, size_t n) {
  size_t limit = c->msg_rsv1 ? 2 * (size_t)opt.size + 1024 : (size_t)opt.size;
  if (c->mbuf_len + n > limit) {
    protocol_error(c, c->msg_rsv1 ? "compressed message far longer than the message sent"
                                  : "message longer than the message sent");
    return false;
  }
  if (c->mbuf_len + n > c->mbuf_cap) {
    size_t cap = c->mbuf_cap ? c->mbuf_cap : 512;
    while (cap < c->mbuf_len + n) cap *= 2;
    uint8_t *q = realloc(c->mbuf, cap);
    if (!q) fatal("out of memory");
    c->mbuf = q;
    c->mbuf_cap = cap;
  }
  memcpy(c->mbuf + c->mbuf_len, p, n);
  c->mbuf_len += n;
  return true;
}

/* Consumes server frames from p[0..n) as a stream. */
static void parse(conn_t *c, const uint8_t *p, size_t n) {
  size_t i = 0;
  while (i < n) {
    if (!c->in_frame) {
      size_t avail = n - i;
      if (avail < 2) goto save;
      uint8_t b0 = p[i], b1 = p[i + 1];
      size_t hl = 2;
      uint64_t len = b1 & 0x7f;
      if (b1 & 0x80) return protocol_error(c, "masked server frame");
      /* RFC 6455 §5.2: RSV2 and RSV3 mean nothing here; RSV1 only with
       * permessage-deflate, on a data message's first frame (RFC 7692 §6). */
      if (b0 & 0x30) return protocol_error(c, "RSV2 or RSV3 set");
      bool rsv1 = (b0 & 0x40) != 0;
      if (rsv1 && !c->pmd_on) return protocol_error(c, "RSV1 without permessage-deflate");
      if (len == 126) {
        hl = 4;
        if (avail < hl) goto save;
        len = (uint64_t)p[i + 2] << 8 | p[i + 3];
      } else if (len == 127) {
        hl = 10;
        if (avail < hl) goto save;
        len = 0;
        for (int k = 0; k < 8; k++) len = len << 8 | p[i + 2 + k];
      }
      i += hl;
      int op = b0 & 0x0f;
      c->cur_op = (uint8_t)op;
      c->cur_fin = b0 >> 7;
      c->remaining = len;
      c->in_frame = 1;
      if (op & 8) {
        if (len > 125 || !c->cur_fin) return protocol_error(c, "bad control frame");
        if (rsv1) return protocol_error(c, "RSV1 on a control frame");
        c->ctrl_len = 0;
      } else if (op == 0) {
        if (!c->in_msg) return protocol_error(c, "unexpected continuation");
        if (rsv1) return protocol_error(c, "RSV1 on a continuation frame");
      } else if (op == 1 || op == 2) {
        if (c->in_msg) return protocol_error(c, "new message inside a fragmented one");
        c->in_msg = 1;
        c->msg_len = 0;
        c->msg_rsv1 = rsv1;
        c->msg_op = (uint8_t)op;
        c->mbuf_len = 0;
      } else {
        return protocol_error(c, "unknown opcode");
      }
    }
    size_t take = n - i;
    if (take > c->remaining) take = (size_t)c->remaining;
    if (take > 0) {
      if (c->cur_op & 8) {
        memcpy(c->ctrl + c->ctrl_len, p + i, take);
        c->ctrl_len = (uint8_t)(c->ctrl_len + take);
      } else if (c->msg_rsv1 || opt.payload == P_JSON) {
        if (!keep_payload(c, p + i, take)) return;
        c->msg_len += take;
      } else {
        if (c->msg_len < 16) {
          size_t k = 16 - (size_t)c->msg_len;
          if (k > take) k = take;
          memcpy(c->msg_head + c->msg_len, p + i, k);
        }
        c->msg_len += take;
      }
      i += take;
      c->remaining -= take;
    }
    if (c->remaining == 0) {
      c->in_frame = 0;
      if (c->cur_op & 8) {
        on_control(c, c->cur_op);
      } else if (c->cur_fin) {
        c->in_msg = 0;
        on_message(c, c->msg_op, c->msg_len);
      }
      if (c->state != ST_OPEN) return;
    }
  }
  return;
save:
  c->hdr_len = (uint8_t)(n - i);
  memcpy(c->hdr, p + i, n - i);
}

static void send_handshake(conn_t *c) {
  uint8_t nonce[16];
  uint64_t a = rng_next(), b = rng_next();
  memcpy(nonce, &a, 8);
  memcpy(nonce + 8, &b, 8);
  char key[32];
  base64(nonce, 16, key);
  /* RFC 6455 §4.2.2: accept = base64(SHA-1(key + GUID)) */
  char cat[96];
  int cl = snprintf(cat, sizeof cat, "%s258EAFA5-E914-47DA-95CA-C5AB0DC85B11", key);
  uint8_t digest[20];
  sha1((const uint8_t *)cat, (size_t)cl, digest);
  base64(digest, 20, c->accept);
  char req[640], ext[160] = "";
  if (opt.deflate != PMD_OFF) {
    snprintf(ext, sizeof ext, "Sec-WebSocket-Extensions: %s\r\n", pmd_offer_header(opt.deflate));
  }
  int n = snprintf(req, sizeof req,
                   "GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                   "Connection: Upgrade\r\nSec-WebSocket-Key: %s\r\n"
                   "Sec-WebSocket-Version: 13\r\n%s\r\n",
                   c->publisher ? "/bcast" : opt.path, opt.port, key, ext);
  memcpy(out_reserve(c, (size_t)n), req, (size_t)n);
  c->state = ST_HANDSHAKE;
  flush(c);
}

static const char *find_header(const char *head, const char *name) {
  size_t nl = strlen(name);
  const char *p = strstr(head, "\r\n");
  while (p) {
    p += 2;
    if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
      p += nl + 1;
      while (*p == ' ' || *p == '\t') p++;
      return p;
    }
    p = strstr(p, "\r\n");
  }
  return NULL;
}

/* The 101's Sec-WebSocket-Extensions against the offer (RFC 7692 §7.1,
 * bench_pmd.c); false when the answer fails the connection. */
static bool accept_extensions(conn_t *c, const char *head) {
  const char *value = find_header(head, "sec-websocket-extensions");
  size_t len = value ? strcspn(value, "\r\n") : 0;
  while (len > 0 && (value[len - 1] == ' ' || value[len - 1] == '\t')) len--;
  if (value) {
    if (!extension_seen) {
      snprintf(first_extension, sizeof first_extension, "%.*s", (int)len, value);
      extension_seen = true;
    } else if (strlen(first_extension) != len || strncmp(first_extension, value, len) != 0) {
      n_extension_differs++;
    }
  }
  pmd_agreement_t agreed;
  const char *why = pmd_accept(value, len, opt.deflate, &agreed);
  if (why) {
    n_protocol++;
    conn_lost(c, why);
    return false;
  }
  if (opt.deflate != PMD_OFF && !agreed.on) n_deflate_declined++;
  if (agreed.on) {
    n_deflate_agreed++;
    c->pmd_on = 1;
    c->pmd_server_nct = agreed.server_no_context_takeover;
    c->pmd_client_bits = (uint8_t)agreed.client_max_window_bits;
    if (opt.mode == M_ECHO && opt.payload == P_JSON) compress_templates(agreed.client_max_window_bits);
  }
  return true;
}

static void handshake_data(conn_t *c, const uint8_t *p, size_t n) {
  if (c->hs_len + n > 16384) return conn_lost(c, "handshake response too large");
  char *hs = realloc(c->hs, c->hs_len + n + 1);
  if (!hs) exit(2);
  c->hs = hs;
  memcpy(hs + c->hs_len, p, n);
  c->hs_len += (uint32_t)n;
  hs[c->hs_len] = 0;
  char *end = memmem(hs, c->hs_len, "\r\n\r\n", 4);
  if (!end) return;
  size_t head_len = (size_t)(end - hs) + 4;
  end[2] = 0; /* terminate after the last header line */
  if (strncmp(hs, "HTTP/1.1 101", 12) != 0) {
    char status[48];
    snprintf(status, sizeof status, "%.*s", (int)strcspn(hs, "\r\n") < 40 ? (int)strcspn(hs, "\r\n") : 40, hs);
    return conn_lost(c, status);
  }
  const char *acc = find_header(hs, "sec-websocket-accept");
  if (!acc || strncmp(acc, c->accept, 28) != 0) {
    n_protocol++;
    return conn_lost(c, "wrong Sec-WebSocket-Accept");
  }
  if (!accept_extensions(c, hs)) return;
  c->state = ST_OPEN;
  hs_in_flight--;
  n_open++;
  n_opened++;
  int64_t t = now_ns();
  if (!t_open_first) t_open_first = t;
  t_open_last = t;
  on_open(c);
  size_t rest = c->hs_len - head_len;
  if (rest > 0 && c->state == ST_OPEN) {
    /* The server may send frames right behind its 101. */
    uint8_t *tmp = malloc(rest);
    memcpy(tmp, c->hs + head_len, rest);
    free(c->hs);
    c->hs = NULL;
    parse(c, tmp, rest);
    free(tmp);
  } else {
    free(c->hs);
    c->hs = NULL;
  }
  c->hs_len = 0;
}

static void do_read(conn_t *c, bool drain) {
  for (;;) {
    size_t pre = c->hdr_len;
    memcpy(rbuf, c->hdr, pre);
    size_t want = RBUF_CAP - pre;
    ssize_t n = read(c->fd, rbuf + pre, want);
    if (n > 0) {
      if (measuring && (opt.mode != M_BCAST || !c->publisher)) m_wire_in += (uint64_t)n;
      c->hdr_len = 0;
      if (c->state == ST_HANDSHAKE) handshake_data(c, rbuf + pre, (size_t)n);
      else parse(c, rbuf, pre + (size_t)n);
      if (c->state == ST_CLOSED) return;
      /* Edge-triggered: a short read means the socket was drained. */
      if ((size_t)n < want && !drain) return;
      continue;
    }
    if (n == 0) return conn_lost(c, "EOF from the server");
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) return;
    return conn_lost(c, strerror(errno));
  }
}

/* Local ports outside the ephemeral range (10000..32767 with the default
 * range), round robin from a random point. */
static int port_lo = 10000, port_hi = 32767, port_next = 0;

static uint16_t next_local_port(void) {
  if (port_next == 0) {
    FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "r");
    int lo = 0, hi = 0;
    if (f) {
      if (fscanf(f, "%d %d", &lo, &hi) == 2) {
        /* Room for 20,000 connections below or above the ephemeral range. */
        if (lo > 30001) port_lo = 10000, port_hi = lo - 1;
        else if (hi < 45535) port_lo = hi + 1, port_hi = 65535;
        else port_lo = 1024, port_hi = 65535;
      }
      fclose(f);
    }
    port_next = port_lo + (int)(rng_next() % (uint64_t)(port_hi - port_lo + 1));
  }
  int p = port_next++;
  if (port_next > port_hi) port_next = port_lo;
  return (uint16_t)p;
}

static void start_connect(conn_t *c) {
  c->hs_start = now_ns();
  hs_in_flight++;
  c->state = ST_CONNECTING;
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)opt.port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int err = 0;
  /* The kernel's search for a free ephemeral port gets slow (quadratic
   * overall) once most of the range is taken, which made the client, not the
   * server, the limit at 20,000 connections. So the client picks the local
   * port itself, from a range the kernel never hands out (below
   * ip_local_port_range), and moves on when one is taken. */
  for (int attempt = 0; attempt < 256; attempt++) {
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) return conn_lost(c, strerror(errno));
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    setsockopt(c->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in local = {.sin_family = AF_INET, .sin_port = htons(next_local_port())};
    local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(c->fd, (struct sockaddr *)&local, sizeof local) < 0) {
      err = errno;
      close(c->fd);
      c->fd = -1;
      continue;
    }
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0 && errno != EINPROGRESS) {
      err = errno;
      close(c->fd);
      c->fd = -1;
      if (err == EADDRINUSE || err == EADDRNOTAVAIL) continue;
      break;
    }
    err = 0;
    break;
  }
  if (c->fd < 0) {
    char why[96];
    snprintf(why, sizeof why, "connect: %s", strerror(err));
    return conn_lost(c, why);
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.ptr = c};
  if (epoll_ctl(ep, EPOLL_CTL_ADD, c->fd, &ev) < 0) return conn_lost(c, strerror(errno));
  /* Completion is reported by EPOLLOUT. */
}

static void open_more(void) {
  while (hs_in_flight < opt.handshakes && next_open < open_target) {
    start_connect(&conns[next_open++]);
  }
}

static void on_event(conn_t *c, uint32_t events) {
  now_cached = now_ns();
  if (c->state == ST_CONNECTING) {
    if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP))) return;
    int err = 0;
    socklen_t el = sizeof err;
    getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
    if (err || (events & (EPOLLERR | EPOLLHUP))) {
      char why[96];
      snprintf(why, sizeof why, "connect: %s", strerror(err ? err : ECONNRESET));
      return conn_lost(c, why);
    }
    send_handshake(c);
    if (c->state == ST_CLOSED) return;
  }
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
    do_read(c, (events & (EPOLLRDHUP | EPOLLHUP | EPOLLERR)) != 0);
    if (c->state == ST_CLOSED) return;
  }
  if (c->out_len > c->out_off) flush(c);
}

static void check_handshake_timeouts(int64_t t) {
  for (int i = 0; i < next_open; i++) {
    conn_t *c = &conns[i];
    if ((c->state == ST_CONNECTING || c->state == ST_HANDSHAKE) &&
        t - c->hs_start > (int64_t)opt.hs_timeout_ms * 1000000) {
      conn_lost(c, "handshake timed out");
    }
  }
}

/* ------------------------------------------------------------ main */

static int arg_int(const char *s, const char *name) {
  char *end;
  long v = strtol(s, &end, 10);
  if (*end || v < 0 || v > 2000000000) {
    fprintf(stderr, "bench_client: bad value for %s: %s\n", name, s);
    exit(2);
  }
  return (int)v;
}

static void usage(void) {
  fprintf(stderr,
          "usage: bench_client --mode echo|bcast|idle|maxconn --port P [--path /echo]\n"
          "  [--conns N] [--inflight K] [--size BYTES] [--warmup MS] [--duration MS]\n"
          "  [--handshakes H] [--settle MS] [--timeout MS] [--hs-timeout MS]\n"
          "  [--check-timeout MS] [--server-pid PID] [--outstanding N]\n"
          "  [--payload binary|json] [--deflate off|browser|no-context-takeover]\n");
  exit(2);
}

static void start_measure(int64_t t) {
  phase = PH_MEASURE;
  measuring = true;
  m_msgs = m_bytes = 0;
  m_wire_in = m_wire_out = m_sent = 0;
  memset(hist, 0, sizeof hist);
  hist_count = 0;
  for (int i = 0; i < conn_total; i++) conns[i].delivered = 0;
  t_measure_start = t;
  t_phase_end = t + (int64_t)opt.duration_ms * 1000000;
  cpu_start = cpu_ns(&sys_start);
  srv_cpu_start = server_cpu_ns();
  busy_start = machine_busy_ns();
}

static void stop_measure(int64_t t) {
  measuring = false;
  t_measure_end = t;
  cpu_end = cpu_ns(&sys_end);
  srv_cpu_end = server_cpu_ns();
  busy_end = machine_busy_ns();
  phase = PH_DONE;
}

static void json_str(const char *s) {
  putchar('"');
  for (; *s; s++) {
    unsigned char ch = (unsigned char)*s;
    if (ch == '"' || ch == '\\') printf("\\%c", ch);
    else if (ch < 0x20) printf("\\u%04x", ch);
    else putchar(ch);
  }
  putchar('"');
}

static void num(const char *name, double v) {
  if (v < 0 || v != v) printf(",\"%s\":null", name);
  else printf(",\"%s\":%.6g", name, v);
}

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (i + 1 >= argc) usage();
    const char *v = argv[++i];
    if (!strcmp(a, "--mode")) {
      opt.mode_name = v;
      if (!strcmp(v, "echo")) opt.mode = M_ECHO;
      else if (!strcmp(v, "bcast")) opt.mode = M_BCAST;
      else if (!strcmp(v, "idle")) opt.mode = M_IDLE;
      else if (!strcmp(v, "maxconn")) opt.mode = M_MAXCONN;
      else usage();
    } else if (!strcmp(a, "--port")) opt.port = arg_int(v, a);
    else if (!strcmp(a, "--path")) opt.path = v;
    else if (!strcmp(a, "--conns")) opt.conns = arg_int(v, a);
    else if (!strcmp(a, "--inflight")) opt.inflight = arg_int(v, a);
    else if (!strcmp(a, "--size")) opt.size = arg_int(v, a);
    else if (!strcmp(a, "--warmup")) opt.warmup_ms = arg_int(v, a);
    else if (!strcmp(a, "--duration")) opt.duration_ms = arg_int(v, a);
    else if (!strcmp(a, "--handshakes")) opt.handshakes = arg_int(v, a);
    else if (!strcmp(a, "--settle")) opt.settle_ms = arg_int(v, a);
    else if (!strcmp(a, "--timeout")) opt.timeout_ms = arg_int(v, a);
    else if (!strcmp(a, "--hs-timeout")) opt.hs_timeout_ms = arg_int(v, a);
    else if (!strcmp(a, "--check-timeout")) opt.check_timeout_ms = arg_int(v, a);
    else if (!strcmp(a, "--server-pid")) opt.server_pid = arg_int(v, a);
    else if (!strcmp(a, "--outstanding")) opt.outstanding = arg_int(v, a);
    else if (!strcmp(a, "--payload")) {
      if (!strcmp(v, "binary")) opt.payload = P_BINARY;
      else if (!strcmp(v, "json")) opt.payload = P_JSON;
      else usage();
    } else if (!strcmp(a, "--deflate")) {
      opt.deflate = pmd_offer_parse(v);
      if (opt.deflate < 0) usage();
    } else usage();
  }
  if (opt.port <= 0 || opt.port > 65535 || opt.conns < 1 || opt.inflight < 1 ||
      opt.handshakes < 1 || opt.outstanding < 1) usage();
  if (!opt.path) opt.path = opt.mode == M_BCAST ? "/bcast" : "/echo";
  bool traffic = opt.mode == M_ECHO || opt.mode == M_BCAST;
  if (traffic && opt.payload == P_JSON && opt.size < CHAT_MIN_SIZE) {
    fprintf(stderr, "bench_client: --payload json needs --size %d or more\n", CHAT_MIN_SIZE);
    exit(2);
  }
  if (traffic && opt.deflate != PMD_OFF && opt.payload != P_JSON) {
    fprintf(stderr, "bench_client: --deflate needs --payload json in the %s mode\n",
            opt.mode_name);
    exit(2);
  }
  if (traffic && opt.size < 16) opt.size = 16;
  if (!traffic) opt.size = 0, opt.payload = P_BINARY;

  signal(SIGPIPE, SIG_IGN);
  struct rlimit rl;
  getrlimit(RLIMIT_NOFILE, &rl);
  rl.rlim_cur = rl.rlim_max;
  setrlimit(RLIMIT_NOFILE, &rl);
  getrlimit(RLIMIT_NOFILE, &rl);
  int want = opt.conns + (opt.mode == M_BCAST ? 1 : 0);
  int clamped = 0;
  if ((rlim_t)want + 16 > rl.rlim_cur) {
    clamped = want;
    want = (int)rl.rlim_cur - 16;
    opt.conns = want - (opt.mode == M_BCAST ? 1 : 0);
  }

  if (getrandom(&rng_state, sizeof rng_state, 0) != sizeof rng_state || rng_state == 0) {
    rng_state = (uint64_t)now_ns() | 1;
  }
  rbuf = malloc(RBUF_CAP);
  payload_tpl = malloc((size_t)opt.size + 16);
  for (int i = 0; i < opt.size + 16; i++) payload_tpl[i] = (uint8_t)('a' + i % 26);
  conn_total = want;
  conns = calloc((size_t)conn_total, sizeof(conn_t));
  inflated = malloc((size_t)opt.size + 16);
  zout = malloc(pmd_bound((size_t)opt.size));
  if (!rbuf || !payload_tpl || !conns || !inflated || !zout) return 2;
  if (opt.payload == P_JSON && !chat_init(opt.size)) fatal("cannot build the JSON messages");
  for (int i = 0; i < conn_total; i++) {
    conns[i].fd = -1;
    conns[i].id = (uint32_t)i;
    if (opt.mode == M_ECHO) conns[i].send_times = calloc((size_t)opt.inflight, sizeof(int64_t));
  }
  if (opt.mode == M_BCAST) conns[opt.conns].publisher = 1;

  ep = epoll_create1(EPOLL_CLOEXEC);
  t_start = now_ns();
  int64_t deadline = t_start + (int64_t)opt.timeout_ms * 1000000;
  rss_before = server_rss_kib();
  open_target = opt.conns; /* bcast: the publisher comes after */
  bool publisher_started = false;
  const char *timeout_phase = NULL;
  int64_t last_scan = t_start;
  struct epoll_event events[1024];

  open_more();
  while (phase != PH_DONE) {
    int64_t t = now_ns();
    int wait_ms = 100;
    if (phase == PH_WARMUP || phase == PH_MEASURE || phase == PH_SETTLE || phase == PH_CHECK) {
      int64_t left = (t_phase_end - t) / 1000000;
      if (left < wait_ms) wait_ms = left < 0 ? 0 : (int)left + 1;
    }
    int n = epoll_wait(ep, events, 1024, wait_ms);
    if (n < 0 && errno != EINTR) {
      note_error("epoll_wait: %s", strerror(errno));
      break;
    }
    for (int i = 0; i < n; i++) on_event(events[i].data.ptr, events[i].events);
    t = now_ns();

    if (phase == PH_CONNECT) {
      if (t - last_scan > 100000000) {
        check_handshake_timeouts(t);
        last_scan = t;
      }
      open_more();
      /* A server that fails a whole first batch of handshakes is not going
       * to accept the rest: stop instead of waiting out every timeout. */
      int batch = opt.handshakes < open_target ? opt.handshakes : open_target;
      if (n_opened == 0 && n_failed >= batch) {
        note_error("%s", "No connection could be opened");
        break;
      }
      if (next_open == open_target && hs_in_flight == 0) {
        if (opt.mode == M_BCAST && !publisher_started) {
          publisher_started = true;
          if (n_open == 0) break;
          open_target = opt.conns + 1;
          open_more();
          continue;
        }
        if (n_open == 0) {
          note_error("%s", "No connection could be opened");
          break;
        }
        if (opt.mode == M_ECHO || opt.mode == M_BCAST) {
          if (opt.mode == M_BCAST && conns[opt.conns].state != ST_OPEN) {
            note_error("%s", "The publisher could not connect");
            break;
          }
          if (opt.mode == M_BCAST) {
            now_cached = t;
            publish_more(&conns[opt.conns]);
            flush(&conns[opt.conns]);
          }
          phase = PH_WARMUP;
          t_phase_end = t + (int64_t)opt.warmup_ms * 1000000;
          if (opt.warmup_ms == 0) start_measure(t);
        } else {
          phase = PH_SETTLE;
          t_phase_end = t + (int64_t)opt.settle_ms * 1000000;
        }
      }
    } else if (phase == PH_WARMUP) {
      if (t >= t_phase_end) start_measure(t);
    } else if (phase == PH_MEASURE) {
      if (t >= t_phase_end) stop_measure(t);
    } else if (phase == PH_SETTLE) {
      if (t >= t_phase_end) {
        rss_after = server_rss_kib();
        /* Is every connection still there? Ping each one (RFC 6455 §5.5.2). */
        static const uint8_t chk[4] = {'c', 'h', 'k', '!'};
        for (int i = 0; i < conn_total; i++) {
          conn_t *c = &conns[i];
          if (c->state != ST_OPEN) continue;
          frame_append(c, 0x9, chk, sizeof chk);
          flush(c);
        }
        phase = PH_CHECK;
        t_phase_end = t + (int64_t)opt.check_timeout_ms * 1000000;
      }
    } else if (phase == PH_CHECK) {
      if (pongs >= n_open || t >= t_phase_end) {
        phase = PH_DONE;
        rss_checked = server_rss_kib(); /* after one ping on every connection */
      }
    }
    if ((opt.mode == M_ECHO || opt.mode == M_BCAST) && phase != PH_CONNECT && n_open == 0) {
      note_error("%s", "Every connection was lost");
      break;
    }
    if (t > deadline && phase != PH_DONE) {
      static const char *names[] = {"connect", "warmup", "measure", "settle", "check", "done"};
      timeout_phase = names[phase];
      break;
    }
  }
  if (measuring) stop_measure(now_ns());
  if (timeout_phase) {
    char why[64];
    snprintf(why, sizeof why, "Timed out in the %s phase", timeout_phase);
    first_error[0] = 0;
    note_error("%s", why);
  }

  double secs = t_measure_end > t_measure_start ? (double)(t_measure_end - t_measure_start) / 1e9 : 0;
  printf("{\"mode\":");
  json_str(opt.mode_name);
  printf(",\"port\":%d,\"path\":", opt.port);
  json_str(opt.path);
  printf(",\"conns\":%d,\"inflight\":%d,\"size\":%d", opt.conns, opt.inflight, opt.size);
  if (clamped) printf(",\"requested_conns\":%d", clamped);
  printf(",\"opened\":%d,\"failed\":%d,\"lost\":%d,\"protocol_errors\":%d", n_opened, n_failed,
         n_closed, n_protocol);
  if (opt.mode == M_ECHO || opt.mode == M_BCAST) {
    num("seconds", secs);
    printf(",\"msgs\":%llu", (unsigned long long)m_msgs);
    num("msgs_per_s", secs > 0 ? (double)m_msgs / secs : -1);
    num("mb_per_s", secs > 0 ? (double)m_bytes / secs / 1e6 : -1);
    num("p50_us", hist_quantile_us(0.50));
    num("p99_us", hist_quantile_us(0.99));
    printf(",\"sent\":%llu,\"wire_in_bytes\":%llu,\"wire_out_bytes\":%llu",
           (unsigned long long)m_sent, (unsigned long long)m_wire_in,
           (unsigned long long)m_wire_out);
    num("wire_in_per_msg", m_msgs > 0 ? (double)m_wire_in / (double)m_msgs : -1);
    num("wire_out_per_msg", m_sent > 0 ? (double)m_wire_out / (double)m_sent : -1);
    num("client_cpu_pct", secs > 0 ? (double)(cpu_end - cpu_start) / 1e7 / secs : -1);
    num("client_sys_pct", secs > 0 ? (double)(sys_end - sys_start) / 1e7 / secs : -1);
    num("server_cpu_pct", secs > 0 && srv_cpu_start >= 0 && srv_cpu_end >= 0
                              ? (double)(srv_cpu_end - srv_cpu_start) / 1e7 / secs
                              : -1);
    if (secs > 0 && busy_start >= 0 && busy_end >= 0 && srv_cpu_start >= 0 && srv_cpu_end >= 0) {
      /* CPU taken by everything else on the machine (other processes, and
       * interrupt time not charged to a process), in % of one core. */
      double other = (double)((busy_end - busy_start) - (cpu_end - cpu_start) -
                              (srv_cpu_end - srv_cpu_start)) / 1e7 / secs;
      printf(",\"other_cpu_pct\":%.3g", other < 0 ? 0.0 : other);
    }
    if (opt.mode == M_BCAST) {
      uint64_t lo = UINT64_MAX, hi = 0;
      int starved = 0;
      for (int i = 0; i < opt.conns; i++) {
        if (conns[i].state != ST_OPEN) continue;
        if (conns[i].delivered == 0) starved++;
        if (conns[i].delivered < lo) lo = conns[i].delivered;
        if (conns[i].delivered > hi) hi = conns[i].delivered;
      }
      printf(",\"published\":%llu,\"publisher_received\":%llu",
             (unsigned long long)pub_sent, (unsigned long long)pub_back);
      printf(",\"per_subscriber_min\":%llu,\"per_subscriber_max\":%llu,\"starved_subscribers\":%d",
             (unsigned long long)(lo == UINT64_MAX ? 0 : lo), (unsigned long long)hi, starved);
    }
  } else {
    double hs_secs = t_open_last > t_open_first ? (double)(t_open_last - t_open_first) / 1e9 : 0;
    num("handshakes_per_s", hs_secs > 0 ? (double)n_opened / hs_secs : -1);
    printf(",\"alive\":%d,\"rss_checked_kib\":%ld", pongs, rss_checked);
  }
  printf(",\"payload\":\"%s\",\"deflate\":\"%s\",\"extension\":",
         opt.payload == P_JSON ? "json" : "binary", pmd_offer_name(opt.deflate));
  if (extension_seen) json_str(first_extension);
  else printf("null");
  printf(",\"extension_differs\":%d,\"deflate_agreed\":%d,\"deflate_declined\":%d",
         n_extension_differs, n_deflate_agreed, n_deflate_declined);
  printf(",\"rsv1_msgs\":%llu,\"plain_msgs\":%llu,\"inflated\":%llu,\"inflate_cache_hits\":%llu",
         (unsigned long long)n_rsv1_msgs, (unsigned long long)n_plain_msgs,
         (unsigned long long)n_inflated, (unsigned long long)n_cache_hits);
  printf(",\"rss_before_kib\":%ld,\"rss_after_kib\":%ld", rss_before,
         rss_after >= 0 ? rss_after : server_rss_kib());
  printf(",\"error\":");
  if (first_error[0]) json_str(first_error);
  else printf("null");
  printf("}\n");
  fflush(stdout);
  return 0;
}
