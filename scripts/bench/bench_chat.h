/*
 * bench_chat: the chat-like JSON messages of the load client's `--payload
 * json` runs (scripts/bench/bench_client.c).
 *
 * CHAT_TEMPLATES deterministic messages of exactly the same size, built
 * from a fixed seed (so every run, every server and every pass sends the
 * same text), shaped like a chat application's message: type, id, time
 * stamp, room, user (id, name, avatar URL), text, reactions. Text that
 * compresses like real JSON, not random bytes.
 *
 * Two fields have a fixed width and a fixed offset, so a message can be
 * stamped and checked without parsing: "id" (CHAT_ID_DIGITS decimal digits:
 * the broadcast's sequence number) and "ts" (CHAT_TS_DIGITS decimal digits:
 * the publish time in ns). Echo runs send the templates as they are.
 */
#ifndef BENCH_CHAT_H
#define BENCH_CHAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CHAT_TEMPLATES 256
#define CHAT_ID_DIGITS 12
#define CHAT_TS_DIGITS 19
/* The smallest size a message can have (the fields without any text). */
#define CHAT_MIN_SIZE 256

/* Builds the templates, each exactly `size` bytes long. Returns false when
 * `size` is below CHAT_MIN_SIZE or the memory is missing. */
bool chat_init(int size);

/* Template k (0 <= k < CHAT_TEMPLATES), `size` bytes, not NUL-terminated. */
const uint8_t *chat_template(int k);

/* Writes template `seq % CHAT_TEMPLATES` stamped with `seq` and `t_ns` into
 * out[0..size). */
void chat_stamp(uint8_t *out, uint64_t seq, int64_t t_ns);

/* Checks that m[0..len) is exactly what chat_stamp wrote for `seq` (length,
 * every byte of the template, the id field); stores the stamped time in
 * *t_ns. Returns false for any difference. */
bool chat_check_stamped(const uint8_t *m, size_t len, uint64_t seq, int64_t *t_ns);

#endif
