import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { ProtocolError, UsageError } from "../../src/protocol/errors.ts";
import { pakoCodec } from "../../engines/deflate_pako.ts";
import { MessageCompressor } from "../../src/protocol/deflate/message_compressor.ts";
import { MessageDecompressor } from "../../src/protocol/deflate/message_decompressor.ts";
import { contextMessageCodec } from "../../src/protocol/deflate/context_message_codec.ts";
import {
  deflaterOptionsFor,
  messageDeflaterOptions,
} from "../../src/protocol/deflate/deflater_settings.ts";
import type { MessageCodec } from "../../src/protocol/deflate/codec.ts";
import { zlibMessageCodec } from "../../engines/deflate_zlib.ts";

const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const bytes = (...values: number[]): Uint8Array => new Uint8Array(values);
const hasCode = (code: number) => (error: unknown): boolean =>
  error instanceof ProtocolError && error.code === code;

const W15 = { windowBits: 15, memLevel: 8, level: 6 };

function compressor(takeover: boolean, options = W15): MessageCompressor {
  return new MessageCompressor(pakoCodec.createDeflater(options), {
    noContextTakeover: !takeover,
  });
}

function decompressor(takeover: boolean, windowBits = 15): MessageDecompressor {
  return new MessageDecompressor(pakoCodec.createInflater(windowBits), {
    noContextTakeover: !takeover,
  });
}

// RFC 7692 §7.2.3.1: "Hello" compressed with a single DEFLATE block.
const HELLO = bytes(0xf2, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00);

describe("RFC 7692 §7.2.3 examples", () => {
  test('7.2.3.1: "Hello" compresses to f2 48 cd c9 c9 07 00 and back', () => {
    assert.deepEqual(compressor(true).compress(enc("Hello"), true), HELLO);
    assert.equal(dec(decompressor(true).decompress(HELLO, true, 100)), "Hello");
  });

  test("7.2.3.1: the same payload split over two frames", () => {
    const d = decompressor(true);
    const first = d.decompress(HELLO.subarray(0, 3), false, 100);
    const second = d.decompress(HELLO.subarray(3), true, 100 - first.length);
    assert.equal(dec(first) + dec(second), "Hello");
  });

  test("7.2.3.1: the deflater's sync flush ends with the shared 00 00 ff ff tail, which the transform removes", () => {
    const raw = pakoCodec.createDeflater(W15).deflate(enc("Hello"), true);
    assert.deepEqual(raw, bytes(...HELLO, 0x00, 0x00, 0xff, 0xff));
  });

  test('7.2.3.2: with context takeover the second "Hello" is f2 00 11 00 00', () => {
    const c = compressor(true);
    assert.deepEqual(c.compress(enc("Hello"), true), HELLO);
    const second = c.compress(enc("Hello"), true);
    assert.deepEqual(second, bytes(0xf2, 0x00, 0x11, 0x00, 0x00));
    const d = decompressor(true);
    assert.equal(dec(d.decompress(HELLO, true, 100)), "Hello");
    assert.equal(dec(d.decompress(second, true, 100)), "Hello");
  });

  test("7.2.3.2: without context takeover both messages compress alike", () => {
    const c = compressor(false);
    assert.deepEqual(c.compress(enc("Hello"), true), HELLO);
    assert.deepEqual(c.compress(enc("Hello"), true), HELLO);
    const d = decompressor(false);
    assert.equal(dec(d.decompress(HELLO, true, 100)), "Hello");
    assert.equal(dec(d.decompress(HELLO, true, 100)), "Hello");
  });

  test("7.2.3.2: a message that needs the previous one's window fails without it", () => {
    assert.throws(
      () =>
        decompressor(true).decompress(
          bytes(0xf2, 0x00, 0x11, 0x00, 0x00),
          true,
          100,
        ),
      hasCode(1007),
    );
  });

  test("7.2.3.3: a DEFLATE block with no compression", () => {
    const payload = bytes(
      0x00,
      0x05,
      0x00,
      0xfa,
      0xff,
      0x48,
      0x65,
      0x6c,
      0x6c,
      0x6f,
      0x00,
    );
    assert.equal(
      dec(decompressor(true).decompress(payload, true, 100)),
      "Hello",
    );
  });

  test("7.2.3.4: a block with BFINAL set, and the messages after it", () => {
    const payload = bytes(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00);
    for (const takeover of [true, false]) {
      const d = decompressor(takeover);
      assert.equal(dec(d.decompress(payload, true, 100)), "Hello");
      assert.equal(dec(d.decompress(payload, true, 100)), "Hello");
      assert.equal(dec(d.decompress(HELLO, true, 100)), "Hello");
      assert.equal(dec(d.decompress(payload, true, 100)), "Hello");
    }
  });

  test("7.2.3.4: BFINAL in the first frame of a fragmented message; later frames are ignored", () => {
    const d = decompressor(true);
    const payload = bytes(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00);
    assert.equal(dec(d.decompress(payload, false, 100)), "Hello");
    assert.equal(d.decompress(bytes(0x00), true, 95).length, 0);
    assert.equal(dec(d.decompress(HELLO, true, 100)), "Hello");
  });

  test("7.2.3.5: two DEFLATE blocks in one message", () => {
    const payload = bytes(
      0xf2,
      0x48,
      0x05,
      0x00,
      0x00,
      0x00,
      0xff,
      0xff,
      0xca,
      0xc9,
      0xc9,
      0x07,
      0x00,
    );
    assert.equal(
      dec(decompressor(true).decompress(payload, true, 100)),
      "Hello",
    );
  });
});

