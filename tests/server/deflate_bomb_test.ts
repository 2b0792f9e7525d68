import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import process from "node:process";
import { ProtocolError } from "../../src/protocol/errors.ts";
import { pakoCodec } from "../../engines/deflate_pako.ts";
import { contextMessageCodec } from "../../src/protocol/deflate/context_message_codec.ts";
import { DeflateContexts } from "../../src/protocol/deflate/deflate_contexts.ts";
import { resolveDeflateOptions } from "../../src/protocol/deflate/options.ts";
import { PerMessageDeflate } from "../../src/protocol/deflate/per_message_deflate.ts";
import { zlibMessageCodec } from "../../engines/deflate_zlib.ts";

const MiB = 1024 * 1024;
const hasCode = (code: number) => (error: unknown): boolean =>
  error instanceof ProtocolError && error.code === code;

/**
 * `copies` × 16 MiB of zeros as one raw DEFLATE stream, tail removed: 16
 * MiB compressed once and repeated (each copy ends byte-aligned with a
 * sync flush and refers one byte back at most, so copies concatenate).
 */
function zerosBomb(copies: number): Uint8Array {
  // Compressed from a 1 MiB buffer 16 times, so that building the bomb
  // leaves no large free block for the measured run to reuse unseen.
  const deflater = pakoCodec.createDeflater({
    windowBits: 15,
    memLevel: 9,
    level: 9,
  });
  const zeros = new Uint8Array(MiB);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 16; i++) parts.push(deflater.deflate(zeros, false));
  parts.push(deflater.deflate(new Uint8Array(0), true));
  const piece = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  parts.reduce((at, part) => (piece.set(part, at), at + part.length), 0);
  const payload = new Uint8Array(piece.length * copies - 4);
  for (let i = 0; i < copies - 1; i++) payload.set(piece, i * piece.length);
  payload.set(piece.subarray(0, piece.length - 4), (copies - 1) * piece.length);
  return payload;
}

const GIB_BOMB = zerosBomb(64); // 1 GiB once inflated, about 1 MiB here

/**
 * Bytes the process's resident set grew to during `run`, above what it
 * was before: the kernel's high-water mark (VmHWM, reset through
 * /proc/self/clear_refs) where Linux offers it, else RSS after the run.
 */
function peakGrowth(run: () => void): number {
  const status = "/proc/self/status";
  const readKiB = (field: string) =>
    Number(
      new RegExp(`${field}:\\s+(\\d+) kB`).exec(
        readFileSync(status, "utf8"),
      )![1],
    ) *
    1024;
  if (existsSync("/proc/self/clear_refs")) {
    const before = readKiB("VmRSS");
    writeFileSync("/proc/self/clear_refs", "5");
    run();
    return readKiB("VmHWM") - before;
  }
  const before = process.memoryUsage().rss;
  run();
  return process.memoryUsage().rss - before;
}

describe("decompression bombs", () => {
  const codecs = [
    ["pako contexts", contextMessageCodec(pakoCodec)],
    ["node:zlib", zlibMessageCodec],
  ] as const;
  for (const [name, codec] of codecs) {
    test(`${name}: a 1 GiB bomb in one frame stops at a 1 MiB limit with 1009, costing about the limit`, () => {
      let error: unknown;
      const started = performance.now();
      const growth = peakGrowth(() => {
        try {
          codec.decompress(GIB_BOMB, MiB);
        } catch (caught) {
          error = caught;
        }
      });
      assert.ok(hasCode(1009)(error), String(error));
      assert.ok(performance.now() - started < 5000);
      // Inflating it all would take 1 GiB; the limit plus working buffers
      // and allocator slack stay far below 32 MiB.
      assert.ok(growth < 32 * MiB, `peak growth ${growth} bytes`);
    });

    test(`${name}: a 1 KiB frame inflating to 1 MiB stops at 64 KiB`, () => {
      const frame = pakoCodec
        .createDeflater({ windowBits: 15, memLevel: 9, level: 9 })
        .deflate(new Uint8Array(MiB), true)
        .subarray(0, -4);
      assert.ok(frame.length <= 1100, `${frame.length}`);
      assert.throws(() => codec.decompress(frame, 64 * 1024), hasCode(1009));
      assert.equal(codec.decompress(frame, MiB).length, MiB);
    });
  }

  test("frame by frame with context takeover: the bomb stops once the message passes its limit", () => {
    const contexts = new DeflateContexts(
      pakoCodec,
      resolveDeflateOptions({ mode: "dedicated" }),
    );
    const parameters = {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    };
    const receiver = new PerMessageDeflate(contexts, parameters, "server");
    const limit = 4 * MiB;
    let received = 0;
    let frames = 0;
    let error: unknown;
    const growth = peakGrowth(() => {
      try {
        const step = 16 * 1024;
        for (let at = 0; at < GIB_BOMB.length; at += step) {
          const end = Math.min(GIB_BOMB.length, at + step);
          frames++;
          // What a protocol engine passes: the message limit less what the
          // message's earlier frames produced.
          received += receiver.decompress(
            GIB_BOMB.subarray(at, end),
            end === GIB_BOMB.length,
            limit - received,
          ).length;
        }
      } catch (caught) {
        error = caught;
      }
    });
    assert.ok(hasCode(1009)(error), String(error));
    assert.ok(received <= limit);
    assert.ok(frames < 20, `stopped after ${frames} frames`);
    assert.ok(growth < 32 * MiB, `peak growth ${growth} bytes`);
  });

  // Last: it allocates 32 MiB, which later measurements could reuse unseen.
  test("the bomb's copies concatenate: two of them inflate to 32 MiB of zeros", () => {
    assert.ok(GIB_BOMB.length < 1.1 * MiB, `${GIB_BOMB.length}`);
    const two = zerosBomb(2);
    const out = contextMessageCodec(pakoCodec).decompress(two, 32 * MiB);
    assert.equal(out.length, 32 * MiB);
    assert.ok(out.every((byte) => byte === 0));
    // So the 64 copies of the 1 GiB bomb inflate to 64 × 16 MiB.
    assert.equal((GIB_BOMB.length + 4) / 64, (two.length + 4) / 2);
  });
});
