/*
 * bench_chat: deterministic chat-like JSON messages (see bench_chat.h).
 */
#include "bench_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint8_t *templates[CHAT_TEMPLATES];
static int chat_size;

/* "id" and "ts" right at the start: their offsets do not depend on the rest. */
static const char PREFIX[] = "{\"type\":\"message\",\"id\":\"";
#define ID_OFFSET (sizeof PREFIX - 1)
#define TS_OFFSET (ID_OFFSET + CHAT_ID_DIGITS + sizeof "\",\"ts\":\"" - 1)

static const char *const ROOMS[] = {"general", "random", "support", "engineering",
                                    "design", "announcements"};
static const char *const FIRST[] = {"Alice", "Bruno", "Chloe", "Dmitri", "Emma", "Farid",
                                    "Grace", "Hiroshi", "Ines", "Jonas", "Keiko", "Liam"};
static const char *const LAST[] = {"Martin", "Schmidt", "Rossi", "Nakamura", "Silva",
                                   "Kowalski", "Dubois", "Okafor", "Larsen", "Moreau"};
static const char *const WORDS[] = {
    "the", "deploy", "is", "done", "and", "tests", "pass", "on", "all", "three",
    "runtimes", "can", "you", "review", "my", "pull", "request", "before", "lunch",
    "meeting", "moved", "to", "tomorrow", "at", "ten", "I", "think", "we", "should",
    "ship", "it", "today", "thanks", "for", "the", "quick", "fix", "server", "memory",
    "looks", "stable", "now", "after", "restart", "let", "me", "know", "if", "anything",
    "breaks", "again", "coffee", "anyone", "great", "work", "everyone", "release",
    "notes", "are", "in", "the", "wiki", "please", "update", "your", "branch"};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* xorshift64* with a fixed seed: the same templates on every run. */
static uint64_t seed = 0x9E3779B97F4A7C15ULL;
static uint32_t next_random(uint32_t below) {
  seed ^= seed >> 12;
  seed ^= seed << 25;
  seed ^= seed >> 27;
  return (uint32_t)((seed * 0x2545F4914F6CDD1DULL) >> 32) % below;
}

static void write_digits(uint8_t *out, uint64_t value, int digits) {
  for (int i = digits - 1; i >= 0; i--) {
    out[i] = (uint8_t)('0' + value % 10);
    value /= 10;
  }
}

/* Builds template k into out[0..size); false when the fields alone are too long. */
static bool build(uint8_t *out, int k, int size) {
  char head[512], tail[256];
  /* One draw per statement: the order of a call's arguments is unspecified. */
  const char *room = ROOMS[next_random(COUNT(ROOMS))];
  uint32_t user = next_random(10000);
  const char *first_name = FIRST[next_random(COUNT(FIRST))];
  const char *last_name = LAST[next_random(COUNT(LAST))];
  const char *status = next_random(4) ? "online" : "away";
  uint32_t thumbs = next_random(20);
  uint32_t hearts = next_random(8);
  uint32_t laughs = next_random(5);
  const char *edited = next_random(5) ? "false" : "true";
  int hn = snprintf(head, sizeof head,
                    "%s%0*d\",\"ts\":\"%0*d\",\"room\":\"%s\",\"user\":{\"id\":\"u%04u\","
                    "\"name\":\"%s %s\",\"avatar\":\"https://cdn.example.com/avatars/u%04u.png\","
                    "\"status\":\"%s\"},\"text\":\"",
                    PREFIX, CHAT_ID_DIGITS, 0, CHAT_TS_DIGITS, 0, room, user, first_name,
                    last_name, user, status);
  int tn = snprintf(tail, sizeof tail,
                    "\",\"reactions\":{\"thumbs_up\":%u,\"heart\":%u,\"laugh\":%u},"
                    "\"edited\":%s,\"thread\":null}",
                    thumbs, hearts, laughs, edited);
  int text = size - hn - tn;
  if (text < 16) return false;
  memcpy(out, head, (size_t)hn);
  /* The fixed fields of an unstamped template (echo): id k + 1, a time. */
  write_digits(out + ID_OFFSET, (uint64_t)k + 1, CHAT_ID_DIGITS);
  write_digits(out + TS_OFFSET, 1733500000000000000ULL + (uint64_t)k * 1234567891ULL,
               CHAT_TS_DIGITS);
  uint8_t *p = out + hn;
  int left = text;
  bool first = true;
  while (left > 0) {
    const char *w = WORDS[next_random(COUNT(WORDS))];
    if (!first) {
      *p++ = ' ';
      if (--left == 0) break;
    }
    first = false;
    int wl = (int)strlen(w);
    if (wl > left) wl = left; /* the last word may be cut to fit exactly */
    memcpy(p, w, (size_t)wl);
    p += wl;
    left -= wl;
  }
  memcpy(p, tail, (size_t)tn);
  return true;
}

bool chat_init(int size) {
  if (size < CHAT_MIN_SIZE) return false;
  chat_size = size;
  for (int k = 0; k < CHAT_TEMPLATES; k++) {
    templates[k] = malloc((size_t)size);
    if (!templates[k] || !build(templates[k], k, size)) return false;
  }
  return true;
}

const uint8_t *chat_template(int k) { return templates[k]; }

void chat_stamp(uint8_t *out, uint64_t seq, int64_t t_ns) {
  memcpy(out, templates[seq % CHAT_TEMPLATES], (size_t)chat_size);
  write_digits(out + ID_OFFSET, seq, CHAT_ID_DIGITS);
  write_digits(out + TS_OFFSET, (uint64_t)(t_ns < 0 ? 0 : t_ns), CHAT_TS_DIGITS);
}

bool chat_check_stamped(const uint8_t *m, size_t len, uint64_t seq, int64_t *t_ns) {
  if (len != (size_t)chat_size) return false;
  const uint8_t *t = templates[seq % CHAT_TEMPLATES];
  uint8_t id[CHAT_ID_DIGITS];
  write_digits(id, seq, CHAT_ID_DIGITS);
  if (memcmp(m, t, ID_OFFSET) != 0 || memcmp(m + ID_OFFSET, id, CHAT_ID_DIGITS) != 0) {
    return false;
  }
  size_t between = TS_OFFSET - (ID_OFFSET + CHAT_ID_DIGITS);
  if (memcmp(m + ID_OFFSET + CHAT_ID_DIGITS, t + ID_OFFSET + CHAT_ID_DIGITS, between) != 0) {
    return false;
  }
  uint64_t ts = 0;
  for (int i = 0; i < CHAT_TS_DIGITS; i++) {
    uint8_t ch = m[TS_OFFSET + (size_t)i];
    if (ch < '0' || ch > '9') return false;
    ts = ts * 10 + (uint64_t)(ch - '0');
  }
  size_t rest = TS_OFFSET + CHAT_TS_DIGITS;
  if (memcmp(m + rest, t + rest, len - rest) != 0) return false;
  *t_ns = (int64_t)ts;
  return true;
}
