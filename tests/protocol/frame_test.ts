import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { Frame } from "../../src/protocol/frame.ts";
import { UsageError } from "../../src/protocol/errors.ts";

describe("Frame", () => {
  test("keeps opcode, payload (same reference), fin and rsv", () => {
    const payload = new Uint8Array([1, 2]);
    const frame = new Frame(0x2, payload, { fin: false, rsv: 4 });
    assert.equal(frame.opcode, 2);
    assert.equal(frame.payload, payload);
    assert.equal(frame.fin, false);
    assert.equal(frame.rsv, 4);
  });

  test("defaults to fin true and rsv 0", () => {
    const frame = new Frame(0x1, new Uint8Array(0));
    assert.equal(frame.fin, true);
    assert.equal(frame.rsv, 0);
  });

  test("allows building reserved opcodes (for tests and extensions) but not out-of-range ones", () => {
    assert.equal(new Frame(0x3, new Uint8Array(0)).opcode, 3);
    assert.throws(() => new Frame(16, new Uint8Array(0)), {
      name: "UsageError",
      message: "Invalid opcode: 16",
    });
    assert.throws(() => new Frame(-1, new Uint8Array(0)), UsageError);
    assert.throws(() => new Frame(1, new Uint8Array(0), { rsv: 8 }), {
      message: "Invalid RSV bits: 8",
    });
  });

  test("Frame.text encodes UTF-8", () => {
    const frame = Frame.text("€");
    assert.equal(frame.opcode, 1);
    assert.deepEqual([...frame.payload], [0xe2, 0x82, 0xac]);
    assert.equal(frame.fin, true);
  });

  test("Frame.binary keeps the data without copying", () => {
    const data = new Uint8Array([9]);
    const frame = Frame.binary(data);
    assert.equal(frame.opcode, 2);
    assert.equal(frame.payload, data);
  });

  test("Frame.ping and Frame.pong take bytes, a string or nothing", () => {
    assert.deepEqual([...Frame.ping("hi").payload], [0x68, 0x69]);
    assert.equal(Frame.ping().payload.length, 0);
    assert.equal(Frame.ping().opcode, 9);
    assert.deepEqual([...Frame.pong(new Uint8Array([7])).payload], [7]);
    assert.equal(Frame.pong().opcode, 10);
  });

  test("Frame.ping and Frame.pong reject payloads over 125 bytes", () => {
    assert.equal(Frame.ping(new Uint8Array(125)).payload.length, 125);
    assert.throws(() => Frame.ping(new Uint8Array(126)), {
      name: "UsageError",
      message: "Control frame payload too long: 126 bytes",
    });
    assert.throws(() => Frame.pong("x".repeat(126)), UsageError);
  });

  test("Frame.close builds the body and validates the code", () => {
    const frame = Frame.close(1000, "bye");
    assert.equal(frame.opcode, 8);
    assert.deepEqual([...frame.payload], [0x03, 0xe8, 0x62, 0x79, 0x65]);
    assert.equal(Frame.close().payload.length, 0);
    assert.throws(() => Frame.close(1005), {
      name: "UsageError",
      message: "Invalid close code: 1005",
    });
  });

  test("Frame.close caps the reason at 123 bytes without splitting a character", () => {
    const frame = Frame.close(1000, "😀".repeat(40)); // 160 bytes
    assert.equal(frame.payload.length, 2 + 120); // 30 whole emoji
    assert.equal(
      new TextDecoder().decode(frame.payload.subarray(2)),
      "😀".repeat(30),
    );
  });
});
