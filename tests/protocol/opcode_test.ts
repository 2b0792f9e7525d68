import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { isControl, isKnownOpcode, Opcode } from "../../src/protocol/opcode.ts";

describe("Opcode", () => {
  test("has the RFC 6455 §11.8 values", () => {
    assert.deepEqual({ ...Opcode }, {
      Continuation: 0,
      Text: 1,
      Binary: 2,
      Close: 8,
      Ping: 9,
      Pong: 10,
    });
  });

  test("isControl is true exactly for 0x8-0xF", () => {
    const control = [];
    for (let op = 0; op < 16; op++) if (isControl(op)) control.push(op);
    assert.deepEqual(control, [8, 9, 10, 11, 12, 13, 14, 15]);
  });

  test("isKnownOpcode is true exactly for 0x0-0x2 and 0x8-0xA", () => {
    const known = [];
    for (let op = -1; op < 17; op++) if (isKnownOpcode(op)) known.push(op);
    assert.deepEqual(known, [0, 1, 2, 8, 9, 10]);
  });
});
