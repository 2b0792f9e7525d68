import { describe, test } from "node:test";
import assert from "node:assert/strict";
import {
  decodeUtf8,
  isValidUtf8,
  Utf8StreamDecoder,
} from "../../src/protocol/utf8.ts";
import { ProtocolError } from "../../src/protocol/errors.ts";

const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);

/** "κόσμε" (with U+1F79), the Autobahn 6.x sample. */
const KOSME = [
  0xce,
  0xba,
  0xe1,
  0xbd,
  0xb9,
  0xcf,
  0x83,
  0xce,
  0xbc,
  0xce,
  0xb5,
];
const KOSME_TEXT = "\u03ba\u1f79\u03c3\u03bc\u03b5";

function is1007(error: unknown): boolean {
  return error instanceof ProtocolError && error.code === 1007;
}

describe("decodeUtf8", () => {
  test("decodes valid UTF-8 of 1 to 4 bytes per character", () => {
    assert.equal(decodeUtf8(new TextEncoder().encode("a é € 😀")), "a é € 😀");
    assert.equal(decodeUtf8(bytes(...KOSME)), KOSME_TEXT);
  });

  test("keeps a leading byte order mark", () => {
    assert.equal(decodeUtf8(bytes(0xef, 0xbb, 0xbf, 0x41)), "\ufeffA");
  });

  test("rejects invalid sequences with a 1007 ProtocolError", () => {
    const invalid = [
      [0xc0, 0x80], // overlong NUL
      [0xed, 0xa0, 0x80], // UTF-16 surrogate
      [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
      [0xff],
      [0x80], // lone continuation
      [0xe2, 0x82], // truncated
    ];
    for (const sequence of invalid) {
      assert.throws(
        () => decodeUtf8(bytes(...sequence)),
        is1007,
        sequence.join(","),
      );
    }
  });

  test("recovers after an error (the next decode starts fresh)", () => {
    assert.throws(() => decodeUtf8(bytes(0xe2, 0x82)));
    assert.equal(decodeUtf8(bytes(0x41)), "A");
  });
});

describe("isValidUtf8", () => {
  test("tells valid from invalid", () => {
    assert.equal(isValidUtf8(bytes(...KOSME)), true);
    assert.equal(isValidUtf8(bytes()), true);
    assert.equal(isValidUtf8(bytes(0xce)), false);
    assert.equal(isValidUtf8(bytes(0xed, 0xbf, 0xbf)), false);
  });
});

describe("Utf8StreamDecoder", () => {
  test("decodes a character split across pieces, byte by byte", () => {
    const decoder = new Utf8StreamDecoder();
    let text = "";
    for (const b of [0xf0, 0x9f, 0x98, 0x80, 0x21]) {
      text += decoder.push(bytes(b));
    }
    text += decoder.end();
    assert.equal(text, "😀!");
  });

  test("fails at the first invalid byte, before the rest arrives (Autobahn 6.4.2)", () => {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.push(bytes(...KOSME, 0xf4)), KOSME_TEXT);
    // 0xF4 0x90 can never be valid: fail now, not at the end.
    assert.throws(() => decoder.push(bytes(0x90)), is1007);
  });

  test("fails on a surrogate as soon as its second byte arrives", () => {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.push(bytes(0xed)), "");
    assert.throws(() => decoder.push(bytes(0xa0)), is1007);
  });

  test("fails at end() when the last sequence is incomplete", () => {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.push(bytes(0x41, 0xe2, 0x82)), "A");
    assert.throws(() => decoder.end(), is1007);
  });

  test("keeps a BOM at the start of a streamed message, split or not", () => {
    const decoder = new Utf8StreamDecoder();
    let text = decoder.push(bytes(0xef));
    text += decoder.push(bytes(0xbb, 0xbf, 0x42));
    text += decoder.end();
    assert.equal(text, "\ufeffB");
  });

  test("is reusable after end() for the next message", () => {
    const decoder = new Utf8StreamDecoder();
    assert.equal(decoder.push(bytes(0x61)) + decoder.end(), "a");
    assert.equal(
      decoder.push(bytes(0xef, 0xbb, 0xbf)) + decoder.end(),
      "\ufeff",
    );
  });
});
