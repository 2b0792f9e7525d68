import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomMask } from "../src/_random.ts";

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
