import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  headerSize,
  MAX_HEADER_SIZE,
  writeHeader,
} from "../../src/protocol/_frame_header.ts";

describe("headerSize", () => {
  test("is 2, 4 or 10 bytes by length, plus 4 when masked", () => {
    assert.deepEqual(
      [0, 125, 126, 65535, 65536, 2 ** 40].map((n) => headerSize(n, false)),
      [2, 2, 4, 4, 10, 10],
    );
    assert.deepEqual([0, 126, 65536].map((n) => headerSize(n, true)), [
      6,
      8,
      14,
    ]);
    assert.equal(MAX_HEADER_SIZE, 14);
  });
});

describe("writeHeader", () => {
  test("writes at an offset and returns the size", () => {
    const buffer = new Uint8Array(20).fill(0xee);
    const size = writeHeader(buffer, 3, 0x82, 256, undefined);
    assert.equal(size, 4);
    assert.deepEqual([...buffer.subarray(0, 8)], [
      0xee,
      0xee,
      0xee,
      0x82,
      0x7e,
      0x01,
      0x00,
      0xee,
    ]);
  });

  test("writes a 64-bit length above 2^32 in network byte order", () => {
    const buffer = new Uint8Array(10);
    writeHeader(buffer, 0, 0x82, 2 ** 32 + 0x01020304, undefined);
    assert.deepEqual([...buffer], [0x82, 0x7f, 0, 0, 0, 1, 1, 2, 3, 4]);
  });

  test("writes the mask after the length and sets the MASK bit", () => {
    const buffer = new Uint8Array(8);
    const size = writeHeader(
      buffer,
      0,
      0x81,
      300,
      new Uint8Array([1, 2, 3, 4]),
    );
    assert.equal(size, 8);
    assert.deepEqual([...buffer], [0x81, 0xfe, 0x01, 0x2c, 1, 2, 3, 4]);
  });
});