describe("MessageCompressor and MessageDecompressor", () => {
  test("an empty message compresses to one 0x00 byte, first or after another", () => {
    const c = compressor(true);
    assert.deepEqual(c.compress(new Uint8Array(0), true), bytes(0x00));
    c.compress(enc("Hello"), true);
    assert.deepEqual(c.compress(new Uint8Array(0), true), bytes(0x00));
    assert.deepEqual(
      compressor(false).compress(new Uint8Array(0), true),
      bytes(0x00),
    );
  });

  test("an empty message between others keeps the shared window intact", () => {
    const c = compressor(true);
    const d = decompressor(true);
    for (const text of ["Hello", "", "Hello", "", "", "Hello again"]) {
      assert.equal(
        dec(d.decompress(c.compress(enc(text), true), true, 100)),
        text,
      );
    }
  });

  test("an empty payload is read as an empty message and the context survives", () => {
    const d = decompressor(true);
    assert.equal(dec(d.decompress(HELLO, true, 100)), "Hello");
    assert.equal(d.decompress(new Uint8Array(0), true, 100).length, 0);
    assert.equal(
      dec(d.decompress(bytes(0xf2, 0x00, 0x11, 0x00, 0x00), true, 100)),
      "Hello",
    );
  });

  test("fragments compressed one by one decompress frame by frame", () => {
    const text = "The quick brown fox jumps over the lazy dog. ".repeat(40);
    const all = enc(text);
    const c = compressor(true);
    const d = decompressor(true);
    for (let round = 0; round < 3; round++) {
      const pieces = [
        all.subarray(0, 100),
        all.subarray(100, 1000),
        all.subarray(1000),
      ];
      let out = "";
      pieces.forEach((piece, i) => {
        const fin = i === pieces.length - 1;
        const payload = c.compress(piece, fin);
        // Non-final fragments keep their sync-flush marker (§7.2.3.5).
        if (!fin) {
          assert.deepEqual(payload.subarray(-4), bytes(0, 0, 0xff, 0xff));
        }
        out += dec(d.decompress(payload, fin, 1 << 20));
      });
      assert.equal(out, text);
    }
  });

  test("context takeover round trips 500 varied messages at every window size", () => {
    for (const windowBits of [9, 10, 12, 15]) {
      const c = compressor(true, {
        windowBits,
        memLevel: Math.max(1, windowBits - 7),
        level: 6,
      });
      const d = decompressor(true, windowBits);
      let wire = 0;
      let plain = 0;
      for (let i = 0; i < 500; i++) {
        const text = JSON.stringify({
          type: "message",
          room: ["general", "random"][i % 2],
          user: `user${i % 7}`,
          text: `message number ${i} ` +
            "lorem ipsum dolor sit amet ".repeat(i % 13),
          at: 1_764_900_000_000 + i * 997,
        });
        const payload = c.compress(enc(text), true);
        wire += payload.length;
        plain += text.length;
        assert.equal(dec(d.decompress(payload, true, 1 << 16)), text);
      }
      // Similar messages share the window: far smaller than alone.
      assert.ok(
        wire < plain / 3,
        `windowBits ${windowBits}: ${wire} of ${plain}`,
      );
    }
  });

  test("binary data of every size up to 100 KiB round trips", () => {
    let seed = 1;
    const random = () => (seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32;
    const c = compressor(true);
    const d = decompressor(true);
    for (const size of [1, 2, 255, 256, 4095, 16384, 65535, 65536, 100_000]) {
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) {
        data[i] = random() < 0.5 ? 0 : (random() * 256) | 0;
      }
      assert.deepEqual(d.decompress(c.compress(data, true), true, size), data);
    }
  });

  test("incompressible data grows by a few bytes only", () => {
    const data = new Uint8Array(64 * 1024);
    let x = 7;
    for (let i = 0; i < data.length; i++) {
      data[i] = (x = (x * 48271) % 2147483647) & 0xff;
    }
    const payload = compressor(false).compress(data, true);
    assert.ok(payload.length <= data.length + 32, `${payload.length}`);
    assert.deepEqual(
      decompressor(false).decompress(payload, true, data.length),
      data,
    );
  });

  test("bytes that only the appended tail completes are kept", () => {
    // A stored block announcing 5 bytes with 4 in the payload: the tail's
    // first 0x00 is its fifth byte (a peer's oddity, still valid DEFLATE).
    const payload = bytes(0x00, 0x05, 0x00, 0xfa, 0xff, 0x48, 0x65, 0x6c, 0x6c);
    assert.deepEqual(
      decompressor(false).decompress(payload, true, 100),
      bytes(0x48, 0x65, 0x6c, 0x6c, 0x00),
    );
  });

  test("a deflater that fails is reset before the error goes on", () => {
    let resets = 0;
    const failing = new MessageCompressor(
      {
        deflate: () => {
          throw new Error("Boom");
        },
        reset: () => void resets++,
      },
      { noContextTakeover: false },
    );
    assert.throws(() => failing.compress(enc("Hello"), false), /Boom/);
    assert.equal(resets, 1);
  });

  test("a deflater whose output does not end with a sync flush is refused", () => {
    const broken = new MessageCompressor(
      { deflate: () => bytes(1, 2, 3, 4, 5), reset: () => {} },
      { noContextTakeover: true },
    );
    assert.throws(
      () => broken.compress(enc("Hello"), true),
      /does not end with a sync flush/,
    );
  });

  test("the limit is exact: limit bytes pass, one less fails with 1009", () => {
    assert.equal(decompressor(false).decompress(HELLO, true, 5).length, 5);
    assert.throws(
      () => decompressor(false).decompress(HELLO, true, 4),
      hasCode(1009),
    );
    assert.throws(
      () => decompressor(false).decompress(HELLO, true, 0),
      hasCode(1009),
    );
    assert.throws(
      () => decompressor(false).decompress(HELLO, true, -1),
      hasCode(1009),
    );
  });

  test("data that is not DEFLATE fails with 1007, and the decompressor recovers", () => {
    const d = decompressor(false);
    assert.throws(
      () => d.decompress(bytes(0xff, 0xff, 0xff), true, 100),
      hasCode(1007),
    );
    assert.equal(dec(d.decompress(HELLO, true, 100)), "Hello");
  });

  test("a reference beyond the agreed window, into an earlier message, fails with 1007", () => {
    // 600 random bytes twice: the second message is a match 600 bytes
    // back, into the first. (Within one message zlib reads back into what
    // it has just written, whatever its window.)
    const unit = new Uint8Array(600);
    let x = 99;
    for (let i = 0; i < unit.length; i++) {
      unit[i] = (x = (x * 48271) % 2147483647) & 0xff;
    }
    const c = compressor(true);
    const first = c.compress(unit, true);
    const second = c.compress(unit, true);
    assert.ok(second.length < 20, `${second.length}`);
    const wide = decompressor(true, 15);
    assert.deepEqual(wide.decompress(first, true, 600), unit);
    assert.deepEqual(wide.decompress(second, true, 600), unit);
    const narrow = decompressor(true, 9);
    assert.deepEqual(narrow.decompress(first, true, 600), unit);
    assert.throws(() => narrow.decompress(second, true, 600), hasCode(1007));
  });
});

