import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  FrameDecoder,
  type FrameDecoderOptions,
  type FrameHandler,
} from "../../src/protocol/frame_decoder.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { clientFrame, concat, rawFrame } from "../_frames.ts";

interface Decoded {
  opcode: number;
  fin: boolean;
  rsv: number;
  payload: number[];
}

/** A handler recording whole frames (data payload pieces joined). */
class Recorder implements FrameHandler {
  frames: Decoded[] = [];
  pieces: Uint8Array[] = [];
  current: Omit<Decoded, "payload"> | undefined;
  stopOnControl = false;
  decoder: FrameDecoder | undefined;

  onDataFrameStart(
    opcode: number,
    fin: boolean,
    rsv: number,
    _length: number,
  ): void {
    assert.equal(this.current, undefined, "frame started twice");
    this.current = { opcode, fin, rsv };
    this.pieces = [];
  }
  onDataFramePayload(source: Uint8Array, start: number, end: number): void {
    assert.ok(this.current, "payload outside a frame");
    assert.ok(end > start, "empty payload piece");
    this.pieces.push(source.slice(start, end));
  }
  onDataFrameEnd(): void {
    assert.ok(this.current, "end outside a frame");
    this.frames.push({ ...this.current, payload: [...concat(this.pieces)] });
    this.current = undefined;
  }
  onControlFrame(opcode: number, payload: Uint8Array, rsv: number): void {
    this.frames.push({ opcode, fin: true, rsv, payload: [...payload] });
    if (this.stopOnControl) this.decoder!.stop();
  }
}

function decoderFor(
  options?: FrameDecoderOptions,
): { decoder: FrameDecoder; recorder: Recorder } {
  const recorder = new Recorder();
  const decoder = new FrameDecoder(recorder, options);
  recorder.decoder = decoder;
  return { decoder, recorder };
}

function decode(bytes: Uint8Array, options?: FrameDecoderOptions): Decoded[] {
  const { decoder, recorder } = decoderFor(options);
  decoder.push(bytes.slice());
  return recorder.frames;
}

function errorOf(
  bytes: Uint8Array,
  options?: FrameDecoderOptions,
): ProtocolError {
  const { decoder } = decoderFor(options);
  try {
    decoder.push(bytes.slice());
  } catch (error) {
    assert.ok(error instanceof ProtocolError, `not a ProtocolError: ${error}`);
    assert.equal(decoder.stopped, true);
    return error;
  }
  assert.fail("no error");
}

const HELLO = [0x48, 0x65, 0x6c, 0x6c, 0x6f];
const CLIENT: FrameDecoderOptions = { role: "client" };
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

describe("RFC 6455 §5.7 examples, decoded", () => {
  test("a single-frame unmasked text message (client role)", () => {
    assert.deepEqual(decode(bytes(0x81, 0x05, ...HELLO), CLIENT), [
      { opcode: 1, fin: true, rsv: 0, payload: HELLO },
    ]);
  });

  test("a single-frame masked text message (server role)", () => {
    assert.deepEqual(
      decode(
        bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
      ),
      [{ opcode: 1, fin: true, rsv: 0, payload: HELLO }],
    );
  });

  test("a fragmented unmasked text message", () => {
    assert.deepEqual(
      decode(
        bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f),
        CLIENT,
      ),
      [
        { opcode: 1, fin: false, rsv: 0, payload: [0x48, 0x65, 0x6c] },
        { opcode: 0, fin: true, rsv: 0, payload: [0x6c, 0x6f] },
      ],
    );
  });

  test("an unmasked ping and a masked pong", () => {
    assert.deepEqual(decode(bytes(0x89, 0x05, ...HELLO), CLIENT), [
      { opcode: 9, fin: true, rsv: 0, payload: HELLO },
    ]);
    assert.deepEqual(
      decode(
        bytes(0x8a, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
      ),
      [{ opcode: 10, fin: true, rsv: 0, payload: HELLO }],
    );
  });

  test("256 bytes binary with a 16-bit length", () => {
    const data = Array.from({ length: 256 }, (_, i) => i);
    assert.deepEqual(decode(bytes(0x82, 0x7e, 0x01, 0x00, ...data), CLIENT), [
      { opcode: 2, fin: true, rsv: 0, payload: data },
    ]);
  });

  test("64 KiB binary with a 64-bit length", () => {
    const data = new Uint8Array(65536).map((_, i) => i * 7);
    const frame = concat([bytes(0x82, 0x7f, 0, 0, 0, 0, 0, 1, 0, 0), data]);
    const [decoded] = decode(frame, CLIENT);
    assert.equal(decoded.opcode, 2);
    assert.deepEqual(decoded.payload, [...data]);
  });
});

