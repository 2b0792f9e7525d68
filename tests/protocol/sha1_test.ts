import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { sha1 } from "../../src/protocol/sha1.ts";

const encoder = new TextEncoder();

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

async function webCryptoSha1(
  bytes: Uint8Array<ArrayBuffer>,
): Promise<string> {
  return hex(new Uint8Array(await crypto.subtle.digest("SHA-1", bytes)));
}

describe("sha1", () => {
  // RFC 3174 §7.3 TEST1, TEST2 and TEST4 (the FIPS 180 examples), the empty
  // message, and TEST3 (one million "a").
  const vectors: Array<[name: string, message: Uint8Array, digest: string]> = [
    [
      "the empty message",
      new Uint8Array(0),
      "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    ],
    ["abc", encoder.encode("abc"), "a9993e364706816aba3e25717850c26c9cd0d89d"],
    [
      "the two-block example",
      encoder.encode(
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
      ),
      "84983e441c3bd26ebaae4aa1f95129e5e54670f1",
    ],
    [
      '"01234567" 80 times',
      encoder.encode(
        "0123456701234567012345670123456701234567012345670123456701234567"
          .repeat(10),
      ),
      "dea356a2cddd90c7a7ecedc5ebb563934f460452",
    ],
    [
      'one million "a"',
      new Uint8Array(1_000_000).fill(0x61),
      "34aa973cd4c4daa4f61eeb2bdbad27316534016f",
    ],
  ];
  for (const [name, message, digest] of vectors) {
    test(`gives the RFC 3174 digest of ${name}`, () => {
      assert.equal(hex(sha1(message)), digest);
    });
  }

  test("gives Web Crypto's digest for random messages of 0 to 200 bytes", async () => {
    // Every length, so both padding cases (the length fits in the last
    // block, or needs one more: 55/56 and 63/64 bytes) and several whole
    // blocks are covered, three random messages each.
    for (let length = 0; length <= 200; length++) {
      for (let round = 0; round < 3; round++) {
        const message = crypto.getRandomValues(new Uint8Array(length));
        assert.equal(
          hex(sha1(message)),
          await webCryptoSha1(message),
          `length ${length}`,
        );
      }
    }
  });

  test("reads a view at its own offset, not its buffer's start", async () => {
    const buffer = crypto.getRandomValues(new Uint8Array(300));
    for (const [start, end] of [[1, 61], [7, 71], [13, 200], [299, 300]]) {
      const view = buffer.subarray(start, end);
      assert.equal(hex(sha1(view)), await webCryptoSha1(view.slice()));
    }
  });

  test("gives the same digest when called again (no state kept between calls)", () => {
    const long = crypto.getRandomValues(new Uint8Array(130));
    const first = hex(sha1(long));
    sha1(encoder.encode("abc"));
    assert.equal(hex(sha1(long)), first);
  });

  test("returns a new array each call", () => {
    const a = sha1(encoder.encode("a"));
    const b = sha1(encoder.encode("a"));
    assert.notEqual(a, b);
    assert.equal(a.length, 20);
    assert.deepEqual(a, b);
  });
});