describe("pako codec", () => {
  test("refuses to deflate with an 8-bit window (zlib would silently use 9)", () => {
    assert.throws(
      () => pakoCodec.createDeflater({ windowBits: 8, memLevel: 1, level: 6 }),
      UsageError,
    );
  });

  test("inflates with an 8-bit window", () => {
    assert.equal(
      dec(
        new MessageDecompressor(pakoCodec.createInflater(8), {
          noContextTakeover: false,
        })
          .decompress(HELLO, true, 10),
      ),
      "Hello",
    );
  });

  test("refuses settings out of range", () => {
    assert.throws(
      () => pakoCodec.createDeflater({ windowBits: 16, memLevel: 8, level: 6 }),
      UsageError,
    );
    assert.throws(
      () => pakoCodec.createDeflater({ windowBits: 15, memLevel: 0, level: 6 }),
      UsageError,
    );
    assert.throws(
      () =>
        pakoCodec.createDeflater({ windowBits: 15, memLevel: 8, level: 10 }),
      UsageError,
    );
    assert.throws(() => pakoCodec.createInflater(7), UsageError);
  });

  test("deflate output larger than its first buffer still comes out whole", () => {
    // Stored blocks of random data make the output exceed the input.
    const data = new Uint8Array(300 * 1024);
    let x = 12345;
    for (let i = 0; i < data.length; i++) {
      data[i] = (x = (x * 16807) % 2147483647) & 0xff;
    }
    const deflater = pakoCodec.createDeflater({
      windowBits: 15,
      memLevel: 1,
      level: 0,
    });
    const raw = deflater.deflate(data, true);
    assert.ok(raw.length > data.length);
    assert.deepEqual(
      pakoCodec.createInflater(15).inflate(raw, data.length),
      data,
    );
  });
});

