/**
 * Micro-benchmark of the protocol core: decode + unmask of masked client
 * frames fed to a server `Protocol` in 64 KiB reads, and frame encoding, for
 * 32 B, 1 KiB and 64 KiB payloads. Runs on any runtime:
 *
 *   deno run -A scripts/bench/protocol_core.ts
 *   bun scripts/bench/protocol_core.ts
 *   node scripts/bench/protocol_core.ts
 *
 * Each case runs for about one second (`--time=ms` to change it).
 *
 * @module
 */

import { Frame } from "../../src/protocol/frame.ts";
import { encodeFrame } from "../../src/protocol/frame_encoder.ts";
import { Protocol } from "../../src/protocol/protocol.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;

/** The runtime's name and version, from globalThis checks. */
function runtime(): string {
  if (typeof g.Deno !== "undefined") return `deno ${g.Deno.version.deno}`;
  if (typeof g.Bun !== "undefined") return `bun ${g.Bun.version}`;
  if (typeof g.process !== "undefined") {
    return `node ${g.process.versions.node}`;
  }
  return "unknown";
}

function args(): string[] {
  if (typeof g.Deno !== "undefined") return g.Deno.args;
  if (typeof g.process !== "undefined") return g.process.argv.slice(2);
  return [];
}

const timeArg = args().find((a) => a.startsWith("--time="));
const DURATION = timeArg ? Number(timeArg.slice(7)) : 1000;
const READ_SIZE = 64 * 1024;
const STREAM_BYTES = 4 * 1024 * 1024;

interface Result {
  frames: number;
  bytes: number;
  ms: number;
}

/** Runs `round` (which returns [frames, payload bytes]) until DURATION elapsed. */
function measure(round: () => [number, number]): Result {
  // Warm up the JIT.
  const warmEnd = performance.now() + Math.min(200, DURATION / 4);
  while (performance.now() < warmEnd) round();
  let frames = 0;
  let bytes = 0;
  const start = performance.now();
  let now = start;
  while (now - start < DURATION) {
    const [f, b] = round();
    frames += f;
    bytes += b;
    now = performance.now();
  }
  return { frames, bytes, ms: now - start };
}

function report(name: string, size: number, result: Result): void {
  const seconds = result.ms / 1000;
  const mbs = result.bytes / seconds / 1e6;
  const fps = result.frames / seconds;
  const label = size >= 1024 ? `${size / 1024} KiB` : `${size} B`;
  console.log(
    `${name.padEnd(36)} ${label.padStart(7)}  ${
      mbs.toFixed(1).padStart(9)
    } MB/s  ${Math.round(fps).toLocaleString("en-US").padStart(12)} frames/s`,
  );
}

/**
 * Masked client frames back to back, cut into 64 KiB reads. The mask bytes
 * are below 0x80, so ASCII payloads stay ASCII masked or not: unmasking in
 * place only touches payloads, so the same buffers can be fed again and
 * again, alternating masked and plain payloads, doing the same work each
 * round and staying valid text.
 */
function clientStream(
  opcode: number,
  payload: Uint8Array,
): { reads: Uint8Array[]; frames: number } {
  const frame = encodeFrame(new Frame(opcode, payload), {
    mask: new Uint8Array([0x12, 0x34, 0x56, 0x78]),
  });
  const frames = Math.max(1, Math.floor(STREAM_BYTES / frame.length));
  const stream = new Uint8Array(frames * frame.length);
  for (let i = 0; i < frames; i++) stream.set(frame, i * frame.length);
  const reads = [];
  for (let p = 0; p < stream.length; p += READ_SIZE) {
    reads.push(stream.subarray(p, p + READ_SIZE));
  }
  return { reads, frames };
}

function benchDecode(opcode: number, size: number): Result {
  const payload = new Uint8Array(size).fill(0x61); // "a": valid text and binary
  const { reads, frames } = clientStream(opcode, payload);
  const server = new Protocol();
  let sink = 0;
  let failure: string | undefined;
  const result = measure(() => {
    for (const read of reads) {
      server.receive(read);
      for (
        let e = server.nextEvent();
        e !== undefined;
        e = server.nextEvent()
      ) {
        sink++;
        if (e.type === "error") failure = e.error.message;
      }
    }
    return [frames, frames * size];
  });
  if (sink === 0) throw new Error("Nothing decoded");
  if (failure !== undefined) throw new Error(`Decoder failed: ${failure}`);
  return result;
}

function benchSendBinary(size: number): Result {
  const payload = new Uint8Array(size).fill(1);
  const server = new Protocol();
  const batch = Math.max(1, Math.floor(256 * 1024 / size));
  return measure(() => {
    for (let i = 0; i < batch; i++) server.sendBinary(payload);
    server.takeOutgoing();
    return [batch, batch * size];
  });
}

function benchSendText(size: number): Result {
  const text = "a".repeat(size);
  const server = new Protocol();
  const batch = Math.max(1, Math.floor(256 * 1024 / size));
  return measure(() => {
    for (let i = 0; i < batch; i++) server.sendText(text);
    server.takeOutgoing();
    return [batch, batch * size];
  });
}

function benchEncodeFrameBytes(size: number): Result {
  const frame = Frame.binary(new Uint8Array(size).fill(1));
  const batch = Math.max(1, Math.floor(256 * 1024 / size));
  let sink = 0;
  const result = measure(() => {
    for (let i = 0; i < batch; i++) sink += encodeFrame(frame).length;
    return [batch, batch * size];
  });
  if (sink === 0) throw new Error("Nothing encoded");
  return result;
}

console.log(
  `anyws core benchmark on ${runtime()}, ~${DURATION} ms per case, ${
    READ_SIZE / 1024
  } KiB reads`,
);
for (const size of [32, 1024, 64 * 1024]) {
  report("decode+unmask binary (server)", size, benchDecode(0x2, size));
  report("decode+unmask+utf8 text (server)", size, benchDecode(0x1, size));
  report("encode sendBinary (server, no copy)", size, benchSendBinary(size));
  report("encode sendText (server)", size, benchSendText(size));
  report("encodeFrame (broadcast)", size, benchEncodeFrameBytes(size));
}
