/**
 * Codec-level interop with Python's zlib (the C zlib that python-websockets,
 * ws and browsers build on): raw DEFLATE streams with `wbits=-N`, sync
 * flushes and the RFC 7692 §7.2 tail, in both directions.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { pakoCodec } from "../../engines/deflate_pako.ts";
import { MessageCompressor } from "../../src/protocol/deflate/message_compressor.ts";
import { MessageDecompressor } from "../../src/protocol/deflate/message_decompressor.ts";
import { contextMessageCodec } from "../../src/protocol/deflate/context_message_codec.ts";
import { deflaterOptionsFor } from "../../src/protocol/deflate/deflater_settings.ts";
import { DeflateContexts } from "../../src/protocol/deflate/deflate_contexts.ts";
import { resolveDeflateOptions } from "../../src/protocol/deflate/options.ts";
import { zlibMessageCodec } from "../../engines/deflate_zlib.ts";

const PYTHON = "/usr/bin/python3";

// Reads {op, wbits, takeover, items: [hex]} on stdin, answers [hex] or
// {"error": message}.
const SCRIPT = `
import json, sys, zlib
TAIL = b"\\x00\\x00\\xff\\xff"
req = json.load(sys.stdin)
op, wbits, takeover = req["op"], req["wbits"], req["takeover"]
out = []
try:
    if op == "compress":
        c = None
        for item in req["items"]:
            if c is None or not takeover:
                c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
            data = c.compress(bytes.fromhex(item)) + c.flush(zlib.Z_SYNC_FLUSH)
            assert data.endswith(TAIL)
            out.append(data[:-4].hex())
    elif op == "compress_final":
        # Each message a whole stream ending with a BFINAL block (Z_FINISH),
        # sent as it is, as some clients do (ws#1669).
        for item in req["items"]:
            c = zlib.compressobj(6, zlib.DEFLATED, -wbits)
            out.append((c.compress(bytes.fromhex(item)) + c.flush(zlib.Z_FINISH)).hex())
    elif op == "decompress":
        d = None
        for item in req["items"]:
            if d is None or not takeover:
                d = zlib.decompressobj(wbits=-wbits)
            out.append(d.decompress(bytes.fromhex(item) + TAIL).hex())
    json.dump(out, sys.stdout)
except Exception as e:
    json.dump({"error": str(e)}, sys.stdout)
`;

const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
const unhex = (text: string): Uint8Array =>
  new Uint8Array((text.match(/../g) ?? []).map((pair) => parseInt(pair, 16)));
const enc = (text: string): Uint8Array => new TextEncoder().encode(text);
const dec = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

function python(
  op: "compress" | "compress_final" | "decompress",
  wbits: number,
  takeover: boolean,
  items: Uint8Array[],
): Uint8Array[] {
  const result = spawnSync(PYTHON, ["-c", SCRIPT], {
    input: JSON.stringify({ op, wbits, takeover, items: items.map(hex) }),
    encoding: "utf8",
    timeout: 30_000,
  });
  assert.equal(result.status, 0, result.stderr);
  const answer = JSON.parse(result.stdout);
  if (!Array.isArray(answer)) throw new Error(`python: ${answer.error}`);
  return answer.map(unhex);
}

/** Chat-like messages, with repeats that reach back across messages. */
function messages(count: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let x = 17;
  const random = () => (x = (x * 48271) % 2147483647) / 2147483647;
  const words =
    "alpha beta gamma delta epsilon zeta eta theta iota kappa lambda".split(
      " ",
    );
  for (let i = 0; i < count; i++) {
    const text: string[] = [];
    for (let w = 0; w < 10 + (i % 30); w++) {
      text.push(words[Math.floor(random() * words.length)]);
    }
    out.push(
      enc(JSON.stringify({ i, user: `user${i % 4}`, text: text.join(" ") })),
    );
  }
  out.push(new Uint8Array(0)); // an empty message among them
  out.push(enc("x".repeat(5000))); // and a long one
  return out;
}

const MESSAGES = messages(60);

