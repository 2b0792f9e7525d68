import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  encodeFrame,
  encodeFrameBytes,
  encodeFrameHeader,
} from "../src/frame_encoder.ts";
import { Frame } from "../src/frame.ts";
import { Opcode } from "../src/opcode.ts";
import { UsageError } from "../src/errors.ts";
import { concat, rawFrame } from "./_frames.ts";
import { prng } from "./_prng.ts";

const MASK = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);
const HELLO = new TextEncoder().encode("Hello");
const list = (bytes: Uint8Array): number[] => [...bytes];

describe("RFC 6455 §5.7 examples, encoded", () => {
  test("a single-frame unmasked text message", () => {
    assert.deepEqual(
      list(encodeFrameBytes(Frame.text("Hello"))),
      [0x81, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
    );
  });

  test("a single-frame masked text message", () => {
    assert.deepEqual(
      list(encodeFrameBytes(Frame.text("Hello"), { mask: MASK })),
      [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    );
  });

  test("a fragmented unmasked text message", () => {
    const first = new Frame(Opcode.Text, HELLO.subarray(0, 3), { fin: false });
    const last = new Frame(Opcode.Continuation, HELLO.subarray(3));
    assert.deepEqual(list(encodeFrameBytes(first)), [
      0x01,
      0x03,
      0x48,
      0x65,
      0x6c,
    ]);
    assert.deepEqual(list(encodeFrameBytes(last)), [0x80, 0x02, 0x6c, 0x6f]);
  });

  test("an unmasked ping and a masked pong", () => {
    assert.deepEqual(
      list(encodeFrameBytes(Frame.ping("Hello"))),
      [0x89, 0x05, 0x48, 0x65, 0x6c, 0x6c, 0x6f],
    );
    assert.deepEqual(
      list(encodeFrameBytes(Frame.pong("Hello"), { mask: MASK })),
      [0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58],
    );
  });

  test("256 bytes binary: 0x82 0x7E 0x0100", () => {
    const data = new Uint8Array(256).map((_, i) => i);
    const [header, payload] = encodeFrame(Frame.binary(data));
    assert.deepEqual(list(header), [0x82, 0x7e, 0x01, 0x00]);
    assert.equal(payload, data);
  });

  test("64 KiB binary: 0x82 0x7F 0x0000000000010000", () => {
    const data = new Uint8Array(65536).fill(7);
    const bytes = encodeFrameBytes(Frame.binary(data));
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

describe("encodeFrameHeader", () => {
  test("uses the 7-bit form up to 125, 16-bit up to 65535, 64-bit beyond", () => {
    assert.deepEqual(list(encodeFrameHeader(Opcode.Binary, 125)), [0x82, 125]);
    assert.deepEqual(list(encodeFrameHeader(Opcode.Binary, 126)), [
      0x82,
      126,
      0,
      126,
    ]);
    assert.deepEqual(list(encodeFrameHeader(Opcode.Binary, 65535)), [
      0x82,
      126,
      0xff,
      0xff,
    ]);
    assert.deepEqual(
      list(encodeFrameHeader(Opcode.Binary, 65536)),
      [0x82, 127, 0, 0, 0, 0, 0, 1, 0, 0],
    );
    assert.deepEqual(
      list(encodeFrameHeader(Opcode.Binary, 2 ** 53 - 1)),
      [0x82, 127, 0x00, 0x1f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    );
  });

  test("writes FIN, RSV and opcode in the first byte", () => {
    assert.equal(encodeFrameHeader(Opcode.Text, 0, { fin: false })[0], 0x01);
    assert.equal(encodeFrameHeader(Opcode.Text, 0, { rsv: 4 })[0], 0xc1);
    assert.equal(
      encodeFrameHeader(Opcode.Continuation, 0, { fin: false, rsv: 7 })[0],
      0x70,
    );
  });

  test("appends the mask and sets the MASK bit", () => {
    assert.deepEqual(
      list(encodeFrameHeader(Opcode.Text, 5, { mask: MASK })),
      [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d],
    );
  });

  test("rejects invalid arguments with UsageError", () => {
    assert.throws(() => encodeFrameHeader(16, 0), {
      name: "UsageError",
      message: "Invalid opcode: 16",
    });
    assert.throws(() => encodeFrameHeader(1, -1), {
      message: "Invalid payload length: -1",
    });
    assert.throws(() => encodeFrameHeader(1, 1.5), UsageError);
    assert.throws(() => encodeFrameHeader(1, 2 ** 53), UsageError);
    assert.throws(() => encodeFrameHeader(1, 0, { rsv: 8 }), {
      message: "Invalid RSV bits: 8",
    });
    assert.throws(() => encodeFrameHeader(1, 0, { mask: new Uint8Array(3) }), {
      message: "Invalid mask length: 3",
    });
  });
});

describe("encodeFrame", () => {
  test("returns the frame's own payload when unmasked (no copy)", () => {
    const frame = Frame.binary(new Uint8Array([1, 2, 3]));
    const [, payload] = encodeFrame(frame);
    assert.equal(payload, frame.payload);
  });

  test("returns a masked copy when masked, leaving the frame's payload intact", () => {
    const frame = Frame.text("Hello");
    const [header, payload] = encodeFrame(frame, { mask: MASK });
    assert.deepEqual(list(header), [0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d]);
    assert.deepEqual(list(payload), [0x7f, 0x9f, 0x4d, 0x51, 0x58]);
    assert.deepEqual(list(frame.payload), list(HELLO));
  });

  test("header + payload equal encodeFrameBytes and a hand-built frame, for random frames", () => {
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
      assert.deepEqual(
        concat(encodeFrame(frame, { mask })),
        expected,
        `case ${i}`,
      );
      assert.deepEqual(
        encodeFrameBytes(frame, { mask }),
        expected,
        `case ${i}`,
      );
    }
  });
});
