/*
 * bench_pmd: permessage-deflate (RFC 7692) for the load client, on zlib
 * (see bench_pmd.h).
 */
#include "bench_pmd.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ------------------------------------------------------------ negotiation */

static const char *const OFFER_NAMES[] = {"off", "browser", "no-context-takeover"};

const char *pmd_offer_name(int offer) { return OFFER_NAMES[offer]; }

int pmd_offer_parse(const char *name) {
  for (int i = 0; i < 3; i++) {
    if (strcmp(name, OFFER_NAMES[i]) == 0) return i;
  }
  return -1;
}

const char *pmd_offer_header(int offer) {
  switch (offer) {
    case PMD_BROWSER:
      return "permessage-deflate; client_max_window_bits";
    case PMD_NO_CONTEXT_TAKEOVER:
      return "permessage-deflate; server_no_context_takeover; client_no_context_takeover; "
             "client_max_window_bits";
    default:
      return "";
  }
}

/* RFC 7230 §3.2.6 tchar. */
static bool is_tchar(char ch) {
  if ((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z')) {
    return true;
  }
  return ch != 0 && strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

typedef struct cursor {
  const char *p, *end;
} cursor_t;

static void skip_ows(cursor_t *c) {
  while (c->p < c->end && (*c->p == ' ' || *c->p == '\t')) c->p++;
}

/* A token; its length (0 when there is none). */
static size_t token(cursor_t *c, const char **start) {
  *start = c->p;
  while (c->p < c->end && is_tchar(*c->p)) c->p++;
  return (size_t)(c->p - *start);
}

/* A parameter value: a token or a quoted string (RFC 7692 §5.1 allows
 * both), copied into out[0..cap). False when malformed or too long. */
static bool param_value(cursor_t *c, char *out, size_t cap) {
  size_t n = 0;
  if (c->p < c->end && *c->p == '"') {
    c->p++;
    while (c->p < c->end && *c->p != '"') {
      if (*c->p == '\\' && c->p + 1 < c->end) c->p++;
      if (n + 1 >= cap) return false;
      out[n++] = *c->p++;
    }
    if (c->p >= c->end) return false;
    c->p++;
  } else {
    const char *start;
    n = token(c, &start);
    if (n == 0 || n >= cap) return false;
    memcpy(out, start, n);
  }
  out[n] = 0;
  return true;
}

/* RFC 7692 §7.1.2: a window size is a decimal integer from 8 to 15. */
static int window_bits(const char *text) {
  if (strlen(text) == 0 || strlen(text) > 2) return -1;
  for (const char *p = text; *p; p++) {
    if (*p < '0' || *p > '9') return -1;
  }
  int v = atoi(text);
  return v >= 8 && v <= 15 ? v : -1;
}

const char *pmd_accept(const char *value, size_t len, int offer, pmd_agreement_t *out) {
  memset(out, 0, sizeof *out);
  out->server_max_window_bits = 15;
  out->client_max_window_bits = 15;
  if (value == NULL) return NULL; /* declined (or nothing offered) */
  cursor_t c = {value, value + len};
  skip_ows(&c);
  if (c.p == c.end) return NULL; /* an empty header agrees to nothing */
  /* RFC 6455 §4.1: an extension the client did not ask for fails the
   * connection. */
  if (offer == PMD_OFF) return "Sec-WebSocket-Extensions in the answer, nothing was offered";
  const char *name;
  size_t nl = token(&c, &name);
  if (nl != 18 || strncasecmp(name, "permessage-deflate", 18) != 0) {
    return "the answer names an extension that was not offered";
  }
  bool seen[4] = {false, false, false, false};
  for (;;) {
    skip_ows(&c);
    if (c.p == c.end) break;
    if (*c.p == ',') return "the answer accepts more than the one extension offered";
    if (*c.p != ';') return "malformed Sec-WebSocket-Extensions in the answer";
    c.p++;
    skip_ows(&c);
    const char *pname;
    size_t pl = token(&c, &pname);
    if (pl == 0) return "malformed permessage-deflate parameter in the answer";
    skip_ows(&c);
    char val[16];
    bool has_value = false;
    if (c.p < c.end && *c.p == '=') {
      c.p++;
      skip_ows(&c);
      if (!param_value(&c, val, sizeof val)) return "malformed permessage-deflate parameter value";
      has_value = true;
    }
    static const char *const KNOWN[4] = {"server_no_context_takeover",
                                         "client_no_context_takeover", "server_max_window_bits",
                                         "client_max_window_bits"};
    int which = -1;
    for (int i = 0; i < 4; i++) {
      if (strlen(KNOWN[i]) == pl && strncasecmp(pname, KNOWN[i], pl) == 0) which = i;
    }
    /* RFC 7692 §7.1: unknown or repeated parameters, and values where none
     * belongs (or none where one must be), fail the connection. */
    if (which < 0) return "unknown permessage-deflate parameter in the answer";
    if (seen[which]) return "repeated permessage-deflate parameter in the answer";
    seen[which] = true;
    if (which < 2) {
      if (has_value) return "a no_context_takeover parameter with a value in the answer";
      if (which == 0) out->server_no_context_takeover = true;
      else out->client_no_context_takeover = true;
    } else {
      int bits = has_value ? window_bits(val) : -1;
      if (bits < 0) return "a max_window_bits parameter without a value of 8 to 15 in the answer";
      if (which == 2) out->server_max_window_bits = bits;
      else out->client_max_window_bits = bits;
    }
  }
  /* §7.1.1.1: a server accepts server_no_context_takeover by answering it. */
  if (offer == PMD_NO_CONTEXT_TAKEOVER && !out->server_no_context_takeover) {
    return "the answer does not grant the server_no_context_takeover offered";
  }
  out->on = true;
  return NULL;
}

/* ------------------------------------------------------------ compression */

static const uint8_t TAIL[4] = {0x00, 0x00, 0xff, 0xff};

size_t pmd_bound(size_t len) { return len + (len >> 3) + 64; }

long pmd_compress(pmd_deflater_t *d, int window_bits, const uint8_t *m, size_t len,
                  uint8_t *out, size_t cap) {
  if (d->window_bits != window_bits) {
    if (d->window_bits) deflateEnd(&d->z);
    memset(&d->z, 0, sizeof d->z);
    d->window_bits = 0;
    /* zlib refuses a raw window of 8; Huffman-only coding never refers back,
     * so it fits any window the peer allows. */
    int strategy = window_bits == 8 ? Z_HUFFMAN_ONLY : Z_DEFAULT_STRATEGY;
    int bits = window_bits == 8 ? 9 : window_bits;
    if (deflateInit2(&d->z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, -bits, 8, strategy) != Z_OK) {
      return -1;
    }
    d->window_bits = window_bits;
  } else if (deflateReset(&d->z) != Z_OK) {
    return -1;
  }
  d->z.next_in = (Bytef *)m;
  d->z.avail_in = (uInt)len;
  d->z.next_out = out;
  d->z.avail_out = (uInt)cap;
  /* RFC 7692 §7.2.1: compress, flush with an empty stored block ... */
  int rc = deflate(&d->z, Z_SYNC_FLUSH);
  if (rc != Z_OK || d->z.avail_in != 0 || d->z.avail_out == 0) return -1;
  size_t n = cap - d->z.avail_out;
  /* ... and remove the 00 00 ff ff it ends with. */
  if (n < 4 || memcmp(out + n - 4, TAIL, 4) != 0) return -1;
  return (long)(n - 4);
}

/* ------------------------------------------------------------ decompression */

/* The window kept across a BFINAL block (context takeover). */
static uint8_t dictionary[32768];

void pmd_inflater_end(pmd_inflater_t *f) {
  if (f->ready) inflateEnd(&f->z);
  f->ready = false;
}

long pmd_inflate(pmd_inflater_t *f, bool takeover, const uint8_t *z, size_t zlen, uint8_t *out,
                 size_t cap, const char **why) {
  if (!f->ready) {
    memset(&f->z, 0, sizeof f->z);
    /* A 15-bit window reads whatever window the server uses. */
    if (inflateInit2(&f->z, -15) != Z_OK) {
      *why = "inflateInit2 failed";
      return -1;
    }
    f->ready = true;
  }
  /* One byte more than allowed: producing it proves the message too long,
   * and inflation stops there (a bomb costs `cap` bytes at most). */
  size_t room = cap + 1;
  f->z.next_out = out;
  f->z.avail_out = (uInt)room;
  bool ended = false;
  /* RFC 7692 §7.2.2: append 00 00 ff ff to the payload, then inflate. */
  const uint8_t *parts[2] = {z, TAIL};
  size_t lens[2] = {zlen, sizeof TAIL};
  for (int part = 0; part < 2 && !ended; part++) {
    f->z.next_in = (Bytef *)parts[part];
    f->z.avail_in = (uInt)lens[part];
    while (f->z.avail_in > 0) {
      int rc = inflate(&f->z, Z_SYNC_FLUSH);
      if (room - f->z.avail_out > cap) {
        *why = "a compressed message inflates to more than the message sent";
        inflateReset(&f->z);
        return -1;
      }
      if (rc == Z_STREAM_END) {
        /* A BFINAL block ended the stream: at most the padding byte of
         * RFC 7692 §7.2.3.4 (0x00) may follow in the payload. */
        if (part == 0 && (f->z.avail_in > 1 || (f->z.avail_in == 1 && *f->z.next_in != 0))) {
          *why = "bytes after the final DEFLATE block";
          inflateReset(&f->z);
          return -1;
        }
        ended = true;
        break;
      }
      if (rc != Z_OK) {
        *why = rc == Z_DATA_ERROR ? "invalid compressed data" : "inflate failed";
        inflateReset(&f->z);
        return -1;
      }
    }
  }
  long produced = (long)(room - f->z.avail_out);
  if (!takeover) {
    inflateReset(&f->z);
  } else if (ended) {
    /* The stream ended, but the next message may still refer to this one's
     * window: reset and hand the window back. */
    uInt n = sizeof dictionary;
    if (inflateGetDictionary(&f->z, dictionary, &n) != Z_OK || inflateReset(&f->z) != Z_OK ||
        (n > 0 && inflateSetDictionary(&f->z, dictionary, n) != Z_OK)) {
      *why = "cannot keep the window after a final DEFLATE block";
      return -1;
    }
  }
  return produced;
}

/* ------------------------------------------------------------ cache */

/* 4-way sets, least recently used out: two messages alive at once never
 * evict each other over and over (with 256 broadcasts outstanding and
 * 1,000 receivers, a direct-mapped cache thrashed on a few collisions). */
#define CACHE_SETS 4096
#define CACHE_WAYS 4

typedef struct cache_entry {
  uint64_t hash, used;
  uint8_t *z, *m;
  size_t zlen, mlen;
} cache_entry_t;

static cache_entry_t cache[CACHE_SETS][CACHE_WAYS];
static uint64_t cache_clock;

static uint64_t fnv1a(const uint8_t *p, size_t n) {
  uint64_t h = 0xcbf29ce484222325ULL;
  for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
  return h;
}

const uint8_t *pmd_cache_find(const uint8_t *z, size_t zlen, size_t *len) {
  uint64_t h = fnv1a(z, zlen);
  cache_entry_t *set = cache[h % CACHE_SETS];
  for (int w = 0; w < CACHE_WAYS; w++) {
    cache_entry_t *e = &set[w];
    if (e->z != NULL && e->hash == h && e->zlen == zlen && memcmp(e->z, z, zlen) == 0) {
      e->used = ++cache_clock;
      *len = e->mlen;
      return e->m;
    }
  }
  return NULL;
}

void pmd_cache_put(const uint8_t *z, size_t zlen, const uint8_t *m, size_t len) {
  uint64_t h = fnv1a(z, zlen);
  cache_entry_t *set = cache[h % CACHE_SETS];
  cache_entry_t *e = &set[0];
  for (int w = 1; w < CACHE_WAYS; w++) {
    if (set[w].used < e->used) e = &set[w];
  }
  uint8_t *zc = malloc(zlen ? zlen : 1), *mc = malloc(len ? len : 1);
  if (!zc || !mc) {
    free(zc);
    free(mc);
    return; /* not cached: inflated again next time */
  }
  free(e->z);
  free(e->m);
  memcpy(zc, z, zlen);
  memcpy(mc, m, len);
  *e = (cache_entry_t){.hash = h, .used = ++cache_clock, .z = zc, .m = mc, .zlen = zlen,
                       .mlen = len};
}