describe("chunking", () => {
  const samples: Array<[string, Uint8Array, FrameDecoderOptions]> = [
    ["unmasked Hello", bytes(0x81, 0x05, ...HELLO), CLIENT],
    [
      "masked Hello",
      bytes(0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58),
      {},
    ],
    [
      "fragments",
      bytes(0x01, 0x03, 0x48, 0x65, 0x6c, 0x80, 0x02, 0x6c, 0x6f),
      CLIENT,
    ],
    ["masked ping", clientFrame(0x9, HELLO), {}],
    ["masked 125-byte ping", clientFrame(0x9, new Uint8Array(125).fill(3)), {}],
    [
      "masked empty close + data",
      concat([clientFrame(0x2, []), clientFrame(0x8, [])]),
      {},
    ],
    [
      "masked 300-byte binary",
      clientFrame(0x2, new Uint8Array(300).map((_, i) => i)),
      {},
    ],
    [
      "fragments with control frames between",
      concat([
        clientFrame(0x1, "ab", { fin: false }),
        clientFrame(0x9, "p"),
        clientFrame(0x0, "cd", { fin: false }),
        clientFrame(0xa, []),
        clientFrame(0x0, "ef"),
      ]),
      {},
    ],
  ];

  for (const [name, frame, options] of samples) {
    test(`${name}: decodes identically when split at every boundary`, () => {
      const expected = decode(frame, options);
      for (let cut = 1; cut < frame.length; cut++) {
        const { decoder, recorder } = decoderFor(options);
        const copy = frame.slice();
        decoder.push(copy.subarray(0, cut));
        decoder.push(copy.subarray(cut));
        assert.deepEqual(recorder.frames, expected, `cut at ${cut}`);
      }
    });

    test(`${name}: decodes identically fed one byte at a time`, () => {
      const expected = decode(frame, options);
      const { decoder, recorder } = decoderFor(options);
      for (const b of frame) decoder.push(bytes(b));
      assert.deepEqual(recorder.frames, expected);
    });
  }

  test("a 64 KiB masked frame: every cut in its header and around the payload's words", () => {
    const data = new Uint8Array(65536).map((_, i) => (i * 31) & 0xff);
    const frame = clientFrame(0x2, data);
    const cuts = [];
    for (let cut = 1; cut < 40; cut++) cuts.push(cut);
    for (const cut of [1000, 1001, 1002, 1003, 32768, 65535, 65545]) {
      cuts.push(cut);
    }
    for (const cut of cuts) {
      const { decoder, recorder } = decoderFor();
      const copy = frame.slice();
      decoder.push(copy.subarray(0, cut));
      decoder.push(copy.subarray(cut));
      assert.equal(recorder.frames.length, 1, `cut at ${cut}`);
      assert.deepEqual(
        new Uint8Array(recorder.frames[0].payload),
        data,
        `cut at ${cut}`,
      );
    }
  });

  test("a 64 KiB masked frame fed one byte at a time", () => {
    const data = new Uint8Array(65536).map((_, i) => (i * 13) & 0xff);
    const frame = clientFrame(0x2, data);
    const { decoder, recorder } = decoderFor();
    for (let i = 0; i < frame.length; i++) {
      decoder.push(frame.subarray(i, i + 1));
    }
    assert.deepEqual(new Uint8Array(recorder.frames[0].payload), data);
  });

  test("hands data payload pieces on as they arrive, holding at most a header", () => {
    const data = new Uint8Array(1000).fill(5);
    const frame = clientFrame(0x2, data);
    let received = 0;
    const decoder = new FrameDecoder({
      onDataFrameStart: () => {},
      onDataFramePayload: (_source, start, end) => {
        received += end - start;
      },
      onDataFrameEnd: () => {},
      onControlFrame: () => {},
    });
    decoder.push(frame.subarray(0, 5)); // partial header
    assert.equal(decoder.bufferedBytes, 5);
    decoder.push(frame.subarray(5, 508)); // rest of the 8-byte header + 500 payload bytes
    assert.equal(received, 500);
    assert.equal(decoder.bufferedBytes, 0);
    decoder.push(frame.subarray(508));
    assert.equal(received, 1000);
  });

  test("holds a split control frame and never buffers more than 14 + 125 bytes", () => {
    const frame = concat([
      clientFrame(0x9, new Uint8Array(125).fill(1)),
      clientFrame(0x2, new Uint8Array(70000)),
    ]);
    const { decoder, recorder } = decoderFor();
    let most = 0;
    for (let i = 0; i < frame.length; i++) {
      decoder.push(frame.subarray(i, i + 1));
      most = Math.max(most, decoder.bufferedBytes);
    }
    // 124 ping bytes held; the 125th completes the frame and frees them.
    assert.equal(most, 124);
    assert.ok(most <= 14 + 125);
    assert.equal(recorder.frames.length, 2);
  });

  test("unmasks in place in the caller's buffer", () => {
    const frame = bytes(
      0x81,
      0x85,
      0x37,
      0xfa,
      0x21,
      0x3d,
      0x7f,
      0x9f,
      0x4d,
      0x51,
      0x58,
    );
    new FrameDecoder({
      onDataFrameStart: () => {},
      onDataFramePayload: () => {},
      onDataFrameEnd: () => {},
      onControlFrame: () => {},
    }).push(frame);
    assert.deepEqual([...frame.subarray(6)], HELLO);
  });

  test("stop() from a handler ignores the rest of the chunk and later chunks", () => {
    const { decoder, recorder } = decoderFor();
    recorder.stopOnControl = true;
    decoder.push(concat([clientFrame(0x8, []), clientFrame(0x1, "ignored")]));
    decoder.push(clientFrame(0x1, "also ignored"));
    assert.deepEqual(recorder.frames.map((f) => f.opcode), [8]);
    assert.equal(decoder.stopped, true);
  });
});

