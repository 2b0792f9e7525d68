import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { applyMask } from "../../src/protocol/mask.ts";
import { prng } from "../_prng.ts";

function naive(bytes: Uint8Array, mask: Uint8Array, offset = 0): Uint8Array {
  const out = bytes.slice();
  for (let i = 0; i < out.length; i++) out[i] ^= mask[(offset + i) % 4];
  return out;
}

describe("applyMask", () => {
  test("masks the RFC 6455 §5.7 'Hello' example", () => {
    const data = new TextEncoder().encode("Hello");
    applyMask(data, new Uint8Array([0x37, 0xfa, 0x21, 0x3d]));
    assert.deepEqual(data, new Uint8Array([0x7f, 0x9f, 0x4d, 0x51, 0x58]));
  });

  test("is its own inverse", () => {
    const rng = prng(1);
    const mask = rng.bytes(4);
    const original = rng.bytes(1000);
    const data = original.slice();
    applyMask(data, mask);
    assert.notDeepEqual(data, original);
    applyMask(data, mask);
    assert.deepEqual(data, original);
  });

  test("matches the byte-by-byte definition for every length 0-80, alignment and offset", () => {
    const rng = prng(2);
    const mask = rng.bytes(4);
    const backing = rng.bytes(100);
    for (let length = 0; length <= 80; length++) {
      for (let start = 0; start < 4; start++) {
        for (let offset = 0; offset < 8; offset++) {
          const view = backing.slice().subarray(start, start + length);
          const expected = naive(view, mask, offset);
          applyMask(view, mask, offset);
          assert.deepEqual(
            view,
            expected,
            `length ${length} start ${start} offset ${offset}`,
          );
        }
      }
    }
  });

  test("does not touch bytes outside the view", () => {
    const buffer = new Uint8Array(200).fill(0xaa);
    applyMask(buffer.subarray(3, 197), new Uint8Array([1, 2, 3, 4]));
    assert.deepEqual([...buffer.subarray(0, 3)], [0xaa, 0xaa, 0xaa]);
    assert.deepEqual([...buffer.subarray(197)], [0xaa, 0xaa, 0xaa]);
    assert.equal(buffer[3], 0xaa ^ 1);
    // Payload index 193 (buffer index 196) uses mask[193 % 4] = mask[1] = 2.
    assert.equal(buffer[196], 0xaa ^ 2);
  });

  test("unmasking in pieces with offsets equals unmasking at once", () => {
    const rng = prng(3);
    const mask = rng.bytes(4);
    const original = rng.bytes(5000);
    const whole = original.slice();
    applyMask(whole, mask);
    const pieces = original.slice();
    let position = 0;
    while (position < pieces.length) {
      const size = rng.int(1, 700);
      applyMask(pieces.subarray(position, position + size), mask, position);
      position += size;
    }
    assert.deepEqual(pieces, whole);
  });

  test("an all-zero mask leaves the data unchanged", () => {
    const data = new Uint8Array([1, 2, 3, 4, 5, 6, 7, 8, 9]).subarray(1);
    applyMask(data, new Uint8Array(4));
    assert.deepEqual([...data], [2, 3, 4, 5, 6, 7, 8, 9]);
  });
});
