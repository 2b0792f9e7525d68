import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { MessageAssembler } from "../../src/protocol/message_assembler.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const hasCode = (code: number, message?: string) => (error: unknown): boolean =>
  error instanceof ProtocolError && error.code === code &&
  (message === undefined || error.message === message);

/** Feeds one frame, payload in the given pieces; returns frameEnd()'s result. */
function frame(
  assembler: MessageAssembler,
  opcode: number,
  fin: boolean,
  pieces: Uint8Array[],
): string | Uint8Array | undefined {
  const length = pieces.reduce((n, p) => n + p.length, 0);
  assembler.frameStart(opcode, fin, length);
  for (const piece of pieces) {
    if (piece.length > 0) assembler.framePayload(piece, 0, piece.length);
  }
  return assembler.frameEnd();
}

describe("MessageAssembler: text", () => {
  test("a single frame in one piece", () => {
    assert.equal(
      frame(new MessageAssembler(), 1, true, [enc("Hello")]),
      "Hello",
    );
  });

  test("a single frame in pieces that split a character", () => {
    const bytes = enc("h€llo");
    const assembler = new MessageAssembler();
    assert.equal(
      frame(assembler, 1, true, [
        bytes.subarray(0, 2),
        bytes.subarray(2, 3),
        bytes.subarray(3),
      ]),
      "h€llo",
    );
  });

  test("fragments, with a character split across fragments", () => {
    const bytes = enc("κόσμε");
    const assembler = new MessageAssembler();
    assert.equal(frame(assembler, 1, false, [bytes.subarray(0, 3)]), undefined);
    assert.equal(assembler.inProgress, true);
    assert.equal(frame(assembler, 0, false, [bytes.subarray(3, 5)]), undefined);
    assert.equal(frame(assembler, 0, true, [bytes.subarray(5)]), "κόσμε");
    assert.equal(assembler.inProgress, false);
  });

  test("empty messages, single and fragmented", () => {
    const assembler = new MessageAssembler();
    assert.equal(frame(assembler, 1, true, []), "");
    assert.equal(frame(assembler, 1, false, []), undefined);
    assert.equal(frame(assembler, 0, true, []), "");
  });

  test("keeps a byte order mark", () => {
    assert.equal(
      frame(new MessageAssembler(), 1, true, [enc("\ufeffA")]),
      "\ufeffA",
    );
  });

  test("invalid UTF-8 in a single frame: 1007", () => {
    const assembler = new MessageAssembler();
    assembler.frameStart(1, true, 2);
    assert.throws(
      () => assembler.framePayload(new Uint8Array([0xc0, 0x80]), 0, 2),
      hasCode(1007),
    );
  });

  test("invalid UTF-8 in the first fragment fails before the final fragment arrives", () => {
    const assembler = new MessageAssembler();
    assembler.frameStart(1, false, 4);
    assert.throws(
      () =>
        assembler.framePayload(new Uint8Array([0x41, 0xed, 0xa0, 0x80]), 0, 4),
      hasCode(1007, "Invalid UTF-8 in text data"),
    );
  });

  test("a sequence left incomplete by the final fragment: 1007 at its end", () => {
    const assembler = new MessageAssembler();
    assert.equal(frame(assembler, 1, false, [enc("a")]), undefined);
    assembler.frameStart(0, true, 2);
    assembler.framePayload(new Uint8Array([0xe2, 0x82]), 0, 2);
    assert.throws(() => assembler.frameEnd(), hasCode(1007));
  });

  test("a single frame ending inside a sequence, in pieces: 1007", () => {
    const assembler = new MessageAssembler();
    assembler.frameStart(1, true, 3);
    assembler.framePayload(new Uint8Array([0x41]), 0, 1);
    assembler.framePayload(new Uint8Array([0xe2, 0x82]), 0, 2);
    assert.throws(() => assembler.frameEnd(), hasCode(1007));
  });
});