describe("violations", () => {
  test("RSV bits not negotiated: 1002, from the first byte alone", () => {
    for (const rsv of [1, 2, 4, 7]) {
      const error = errorOf(bytes(0x80 | (rsv << 4) | 0x1));
      assert.equal(error.code, 1002);
      assert.equal(error.message, `Invalid RSV bits: ${rsv}`);
    }
  });

  test("negotiated RSV bits are accepted and reported; others still fail", () => {
    const frames = decode(clientFrame(0x1, "x", { rsv: 4 }), { allowedRsv: 4 });
    assert.equal(frames[0].rsv, 4);
    assert.equal(
      errorOf(clientFrame(0x1, "x", { rsv: 2 }), { allowedRsv: 4 }).code,
      1002,
    );
  });

  test("unknown opcodes 3-7 and 0xB-0xF: 1002", () => {
    for (const opcode of [3, 4, 5, 6, 7, 0xb, 0xc, 0xd, 0xe, 0xf]) {
      const error = errorOf(bytes(0x80 | opcode));
      assert.equal(error.code, 1002, `opcode ${opcode}`);
      assert.equal(error.message, `Invalid opcode: ${opcode}`);
    }
  });

  test("a fragmented control frame (FIN unset): 1002", () => {
    for (const opcode of [8, 9, 10]) {
      const error = errorOf(clientFrame(opcode, [], { fin: false }));
      assert.equal(error.code, 1002);
      assert.equal(error.message, `Fragmented control frame: opcode ${opcode}`);
    }
  });

  test("a control frame over 125 bytes: 1002, from the second byte", () => {
    assert.equal(errorOf(clientFrame(0x9, new Uint8Array(126))).code, 1002);
    assert.equal(
      errorOf(bytes(0x89, 0x80 | 126)).message,
      "Control frame payload over 125 bytes",
    );
    assert.equal(errorOf(bytes(0x88, 0x80 | 127)).code, 1002);
  });

  test("an unmasked frame in the server role: 1002", () => {
    const error = errorOf(bytes(0x81, 0x05, ...HELLO));
    assert.equal(error.code, 1002);
    assert.equal(error.message, "Unmasked frame from client");
  });

  test("a masked frame in the client role: 1002", () => {
    const error = errorOf(clientFrame(0x1, "x"), CLIENT);
    assert.equal(error.code, 1002);
    assert.equal(error.message, "Masked frame from server");
  });

  test("a 64-bit length with the most significant bit set: 1002", () => {
    const header = bytes(0x82, 0xff, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4);
    const error = errorOf(header);
    assert.equal(error.code, 1002);
    assert.equal(
      error.message,
      "Invalid payload length: most significant bit set",
    );
  });

  test("a frame over maxFrameSize: 1009 from the header alone, before any payload", () => {
    const header = rawFrame(0x2, [], {
      mask: [1, 2, 3, 4],
      announcedLength: 1001,
    });
    const error = errorOf(header, { maxFrameSize: 1000 });
    assert.equal(error.code, 1009);
    assert.equal(error.message, "Frame too big: 1001 bytes, limit 1000");
    assert.deepEqual(
      decode(clientFrame(0x2, new Uint8Array(1000)), { maxFrameSize: 1000 })
        .length,
      1,
    );
  });

  test("a 64-bit length beyond 2^53 is rejected as too big (1009)", () => {
    const header = bytes(
      0x82,
      0xff,
      0x7f,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      0xff,
      1,
      2,
      3,
      4,
    );
    assert.equal(errorOf(header).code, 1009);
  });

  test("the default frame limit is 16 MiB", () => {
    const over = rawFrame(0x2, [], {
      mask: [1, 2, 3, 4],
      announcedLength: 16 * 1024 * 1024 + 1,
    });
    assert.equal(errorOf(over).code, 1009);
    const { decoder } = decoderFor();
    decoder.push(
      rawFrame(0x2, [], {
        mask: [1, 2, 3, 4],
        announcedLength: 16 * 1024 * 1024,
      }),
    );
    assert.equal(decoder.stopped, false);
  });

  test("a violation stops the decoder: later bytes are ignored", () => {
    const { decoder, recorder } = decoderFor();
    assert.throws(() => decoder.push(bytes(0x83)), ProtocolError);
    decoder.push(clientFrame(0x1, "x"));
    assert.deepEqual(recorder.frames, []);
  });

  test("frames before a violation in the same chunk are delivered", () => {
    const { decoder, recorder } = decoderFor();
    assert.throws(() =>
      decoder.push(concat([clientFrame(0x1, "ok"), bytes(0x83, 0x80)]))
    );
    assert.equal(recorder.frames.length, 1);
  });
});
