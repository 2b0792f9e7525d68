/*
 * bench_pmd: the client side of permessage-deflate (RFC 7692) for the load
 * client (scripts/bench/bench_client.c), on zlib.
 *
 * - the offer (§5) and the check of the server's answer (§7.1): one
 *   permessage-deflate extension, known parameters only, each at most once,
 *   window bits 8..15, no client_max_window_bits the client did not offer,
 *   and every no_context_takeover the client asked for granted; anything
 *   else fails the connection;
 * - a compressor for whole messages without context takeover (§7.2.1: raw
 *   DEFLATE, a sync flush, the final 00 00 ff ff removed), which is always
 *   legal for a client; a window of 8 (which zlib cannot deflate with)
 *   compresses Huffman-only, with no back-reference at all;
 * - an inflater per connection (§7.2.2: the payload plus 00 00 ff ff),
 *   keeping its window between messages unless the server agreed to
 *   server_no_context_takeover, bounded by the size the message must have
 *   (a longer message is an error, never a larger buffer), and reading
 *   messages that end with a BFINAL block;
 * - a cache of inflated messages keyed by their compressed bytes, for
 *   servers without context takeover: the same compressed bytes always
 *   inflate to the same message, so a broadcast compressed once for 1,000
 *   receivers is inflated once, and a wrong byte still misses the cache.
 */
#ifndef BENCH_PMD_H
#define BENCH_PMD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <zlib.h>

/* What the client offers (--deflate). */
enum {
  PMD_OFF,
  /* "permessage-deflate; client_max_window_bits": what browsers offer. */
  PMD_BROWSER,
  /* The same with server_no_context_takeover and client_no_context_takeover. */
  PMD_NO_CONTEXT_TAKEOVER,
};

/* What the server's answer agreed to. */
typedef struct pmd_agreement {
  bool on;
  bool server_no_context_takeover;
  bool client_no_context_takeover;
  int server_max_window_bits; /* 15 when absent */
  int client_max_window_bits; /* 15 when absent */
} pmd_agreement_t;

/* The offer's name for --deflate and the report ("off", "browser",
 * "no-context-takeover"), and back (-1 when unknown). */
const char *pmd_offer_name(int offer);
int pmd_offer_parse(const char *name);

/* The Sec-WebSocket-Extensions value of the request ("" for PMD_OFF). */
const char *pmd_offer_header(int offer);

/* Checks the answer's Sec-WebSocket-Extensions value (`value` of `len`
 * bytes, NULL when the header is absent) against `offer` and fills *out
 * (out->on false: the server declined). Returns NULL, or why the answer
 * must fail the connection. */
const char *pmd_accept(const char *value, size_t len, int offer, pmd_agreement_t *out);

/* A compressor of whole messages (no context between them). */
typedef struct pmd_deflater {
  z_stream z;
  int window_bits; /* 0 until initialised */
} pmd_deflater_t;

/* Compresses m[0..len) as one message for a peer that accepts
 * `window_bits` (8..15) into out[0..cap); returns the payload's length, or
 * -1 when zlib fails or `cap` is too small (cap >= pmd_bound(len) is
 * always enough). */
long pmd_compress(pmd_deflater_t *d, int window_bits, const uint8_t *m, size_t len,
                  uint8_t *out, size_t cap);
size_t pmd_bound(size_t len);

/* An inflater for one connection's messages. */
typedef struct pmd_inflater {
  z_stream z;
  bool ready;
} pmd_inflater_t;

/* Inflates one message's compressed payload z[0..zlen) into `out`, which
 * has room for cap + 1 bytes; `takeover`: the server may refer to earlier
 * messages (keep the window). Returns the message's length, or -1 with
 * *why set: invalid data, bytes after a final block, or a message longer
 * than `cap` (inflation stops at cap + 1 bytes). */
long pmd_inflate(pmd_inflater_t *f, bool takeover, const uint8_t *z, size_t zlen, uint8_t *out,
                 size_t cap, const char **why);

/* Frees an inflater's zlib state (it can be used again). */
void pmd_inflater_end(pmd_inflater_t *f);

/* The cache: the inflated message of these compressed bytes, or NULL. */
const uint8_t *pmd_cache_find(const uint8_t *z, size_t zlen, size_t *len);
/* Remembers that z[0..zlen) inflates to m[0..len). */
void pmd_cache_put(const uint8_t *z, size_t zlen, const uint8_t *m, size_t len);

#endif