describe("MessageAssembler: binary", () => {
  test("a single frame in one piece is a copy", () => {
    const payload = new Uint8Array([1, 2, 3]);
    const message = frame(new MessageAssembler(), 2, true, [
      payload,
    ]) as Uint8Array;
    payload.fill(0);
    assert.deepEqual([...message], [1, 2, 3]);
  });

  test("reads payload ranges of a larger source buffer", () => {
    const source = new Uint8Array([9, 9, 1, 2, 3, 9]);
    const assembler = new MessageAssembler();
    assembler.frameStart(2, true, 3);
    assembler.framePayload(source, 2, 5);
    assert.deepEqual(assembler.frameEnd(), new Uint8Array([1, 2, 3]));
    const text = new Uint8Array([0x20, 0x68, 0x69, 0x20]);
    assembler.frameStart(1, true, 2);
    assembler.framePayload(text, 1, 3);
    assert.equal(assembler.frameEnd(), "hi");
  });

  test("a single frame in pieces", () => {
    const payload = new Uint8Array(100).map((_, i) => i);
    const message = frame(new MessageAssembler(), 2, true, [
      payload.subarray(0, 1),
      payload.subarray(1, 60),
      payload.subarray(60),
    ]);
    assert.deepEqual(message, payload);
  });

  test("a single frame over 64 KiB in pieces (joined at the end)", () => {
    const payload = new Uint8Array(100_000).map((_, i) => i * 7);
    const message = frame(new MessageAssembler(), 2, true, [
      payload.subarray(0, 10),
      payload.subarray(10, 70_000),
      payload.subarray(70_000),
    ]);
    assert.deepEqual(message, payload);
  });

  test("fragments, pieces copied as they arrive", () => {
    const assembler = new MessageAssembler();
    const a = new Uint8Array([1, 2]);
    const b = new Uint8Array([3]);
    assert.equal(frame(assembler, 2, false, [a]), undefined);
    a.fill(9);
    assert.equal(frame(assembler, 0, false, []), undefined);
    const message = frame(assembler, 0, true, [b, new Uint8Array([4, 5])]);
    assert.deepEqual(message, new Uint8Array([1, 2, 3, 4, 5]));
  });

  test("empty messages, single and fragmented, are empty Uint8Arrays", () => {
    const assembler = new MessageAssembler();
    assert.deepEqual(frame(assembler, 2, true, []), new Uint8Array(0));
    assert.equal(frame(assembler, 2, false, []), undefined);
    assert.deepEqual(frame(assembler, 0, true, []), new Uint8Array(0));
  });
});

describe("MessageAssembler: violations", () => {
  test("a continuation frame without a message in progress: 1002", () => {
    assert.throws(
      () => new MessageAssembler().frameStart(0, true, 1),
      hasCode(1002, "Unexpected continuation frame"),
    );
  });

  test("a new text or binary frame while a fragmented message is in progress: 1002", () => {
    for (const opcode of [1, 2]) {
      const assembler = new MessageAssembler();
      frame(assembler, 2, false, [new Uint8Array(1)]);
      assert.throws(
        () => assembler.frameStart(opcode, true, 1),
        hasCode(1002, `Expected a continuation frame, got opcode ${opcode}`),
      );
    }
  });

  test("a message over the limit across fragments: 1009 at the header of the fragment that crosses it", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 10 });
    frame(assembler, 1, false, [enc("123456")]);
    frame(assembler, 0, false, [enc("7890")]); // exactly 10: fine
    assert.throws(
      () => assembler.frameStart(0, true, 1),
      hasCode(1009, "Message too big: 11 bytes, limit 10"),
    );
  });

  test("a single frame over the limit: 1009 before its payload", () => {
    assert.throws(
      () =>
        new MessageAssembler({ maxMessageSize: 10 }).frameStart(2, true, 11),
      hasCode(1009),
    );
  });

  test("the limit counts each message separately", () => {
    const assembler = new MessageAssembler({ maxMessageSize: 4 });
    for (let i = 0; i < 3; i++) {
      assert.deepEqual(
        frame(assembler, 2, false, [new Uint8Array(2)]),
        undefined,
      );
      assert.deepEqual(
        frame(assembler, 0, true, [new Uint8Array(2)]),
        new Uint8Array(4),
      );
    }
  });

  test("the default limit is 16 MiB", () => {
    const assembler = new MessageAssembler();
    assembler.frameStart(2, false, 16 * 1024 * 1024);
    assert.throws(() => assembler.frameStart(0, true, 1), hasCode(1009));
  });
});
