import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { encodeFrame } from "../../src/protocol/frame_encoder.ts";
import { Frame } from "../../src/protocol/frame.ts";
import { Opcode } from "../../src/protocol/opcode.ts";
import { rawFrame } from "../_frames.ts";
import { prng } from "../_prng.ts";

const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const HELLO = new TextEncoder().encode("Hello");
const list = (bytes: Uint8Array): number[] => [...bytes];

describe("RFC 6455 §5.7 examples, encoded", () => {
  test("a single-frame unmasked text message", () => {
    assert.deepEqual(
      list(encodeFrame(Frame.text("Hello"))),
      [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
    );
  });

  test("a single-frame masked text message", () => {
    assert.deepEqual(
      list(encodeFrame(Frame.text("Hello"), { mask: MASK })),
      [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    );
  });

  test("a fragmented unmasked text message", () => {
    const first = new Frame(Opcode.Text, HELLO.subarray(0, 3), { fin: false });
    const last = new Frame(Opcode.Continuation, HELLO.subarray(3));
    assert.deepEqual(list(encodeFrame(first)), [
      0x01,
      0x03,
      0x48,
      0x65,
      0x6c,
    ]);
    assert.deepEqual(list(encodeFrame(last)), [0x80, 0x02, 0x6c, 0x6f]);
  });

  test("an unmasked ping and a masked pong", () => {
    assert.deepEqual(
      list(encodeFrame(Frame.ping("Hello"))),
      [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
    );
    assert.deepEqual(
      list(encodeFrame(Frame.pong("Hello"), { mask: MASK })),
      [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    );
  });

  test("256 bytes binary: 0x82 0x7E 0x0100", () => {
    const data = new Uint8Array(256).map((_, i) => i);
    const bytes = encodeFrame(Frame.binary(data));
    assert.deepEqual(list(bytes.subarray(0, 4)), [0x82, 0x7e, 0x01, 0x00]);
    assert.deepEqual(bytes.subarray(4), data);
  });

  test("64 KiB binary: 0x82 0x7F 0x0000000000010000", () => {
    const data = new Uint8Array(65536).fill(7);
    const bytes = encodeFrame(Frame.binary(data));
    assert.deepEqual(list(bytes.subarray(0, 10)), [
      0x82,
      0x7f,
      0,
      0,
      0,
      0,
      0,
      1,
      0,
      0,
    ]);
    assert.equal(bytes.length, 65546);
    assert.deepEqual(bytes.subarray(10), data);
  });
});

/** The header `encodeFrame` writes for a `length`-byte payload. */
function header(
  opcode: number,
  length: number,
  options: { fin?: boolean; rsv?: number; mask?: Uint8Array } = {},
): Uint8Array {
  const { mask, ...frameOptions } = options;
  const bytes = encodeFrame(
    new Frame(opcode, new Uint8Array(length), frameOptions),
    { mask },
  );
  return bytes.subarray(0, bytes.length - length);
}

describe("encodeFrame: the header", () => {
  test("uses the 7-bit form up to 125, 16-bit up to 65535, 64-bit beyond", () => {
    assert.deepEqual(list(header(Opcode.Binary, 125)), [0x82, 125]);
    assert.deepEqual(list(header(Opcode.Binary, 126)), [0x82, 126, 0, 126]);
    assert.deepEqual(list(header(Opcode.Binary, 65535)), [
      0x82,
      126,
      0xff,
      0xff,
    ]);
    assert.deepEqual(
      list(header(Opcode.Binary, 65536)),
      [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0],
    );
  });

  test("writes FIN, RSV and opcode in the first byte", () => {
    assert.equal(header(Opcode.Text, 0, { fin: false })[0], 0x01);
    assert.equal(header(Opcode.Text, 0, { rsv: 4 })[0], 0xc1);
    assert.equal(
      header(Opcode.Continuation, 0, { fin: false, rsv: 7 })[0],
      0x70,
    );
  });

  test("appends the mask and sets the MASK bit", () => {
    assert.deepEqual(
      list(header(Opcode.Text, 5, { mask: MASK })),
      [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d],
    );
  });

  test("rejects an invalid mask with UsageError", () => {
    assert.throws(
      () => encodeFrame(Frame.text("x"), { mask: new Uint8Array(3) }),
      { name: "UsageError", message: "Invalid mask length: 3" },
    );
  });
});

describe("encodeFrame", () => {
  test("masks a copy, leaving the frame's payload intact", () => {
    const frame = Frame.text("Hello");
    const bytes = encodeFrame(frame, { mask: MASK });
    assert.deepEqual(
      list(bytes),
      [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    );
    assert.deepEqual(list(frame.payload), list(HELLO));
  });

  test("equals a hand-built frame, for random frames", () => {
    const rng = prng(11);
    for (let i = 0; i < 200; i++) {
      const length = rng.pick([
        0,
        1,
        125,
        126,
        127,
        65535,
        65536,
        rng.int(0, 70000),
      ]);
      const payload = rng.bytes(length);
      const opcode = rng.pick([0, 1, 2]);
      const fin = rng.next() < 0.5;
      const rsv = rng.int(0, 7);
      const mask = rng.next() < 0.5 ? rng.bytes(4) : undefined;
      const frame = new Frame(opcode, payload, { fin, rsv });
      const expected = rawFrame(opcode, payload, {
        fin,
        rsv,
        mask: mask ? [...mask] : undefined,
      });
      assert.deepEqual(encodeFrame(frame, { mask }), expected, `case ${i}`);
    }
  });
});