describe("interop with Python's zlib", () => {
  test("Python compresses with context takeover at wbits 9 to 15; we inflate with that window", () => {
    for (let wbits = 9; wbits <= 15; wbits++) {
      const payloads = python("compress", wbits, true, MESSAGES);
      const d = new MessageDecompressor(pakoCodec.createInflater(wbits), {
        noContextTakeover: false,
      });
      payloads.forEach((payload, i) => {
        assert.deepEqual(
          d.decompress(payload, true, 1 << 20),
          MESSAGES[i],
          `wbits ${wbits} #${i}`,
        );
      });
    }
  });

  test("Python's zlib refuses to deflate with wbits 8, as pako does", () => {
    assert.throws(
      () => python("compress", 8, true, MESSAGES),
      /Invalid initialization option/,
    );
  });

  test("we compress with context takeover at 9 to 15 (8: Huffman only); Python inflates with that window", () => {
    for (let wbits = 8; wbits <= 15; wbits++) {
      const c = new MessageCompressor(
        pakoCodec.createDeflater(
          deflaterOptionsFor(wbits, Math.max(1, wbits - 7), 6),
        ),
        { noContextTakeover: false },
      );
      const payloads = MESSAGES.map((message) => c.compress(message, true));
      const back = python("decompress", wbits, true, payloads);
      back.forEach((bytes, i) =>
        assert.deepEqual(bytes, MESSAGES[i], `wbits ${wbits} #${i}`)
      );
    }
  });

  test("window 8: Huffman-only messages never refer back, and Python inflates them with 256 bytes", () => {
    // 600 random bytes sent twice: with a window the second would be a
    // few bytes of back-reference.
    const unit = new Uint8Array(600);
    let x = 5;
    for (let i = 0; i < unit.length; i++) {
      unit[i] = (x = (x * 48271) % 2147483647) & 0xff;
    }
    const h = new MessageCompressor(
      pakoCodec.createDeflater(deflaterOptionsFor(8, 1, 6)),
      {
        noContextTakeover: false,
      },
    );
    const huffman = [h.compress(unit, true), h.compress(unit, true)];
    assert.ok(huffman[1].length > 500, `${huffman[1].length}`);
    assert.deepEqual(python("decompress", 8, true, huffman), [unit, unit]);
  });

  for (
    const [name, codec] of [
      ["pako contexts", contextMessageCodec(pakoCodec)],
      ["node:zlib", zlibMessageCodec],
    ] as const
  ) {
    test(`${name}: shared-mode messages inflate on their own in Python at the agreed window`, () => {
      const contexts = new DeflateContexts(
        pakoCodec,
        resolveDeflateOptions(),
        codec,
      );
      for (const wbits of [8, 9, 10, 12, 15]) {
        const payloads = MESSAGES.map((message) =>
          contexts.compressMessage(message, wbits)
        );
        const back = python("decompress", wbits, false, payloads);
        back.forEach((bytes, i) =>
          assert.deepEqual(bytes, MESSAGES[i], `wbits ${wbits} #${i}`)
        );
      }
    });

    test(`${name}: Python's no-context messages decompress`, () => {
      const payloads = python("compress", 15, false, MESSAGES);
      payloads.forEach((payload, i) => {
        assert.deepEqual(codec.decompress(payload, 1 << 20), MESSAGES[i]);
      });
    });
  }

  test("messages that each end their stream with BFINAL decompress one after another", () => {
    const payloads = python("compress_final", 15, false, MESSAGES.slice(0, 20));
    for (const takeover of [true, false]) {
      const d = new MessageDecompressor(pakoCodec.createInflater(15), {
        noContextTakeover: !takeover,
      });
      payloads.forEach((payload, i) => {
        assert.equal(
          dec(d.decompress(payload, true, 1 << 20)),
          dec(MESSAGES[i]),
        );
        // With the RFC 7692 §7.2.3.4 padding byte too.
        const padded = new Uint8Array(payload.length + 1);
        padded.set(payload);
        assert.equal(
          dec(d.decompress(padded, true, 1 << 20)),
          dec(MESSAGES[i]),
        );
      });
    }
    payloads.forEach((payload, i) => {
      assert.deepEqual(
        zlibMessageCodec.decompress(payload, 1 << 20),
        MESSAGES[i],
      );
    });
  });
});
