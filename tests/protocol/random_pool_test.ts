import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { RandomPool } from "../../src/protocol/random_pool.ts";
import { randomUuid } from "../../src/driver/connection_id.ts";

const pool = new RandomPool();
const randomMask = (): Uint8Array => pool.mask();

describe("randomMask", () => {
  test("returns 4-byte keys", () => {
    assert.equal(randomMask().length, 4);
  });

  test("keys differ across calls, including across pool refills", () => {
    const seen = new Set<string>();
    for (let i = 0; i < 5000; i++) seen.add(randomMask().join(","));
    // 5000 draws from 2^32 keys: a collision is astronomically unlikely.
    assert.ok(seen.size >= 4999, `only ${seen.size} distinct keys`);
  });
});

describe("randomUuid", () => {
  test("returns version-4, variant-10 UUIDs in the 8-4-4-4-12 lowercase form", () => {
    for (let i = 0; i < 1000; i++) {
      assert.match(
        randomUuid(),
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    }
  });

  test("a pool hands out whole views of any size across refills", () => {
    // Takes of 4 and 16 bytes: a pool position that is not a multiple of 16
    // must not cut a take short.
    const small = new RandomPool(64);
    for (let i = 0; i < 3000; i++) {
      assert.equal(small.take(4).length, 4);
      assert.equal(small.take(16).length, 16);
    }
  });

  test("ids differ across calls, including across pool refills", () => {
    const seen = new Set<string>();
    // 16 bytes per id: 2,000 ids span four refills of the 8 KiB pool.
    for (let i = 0; i < 2000; i++) seen.add(randomUuid());
    assert.equal(seen.size, 2000);
  });

  test("every random position takes every hex digit (each byte lands in its place)", () => {
    const seen = Array.from({ length: 36 }, () => new Set<string>());
    for (let i = 0; i < 4000; i++) {
      const id = randomUuid();
      for (let c = 0; c < 36; c++) seen[c].add(id[c]);
    }
    for (let c = 0; c < 36; c++) {
      // Dashes and the version digit are fixed; the variant digit is 8-b.
      const expected = [8, 13, 14, 18, 23].includes(c) ? 1 : c === 19 ? 4 : 16;
      assert.equal(seen[c].size, expected, `position ${c}`);
    }
  });

  test("every hex digit of the random positions occurs", () => {
    const digits = new Set<string>();
    for (let i = 0; i < 50; i++) {
      for (const c of randomUuid().replaceAll("-", "")) digits.add(c);
    }
    assert.equal(digits.size, 16);
  });
});