describe("deflater settings", () => {
  test("window 8 is Huffman only at window 9, any other window is kept", () => {
    assert.deepEqual(deflaterOptionsFor(8, 2, 6), {
      windowBits: 9,
      memLevel: 2,
      level: 6,
      huffmanOnly: true,
    });
    assert.deepEqual(deflaterOptionsFor(13, 6, 1), {
      windowBits: 13,
      memLevel: 6,
      level: 1,
    });
  });

  test("a Huffman-only compressor codes no back-reference at all", () => {
    const c = new MessageCompressor(
      pakoCodec.createDeflater(deflaterOptionsFor(8, 1, 6)),
      { noContextTakeover: false },
    );
    const text = "Hello Hello Hello Hello Hello Hello";
    const first = c.compress(enc(text), true);
    const second = c.compress(enc(text), true);
    // Repeats would cost a few bytes with back-references; here each
    // message stays about as long as its literals' Huffman codes.
    assert.ok(
      first.length > 12 && second.length > 12,
      `${first.length} ${second.length}`,
    );
    const d = decompressor(true, 8);
    assert.equal(dec(d.decompress(first, true, 100)), text);
    assert.equal(dec(d.decompress(second, true, 100)), text);
  });

  test("a whole message gets the smallest window that reaches across it", () => {
    assert.deepEqual(messageDeflaterOptions(0, 15, 6), {
      windowBits: 9,
      memLevel: 3,
      level: 6,
    });
    assert.deepEqual(messageDeflaterOptions(250, 15, 6), {
      windowBits: 9,
      memLevel: 3,
      level: 6,
    });
    assert.deepEqual(messageDeflaterOptions(251, 15, 6), {
      windowBits: 10,
      memLevel: 4,
      level: 6,
    });
    assert.deepEqual(messageDeflaterOptions(400, 15, 6), {
      windowBits: 10,
      memLevel: 4,
      level: 6,
    });
    assert.deepEqual(messageDeflaterOptions(16384, 15, 6), {
      windowBits: 15,
      memLevel: 8,
      level: 6,
    });
    assert.deepEqual(messageDeflaterOptions(1 << 20, 15, 6), {
      windowBits: 15,
      memLevel: 8,
      level: 6,
    });
  });

  test("never above the peer's window; 8 stays Huffman only", () => {
    assert.deepEqual(messageDeflaterOptions(5000, 11, 6), {
      windowBits: 11,
      memLevel: 5,
      level: 6,
    });
    assert.deepEqual(messageDeflaterOptions(5000, 8, 6), {
      windowBits: 9,
      memLevel: 7,
      level: 6,
      huffmanOnly: true,
    });
  });
});

