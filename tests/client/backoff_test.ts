// The reconnect policy: the backoff delays against the documented defaults,
// the jitter bounds, and which endings are retried.

import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  backoffDelay,
  DEFAULT_BACKOFF,
  resolveBackoff,
} from "../../src/client/backoff.ts";
import {
  type Disconnect,
  isRetryable,
} from "../../src/client/reconnect_policy.ts";
import { prng } from "../_prng.ts";

describe("backoff delays", () => {
  test("the defaults: 1 s doubling up to 30 s, ±50 %, unlimited, reset after 5 s up", () => {
    assert.deepEqual({ ...DEFAULT_BACKOFF }, {
      initialDelay: 1000,
      factor: 2,
      maxDelay: 30_000,
      jitter: 0.5,
      maxAttempts: Infinity,
      resetAfter: 5000,
    });
  });

  test("without jitter's offset (random 0.5) the delays are 1, 2, 4, 8, 16, 30, 30 s", () => {
    const delays = [1, 2, 3, 4, 5, 6, 7, 50].map((n) =>
      backoffDelay(n, DEFAULT_BACKOFF, () => 0.5)
    );
    assert.deepEqual(delays, [
      1000,
      2000,
      4000,
      8000,
      16000,
      30000,
      30000,
      30000,
    ]);
  });

  test("the jitter spans [50 %, 150 %) of the delay, never past maxDelay", () => {
    assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0), 500);
    assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 0.999999), 1500);
    assert.equal(backoffDelay(5, DEFAULT_BACKOFF, () => 0), 8000);
    assert.equal(backoffDelay(5, DEFAULT_BACKOFF, () => 0.999999), 24000);
    assert.equal(backoffDelay(6, DEFAULT_BACKOFF, () => 0), 15000);
    assert.equal(backoffDelay(6, DEFAULT_BACKOFF, () => 0.999999), 30000);
    const rng = prng(7);
    const random = () => rng.next();
    for (let attempt = 1; attempt <= 10; attempt++) {
      const base = Math.min(1000 * 2 ** (attempt - 1), 30_000);
      for (let i = 0; i < 200; i++) {
        const delay = backoffDelay(attempt, DEFAULT_BACKOFF, random);
        assert.ok(
          delay >= base * 0.5 && delay <= Math.min(base * 1.5, 30_000),
          `${attempt}: ${delay}`,
        );
      }
    }
  });

  test("a random source out of range is clamped", () => {
    assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => 7), 1500);
    assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => -1), 500);
    assert.equal(backoffDelay(1, DEFAULT_BACKOFF, () => Number.NaN), 1000);
  });

  test("settings override the defaults and are checked", () => {
    const policy = resolveBackoff({
      initialDelay: 100,
      factor: 3,
      maxDelay: 1000,
      jitter: 0,
    });
    assert.deepEqual(
      [1, 2, 3, 4].map((n) => backoffDelay(n, policy, Math.random)),
      [100, 300, 900, 1000],
    );
    for (
      const bad of [
        { initialDelay: -1 },
        { factor: 0.5 },
        { maxDelay: 10, initialDelay: 100 },
        { jitter: 1.5 },
        { maxAttempts: 1.5 },
        { resetAfter: Number.NaN },
      ]
    ) {
      assert.throws(() => resolveBackoff(bad), RangeError, JSON.stringify(bad));
    }
  });
});

describe("which endings are retried", () => {
  const closed = (code: number): Disconnect => ({
    code,
    reason: "",
    wasClean: code !== 1006,
    opened: true,
  });
  const refused = (status: number): Disconnect => ({
    code: 1006,
    reason: "",
    wasClean: false,
    opened: false,
    status,
  });

  test("close codes: 1001, 1006, 1011, 1012, 1013, 1014 are retried", () => {
    for (const code of [1001, 1006, 1011, 1012, 1013, 1014]) {
      assert.equal(isRetryable(closed(code)), true, String(code));
    }
  });

  test("close codes: normal, protocol, policy, size, TLS and application codes are final", () => {
    for (
      const code of [
        1000,
        1002,
        1003,
        1005,
        1007,
        1008,
        1009,
        1010,
        1015,
        3000,
        4000,
        4401,
        4999,
      ]
    ) {
      assert.equal(isRetryable(closed(code)), false, String(code));
    }
  });

  test("handshake statuses: 5xx, 408 and 429 are retried, other 4xx are final", () => {
    for (const status of [500, 502, 503, 504, 599, 408, 429]) {
      assert.equal(isRetryable(refused(status)), true, String(status));
    }
    for (const status of [400, 401, 403, 404, 426]) {
      assert.equal(isRetryable(refused(status)), false, String(status));
    }
  });

  test("a handshake timeout is retried", () => {
    assert.equal(
      isRetryable({
        code: 1006,
        reason: "",
        wasClean: false,
        opened: false,
        timedOut: true,
      }),
      true,
    );
  });

  test("a failed handshake without a status (what a browser reports) is retried like a network error", () => {
    assert.equal(
      isRetryable({ code: 1006, reason: "", wasClean: false, opened: false }),
      true,
    );
  });
});
