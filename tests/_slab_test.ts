import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  commit,
  endsAt,
  reserve,
  reservedOffset,
  SLAB_LIMIT,
} from "../src/_slab.ts";

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
      previous = commit(at, at + size);
      views.push([previous, i & 0xff]);
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

  test("endsAt tells a view of the current slab that ends at an offset, and commit joins it with what follows", () => {
    reserve(6);
    const at = reservedOffset();
    const buffer = reserve(6);
    buffer.set([1, 2, 3], at);
    const first = commit(at, at + 3);
    buffer.set([4, 5, 6], at + 3);
    assert.equal(endsAt(first, at + 3), true);
    assert.equal(endsAt(first, at + 4), false);
    assert.deepEqual([...commit(first.byteOffset, at + 6)], [1, 2, 3, 4, 5, 6]);
    assert.equal(endsAt(new Uint8Array(first), at + 3), false);
    // A full slab is replaced: views of the old one never match.
    reserve(SLAB_LIMIT);
    for (let i = 0; i < 8; i++) {
      commit(reservedOffset(), reservedOffset() + SLAB_LIMIT);
      reserve(SLAB_LIMIT);
    }
    assert.equal(endsAt(first, at + 6), false);
  });
});
