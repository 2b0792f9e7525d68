import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { closeCodeFor, ProtocolError, UsageError } from "../src/errors.ts";

describe("ProtocolError", () => {
  test("carries its close code and message", () => {
    const error = new ProtocolError(1007, "Invalid UTF-8 in text data");
    assert.equal(error.code, 1007);
    assert.equal(error.message, "Invalid UTF-8 in text data");
    assert.equal(error.name, "ProtocolError");
    assert.ok(error instanceof Error);
  });

  test("keeps a cause", () => {
    const cause = new TypeError("bad");
    assert.equal(new ProtocolError(1002, "X", { cause }).cause, cause);
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
      closeCodeFor(new ProtocolError(1009, "Message too big")),
      1009,
    );
    assert.equal(
      closeCodeFor(new ProtocolError(1002, "Invalid opcode: 3")),
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
