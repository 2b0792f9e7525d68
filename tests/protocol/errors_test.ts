import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  asProtocolError,
  closeCodeFor,
  FAILURE_CLOSE_CODES,
  ProtocolError,
  UsageError,
} from "../../src/protocol/errors.ts";

describe("ProtocolError", () => {
  test("carries its kind, the close code of that kind, and its message", () => {
    const error = new ProtocolError(
      "invalid-data",
      "Invalid UTF-8 in text data",
    );
    assert.equal(error.kind, "invalid-data");
    assert.equal(error.code, 1007);
    assert.equal(error.message, "Invalid UTF-8 in text data");
    assert.equal(error.name, "ProtocolError");
    assert.ok(error instanceof Error);
  });

  test("keeps a cause", () => {
    const cause = new TypeError("bad");
    assert.equal(new ProtocolError("protocol", "X", { cause }).cause, cause);
  });
});

describe("UsageError", () => {
  test("is an Error with its own name, distinct from ProtocolError", () => {
    const error = new UsageError("Invalid close code: 1005");
    assert.equal(error.name, "UsageError");
    assert.equal(error.message, "Invalid close code: 1005");
    assert.ok(error instanceof Error);
    assert.equal(error instanceof ProtocolError, false);
  });
});

describe("closeCodeFor", () => {
  test("returns a ProtocolError's code", () => {
    assert.equal(
      closeCodeFor(new ProtocolError("too-big", "Message too big")),
      1009,
    );
    assert.equal(
      closeCodeFor(new ProtocolError("protocol", "Invalid opcode: 3")),
      1002,
    );
  });

  test("returns 1011 for anything else", () => {
    assert.equal(closeCodeFor(new Error("Boom")), 1011);
    assert.equal(closeCodeFor(new UsageError("Misuse")), 1011);
    assert.equal(closeCodeFor("a string"), 1011);
    assert.equal(closeCodeFor(undefined), 1011);
  });
});

describe("FAILURE_CLOSE_CODES: the one table from failures to close codes", () => {
  test("maps every kind to the RFC 6455 §7.4.1 code", () => {
    assert.deepEqual({ ...FAILURE_CLOSE_CODES }, {
      "protocol": 1002,
      "invalid-data": 1007,
      "policy": 1008,
      "too-big": 1009,
      "extension": 1010,
      "keepalive": 1011,
      "internal": 1011,
    });
  });

  test("asProtocolError keeps a ProtocolError and wraps anything else as internal (1011)", () => {
    const own = new ProtocolError("policy", "Rate limit");
    assert.equal(asProtocolError(own), own);
    const wrapped = asProtocolError(new TypeError("boom"));
    assert.equal(wrapped.kind, "internal");
    assert.equal(wrapped.code, 1011);
    assert.match(wrapped.message, /boom/);
    assert.equal(asProtocolError("text").message, "Internal error: text");
  });
});
