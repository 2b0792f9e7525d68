import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { commit, reserve, reservedOffset, SLAB_LIMIT } from "../src/_slab.ts";

describe("slab", () => {
  test("hands out disjoint, 8-byte aligned regions that are never written again", () => {
    const views: Array<[Uint8Array, number]> = [];
    for (let i = 0; i < 2000; i++) {
      const size = 1 + (i * 37) % 300;
      const buffer = reserve(size);
      const at = reservedOffset();
      assert.equal(at % 8, 0);
      buffer.fill(i & 0xff, at, at + size);
      views.push([commit(at, at + size), i & 0xff]);
    }
    // Past several slabs, every earlier view still holds what was written.
    for (const [view, value] of views) {
      assert.ok(view.every((b) => b === value));
    }
  });

  test("always has room for SLAB_LIMIT bytes", () => {
    reserve(10);
    commit(reservedOffset(), reservedOffset() + 10);
    const buffer = reserve(SLAB_LIMIT);
    assert.ok(buffer.length - reservedOffset() >= SLAB_LIMIT);
  });
});
