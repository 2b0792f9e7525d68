import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Slab, SLAB_LIMIT } from "../../src/protocol/slab.ts";

describe("Slab", () => {
  test("hands out disjoint regions, each right after the last, that are never written again", () => {
    const slab = new Slab();
    const views: Array<[Uint8Array, number]> = [];
    let previous: Uint8Array | undefined;
    for (let i = 0; i < 2000; i++) {
      const size = 1 + (i * 37) % 300;
      const buffer = slab.reserve(size);
      const at = slab.offset();
      if (previous !== undefined && previous.buffer === buffer.buffer) {
        assert.equal(at, previous.byteOffset + previous.length);
      }
      buffer.fill(i & 0xff, at, at + size);
      slab.claim(at + size);
      previous = buffer.subarray(at, at + size);
      views.push([previous, i & 0xff]);
    }
    // Past several slabs, every earlier view still holds what was written.
    for (const [view, value] of views) {
      assert.ok(view.every((b) => b === value));
    }
  });

  test("always has room for SLAB_LIMIT bytes", () => {
    const slab = new Slab();
    slab.reserve(10);
    slab.claim(slab.offset() + 10);
    const buffer = slab.reserve(SLAB_LIMIT);
    assert.ok(buffer.length - slab.offset() >= SLAB_LIMIT);
  });

  test("claim uses the slab up to an offset; the next region starts there", () => {
    const slab = new Slab();
    const buffer = slab.reserve(6);
    const at = slab.offset();
    buffer.set([1, 2, 3], at);
    slab.claim(at + 3);
    assert.equal(slab.offset(), at + 3);
    assert.equal(slab.reserve(3), buffer);
    buffer.set([4, 5, 6], at + 3);
    slab.claim(at + 6);
    assert.deepEqual([...buffer.subarray(at, at + 6)], [1, 2, 3, 4, 5, 6]);
    assert.equal(slab.offset(), at + 6);
  });

  test("two slabs never share a buffer", () => {
    const a = new Slab();
    const b = new Slab();
    assert.notEqual(a.reserve(1).buffer, b.reserve(1).buffer);
  });
});
