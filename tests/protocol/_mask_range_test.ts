import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { maskRange } from "../../src/protocol/_mask_range.ts";
import { prng } from "../_prng.ts";

describe("maskRange", () => {
  test("XORs exactly bytes[start..end) with the mask rotated by the payload offset", () => {
    const rng = prng(7);
    const mask = rng.bytes(4);
    const original = rng.bytes(300);
    for (let start = 0; start < 9; start++) {
      for (const length of [0, 1, 3, 4, 5, 63, 64, 65, 100, 250]) {
        for (let offset = 0; offset < 5; offset++) {
          const end = start + length;
          const expected = original.slice();
          for (let i = start; i < end; i++) {
            expected[i] ^= mask[(offset + i - start) % 4];
          }
          const actual = original.slice();
          maskRange(actual, start, end, mask, offset);
          assert.deepEqual(
            actual,
            expected,
            `start ${start} length ${length} offset ${offset}`,
          );
        }
      }
    }
  });

  test("works on a view with an unaligned byteOffset", () => {
    const backing = new Uint8Array(200).fill(0xff);
    const view = backing.subarray(3, 197);
    maskRange(view, 1, 193, new Uint8Array([0xff, 0xff, 0xff, 0xff]), 0);
    assert.deepEqual([backing[3], backing[4], backing[195], backing[196]], [
      0xff,
      0,
      0,
      0xff,
    ]);
    assert.equal(backing.subarray(4, 196).every((b) => b === 0), true);
  });
});