const MESSAGE_CODECS: [string, MessageCodec][] = [
  ["pako contexts", contextMessageCodec(pakoCodec)],
  ["node:zlib", zlibMessageCodec],
];

for (const [name, codec] of MESSAGE_CODECS) {
  describe(`MessageCodec: ${name}`, () => {
    test('"Hello" gives the RFC 7692 §7.2.3.1 payload', () => {
      assert.deepEqual(
        codec.compress(enc("Hello"), messageDeflaterOptions(5, 15, 6)),
        HELLO,
      );
      assert.equal(dec(codec.decompress(HELLO, 100)), "Hello");
    });

    test("messages round trip, none refers to another", () => {
      const text = "Hello, hello, hello: the same words again and again. ";
      for (let i = 0; i < 20; i++) {
        const message = enc(text.repeat(i));
        const payload = codec.compress(
          message,
          messageDeflaterOptions(message.length, 15, 6),
        );
        // Decodable alone, by a fresh decompressor: no context was used.
        assert.deepEqual(
          decompressor(false).decompress(payload, true, message.length),
          message,
        );
        assert.deepEqual(codec.decompress(payload, message.length), message);
      }
    });

    test("an empty message is one 0x00 byte", () => {
      assert.deepEqual(
        codec.compress(new Uint8Array(0), messageDeflaterOptions(0, 15, 6)),
        bytes(0),
      );
      assert.equal(codec.decompress(bytes(0), 0).length, 0);
    });

    test("BFINAL payloads decompress, one after another", () => {
      const payload = bytes(0xf3, 0x48, 0xcd, 0xc9, 0xc9, 0x07, 0x00, 0x00);
      assert.equal(dec(codec.decompress(payload, 100)), "Hello");
      assert.equal(dec(codec.decompress(payload, 100)), "Hello");
    });

    test("Huffman-only settings for a window of 8 decompress with 256 bytes", () => {
      const message = enc("abcabcabcabc ".repeat(50));
      const payload = codec.compress(
        message,
        messageDeflaterOptions(message.length, 8, 6),
      );
      assert.deepEqual(
        decompressor(false, 8).decompress(payload, true, message.length),
        message,
      );
    });

    test("limits: exact size passes, one byte over fails with 1009", () => {
      assert.equal(codec.decompress(HELLO, 5).length, 5);
      assert.throws(() => codec.decompress(HELLO, 4), hasCode(1009));
      assert.throws(() => codec.decompress(HELLO, 0), hasCode(1009));
    });

    test("invalid data fails with 1007, and the next message is fine", () => {
      assert.throws(
        () => codec.decompress(bytes(0xff, 0xff, 0xff), 100),
        hasCode(1007),
      );
      assert.equal(dec(codec.decompress(HELLO, 100)), "Hello");
    });

    test("a message cannot refer to the previous message's bytes", () => {
      codec.decompress(HELLO, 100);
      assert.throws(
        () => codec.decompress(bytes(0xf2, 0x00, 0x11, 0x00, 0x00), 100),
        hasCode(1007),
      );
    });
  });
}
