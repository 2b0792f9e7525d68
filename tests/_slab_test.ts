import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { claim, reserve, reservedOffset, SLAB_LIMIT } from "../src/_slab.ts";

describe("slab", () => {
  test("hands out disjoint regions, each right after the last, that are never written again", () => {
    const views: Array<[Uint8Array, number]> = [];
    let previous: Uint8Array | undefined;
    for (let i = 0; i < 2000; i++) {
      const size = 1 + (i * 37) % 300;
      const buffer = reserve(size);
      const at = reservedOffset();
      if (previous !== undefined && previous.buffer === buffer.buffer) {
        assert.equal(at, previous.byteOffset + previous.length);
      }
      buffer.fill(i & 0xff, at, at + size);
      claim(at + size);
      previous = buffer.subarray(at, at + size);
      views.push([previous, i & 0xff]);
    }
    // Past several slabs, every earlier view still holds what was written.
    for (const [view, value] of views) {
      assert.ok(view.every((b) => b === value));
    }
  });

  test("always has room for SLAB_LIMIT bytes", () => {
    reserve(10);
    claim(reservedOffset() + 10);
    const buffer = reserve(SLAB_LIMIT);
    assert.ok(buffer.length - reservedOffset() >= SLAB_LIMIT);
  });

  test("claim uses the slab up to an offset; the next region starts there", () => {
    const buffer = reserve(6);
    const at = reservedOffset();
    buffer.set([1, 2, 3], at);
    claim(at + 3);
    assert.equal(reservedOffset(), at + 3);
    assert.equal(reserve(3), buffer);
    buffer.set([4, 5, 6], at + 3);
    claim(at + 6);
    assert.deepEqual([...buffer.subarray(at, at + 6)], [1, 2, 3, 4, 5, 6]);
    assert.equal(reservedOffset(), at + 6);
  });
});
