import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeClosePayload,
  MAX_CLOSE_REASON_BYTES,
  parseClosePayload,
  truncateUtf8,
} from "../../src/protocol/close_payload.ts";
import { ProtocolError, UsageError } from "../../src/protocol/errors.ts";

const decode = (b: Uint8Array): string => new TextDecoder().decode(b);
const hasCode = (code: number) => (error: unknown): boolean =>
  error instanceof ProtocolError && error.code === code;

describe("truncateUtf8", () => {
  test("keeps text that fits", () => {
    assert.deepEqual([...truncateUtf8("abc", 3)], [0x61, 0x62, 0x63]);
  });

  test("never splits a 2-, 3- or 4-byte character", () => {
    assert.equal(decode(truncateUtf8("héllo", 2)), "h");
    assert.equal(decode(truncateUtf8("a€", 3)), "a");
    assert.equal(decode(truncateUtf8("a€", 4)), "a€");
    assert.equal(decode(truncateUtf8("ab😀", 5)), "ab");
    assert.equal(decode(truncateUtf8("ab😀", 6)), "ab😀");
  });

  test("cuts a surrogate pair straddling the limit whole", () => {
    const text = "a".repeat(122) + "😀";
    assert.equal(decode(truncateUtf8(text, 123)), "a".repeat(122));
  });
});

describe("encodeClosePayload", () => {
  test("is empty without a code", () => {
    assert.equal(encodeClosePayload().length, 0);
  });

  test("writes the code in network byte order, then the reason", () => {
    assert.deepEqual([...encodeClosePayload(1000, "ok")], [
      0x03,
      0xe8,
      0x6f,
      0x6b,
    ]);
    assert.deepEqual([...encodeClosePayload(4999)], [0x13, 0x87]);
  });

  test("caps the reason at 123 bytes so the body is at most 125", () => {
    const body = encodeClosePayload(1000, "x".repeat(500));
    assert.equal(MAX_CLOSE_REASON_BYTES, 123);
    assert.equal(body.length, 125);
  });

  test("caps a multi-byte reason without splitting a character", () => {
    // 62 × "é" (2 bytes each) = 124 bytes: only 61 fit in 123.
    const body = encodeClosePayload(1001, "é".repeat(62));
    assert.equal(body.length, 2 + 122);
    assert.equal(decode(body.subarray(2)), "é".repeat(61));
    // "€" is 3 bytes: 41 fit exactly in 123.
    assert.equal(
      decode(encodeClosePayload(1001, "€".repeat(50)).subarray(2)),
      "€".repeat(41),
    );
  });

  test("throws UsageError for codes that may not be sent", () => {
    for (const code of [0, 999, 1004, 1005, 1006, 1015, 2000, 5000]) {
      assert.throws(() => encodeClosePayload(code), {
        name: "UsageError",
        message: `Invalid close code: ${code}`,
      });
    }
  });

  test("throws UsageError for a reason without a code", () => {
    assert.throws(() => encodeClosePayload(undefined, "why"), UsageError);
  });
});

describe("parseClosePayload", () => {
  test("reports 1005 and an empty reason for an empty body", () => {
    assert.deepEqual(parseClosePayload(new Uint8Array(0)), {
      code: 1005,
      reason: "",
    });
  });

  test("reads the code and the UTF-8 reason", () => {
    assert.deepEqual(
      parseClosePayload(new Uint8Array([0x0f, 0xa0, 0xce, 0xba])),
      { code: 4000, reason: "κ" },
    );
    assert.deepEqual(parseClosePayload(new Uint8Array([0x03, 0xe8])), {
      code: 1000,
      reason: "",
    });
  });

  test("rejects a 1-byte body with 1002", () => {
    assert.throws(
      () => parseClosePayload(new Uint8Array([0x03])),
      hasCode(1002),
    );
  });

  test("rejects codes invalid on the wire with 1002", () => {
    for (
      const code of [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]
    ) {
      assert.throws(
        () => parseClosePayload(new Uint8Array([code >> 8, code & 0xff])),
        hasCode(1002),
        `code ${code}`,
      );
    }
  });

  test("rejects an invalid UTF-8 reason with 1007", () => {
    assert.throws(
      () => parseClosePayload(new Uint8Array([0x03, 0xe8, 0xed, 0xa0, 0x80])),
      hasCode(1007),
    );
  });

  test("round-trips what encodeClosePayload builds", () => {
    assert.deepEqual(parseClosePayload(encodeClosePayload(3000, "fin 😀")), {
      code: 3000,
      reason: "fin 😀",
    });
  });
});
