/**
 * Measures the permessage-deflate candidates on each runtime, to choose the
 * implementation by figures (issue 14):
 *
 * - `pako`: the synchronous pure-JavaScript codec of
 *   `src/protocol/deflate/pako_codec.ts`;
 * - `node:zlib sync`: one-shot `deflateRawSync` / `inflateRawSync` with
 *   `finishFlush: Z_SYNC_FLUSH` (no context between messages, so shared
 *   mode only);
 * - `node:zlib stream`: `createDeflateRaw` / `createInflateRaw` with
 *   `flush(Z_SYNC_FLUSH)` and context takeover (asynchronous, as ws uses
 *   it), awaited one message at a time.
 *
 * For each: messages per second compressed and decompressed (RFC 7692
 * §7.2 transform included), of ~400 B chat JSON and of 16 KiB binary
 * records, in shared mode (no context takeover) and dedicated mode
 * (context takeover); the compressed size; the memory one context costs at
 * windowBits 9, 12 and 15; and the peak memory of decompressing a bomb
 * (1 GiB of zeros in ~1 MiB) with a 16 MiB limit.
 *
 *   node scripts/bench_deflate.ts               # all three runtimes, writes docs/bench/deflate.md
 *   node scripts/bench_deflate.ts --no-write    # print only
 *   node scripts/bench_deflate.ts --child       # this runtime only, JSON on stdout
 *   deno run -A --v8-flags=--expose-gc scripts/bench_deflate.ts --child
 *   bun scripts/bench_deflate.ts --child
 *
 * `--time=ms` sets each measurement's duration (default 300; best of 3).
 * A child stops after 120 s whatever happens.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, loadavg, release } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import type { DeflaterOptions } from "../src/protocol/deflate/codec.ts";
import { MessageCompressor } from "../src/protocol/deflate/message_compressor.ts";
import { MessageDecompressor } from "../src/protocol/deflate/message_decompressor.ts";
import { pakoCodec } from "../src/protocol/deflate/pako_codec.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
const argv = process.argv.slice(2);
const timeArg = argv.find((a) => a.startsWith("--time="));
const DURATION = timeArg ? Number(timeArg.slice(7)) : 300;
const CHILD_TIMEOUT_MS = 120_000;
const TAIL = new Uint8Array([0x00, 0x00, 0xff, 0xff]);

function runtimeName(): string {
  if (typeof g.Deno !== "undefined") return `Deno ${g.Deno.version.deno}`;
  if (typeof g.Bun !== "undefined") return `Bun ${g.Bun.version}`;
  return `Node ${process.versions.node}`;
}

function collectGarbage(): void {
  if (typeof g.Bun !== "undefined") g.Bun.gc(true);
  else if (typeof g.gc === "function") {
    g.gc();
    g.gc();
  }
}

// ---------------------------------------------------------------------------
// Payloads

/** A small deterministic PRNG (mulberry32). */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const WORDS = (
  "the a to and of in is it you that for on was with he as I his they be at " +
  "one have this from or had by hot word but what some we can out other were " +
  "all there when up use your how said an each she which do their time if " +
  "will way about many then them write would like so these her long make " +
  "thing see him two has look more day could go come did number sound no " +
  "most people my over know water than call first who may down side been " +
  "now find any new work part take get place made live where after back " +
  "little only round man year came show every good me give our under name " +
  "deploy merge review ticket coffee lunch meeting tomorrow release build"
).split(" ");
const NAMES = [
  "alice",
  "bob",
  "carol",
  "dave",
  "erin",
  "frank",
  "grace",
  "heidi",
  "ivan",
  "judy",
  "mallory",
  "niaj",
];

/** ~400 B chat messages, each different, as a chat server relays them. */
function chatMessages(count: number): Uint8Array[] {
  const random = prng(7);
  const pick = <T>(list: T[]): T => list[Math.floor(random() * list.length)];
  const encoder = new TextEncoder();
  const out: Uint8Array[] = [];
  let ts = 1_764_900_000_000;
  for (let i = 0; i < count; i++) {
    const name = pick(NAMES);
    const words: string[] = [];
    const length = 14 + Math.floor(random() * 20);
    for (let w = 0; w < length; w++) words.push(pick(WORDS));
    ts += Math.floor(random() * 5000);
    out.push(encoder.encode(JSON.stringify({
      type: "message",
      room: pick(["general", "random", "dev", "ops"]),
      id: `msg_${(ts * 7 + i).toString(36)}`,
      user: {
        id: NAMES.indexOf(name) + 1000,
        name,
        avatar: `https://cdn.example.com/avatars/${name}.png`,
      },
      text: words.join(" "),
      ts,
      reactions: random() < 0.3 ? [{ emoji: "+1", count: 1 }] : [],
      replyTo: random() < 0.2 ? `msg_${(ts - 9999).toString(36)}` : null,
    })));
  }
  return out;
}

/** 16 KiB of 16-byte sensor records: a timestamp, ids, a random walk. */
function binaryMessages(count: number): Uint8Array[] {
  const random = prng(11);
  const out: Uint8Array[] = [];
  let ts = 1_764_900_000;
  let value = 20;
  for (let i = 0; i < count; i++) {
    const bytes = new Uint8Array(16 * 1024);
    const view = new DataView(bytes.buffer);
    for (let at = 0; at < bytes.length; at += 16) {
      ts += 1 + Math.floor(random() * 3);
      value += (random() - 0.5) * 0.1;
      view.setUint32(at, ts, true);
      view.setUint16(at + 4, Math.floor(random() * 16), true);
      view.setUint16(at + 6, random() < 0.95 ? 0 : 1, true);
      view.setFloat32(at + 8, value, true);
      view.setUint32(at + 12, i * 1024 + at / 16, true);
    }
    out.push(bytes);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Candidates

interface Pair {
  compress(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
  decompress(bytes: Uint8Array): Uint8Array | Promise<Uint8Array>;
}

const LIMIT = 64 * 1024 * 1024;

function pakoPair(takeover: boolean, options: DeflaterOptions): Pair {
  const compressor = new MessageCompressor(pakoCodec.createDeflater(options), {
    noContextTakeover: !takeover,
  });
  const decompressor = new MessageDecompressor(
    pakoCodec.createInflater(options.windowBits),
    { noContextTakeover: !takeover },
  );
  return {
    compress: (bytes) => compressor.compress(bytes, true),
    decompress: (bytes) => decompressor.decompress(bytes, true, LIMIT),
  };
}

function withTail(bytes: Uint8Array): Uint8Array {
  const joined = new Uint8Array(bytes.length + 4);
  joined.set(bytes);
  joined.set(TAIL, bytes.length);
  return joined;
}

function zlibSyncPair(options: DeflaterOptions): Pair {
  const deflateOptions = {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
    windowBits: options.windowBits,
    memLevel: options.memLevel,
    level: options.level,
  };
  const inflateOptions = {
    finishFlush: zlib.constants.Z_SYNC_FLUSH,
    windowBits: options.windowBits,
    maxOutputLength: LIMIT,
  };
  return {
    compress(bytes) {
      const out = zlib.deflateRawSync(bytes, deflateOptions);
      return new Uint8Array(out.buffer, out.byteOffset, out.length - 4);
    },
    decompress(bytes) {
      const out = zlib.inflateRawSync(withTail(bytes), inflateOptions);
      return new Uint8Array(out.buffer, out.byteOffset, out.length);
    },
  };
}

/** One zlib stream, written and sync-flushed one message at a time. */
function flushed(
  stream: zlib.DeflateRaw | zlib.InflateRaw,
  bytes: Uint8Array,
): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    const onData = (chunk: Uint8Array) => chunks.push(chunk);
    stream.on("data", onData);
    stream.once("error", reject);
    stream.write(bytes);
    stream.flush(zlib.constants.Z_SYNC_FLUSH, () => {
      stream.off("data", onData);
      stream.off("error", reject);
      let length = 0;
      for (const chunk of chunks) length += chunk.length;
      const out = new Uint8Array(length);
      let at = 0;
      for (const chunk of chunks) {
        out.set(chunk, at);
        at += chunk.length;
      }
      resolve(out);
    });
  });
}

function zlibStreamPair(takeover: boolean, options: DeflaterOptions): Pair {
  const deflate = zlib.createDeflateRaw({
    windowBits: options.windowBits,
    memLevel: options.memLevel,
    level: options.level,
  });
  const inflate = zlib.createInflateRaw({ windowBits: options.windowBits });
  return {
    async compress(bytes) {
      const out = await flushed(deflate, bytes);
      if (!takeover) deflate.reset();
      return out.subarray(0, out.length - 4);
    },
    async decompress(bytes) {
      const out = await flushed(inflate, withTail(bytes));
      if (!takeover) inflate.reset();
      return out;
    },
  };
}

// ---------------------------------------------------------------------------
// Throughput

interface Throughput {
  payload: string;
  mode: string;
  candidate: string;
  compressPerSecond: number;
  decompressPerSecond: number;
  /** Average compressed payload size, bytes. */
  wireBytes: number;
  /** Average message size, bytes. */
  messageBytes: number;
}

async function rate(
  messages: Uint8Array[],
  run: (message: Uint8Array, index: number) => unknown,
): Promise<number> {
  let best = 0;
  for (let pass = 0; pass < 4; pass++) {
    // Pass 0 warms the JIT up and is not counted.
    const duration = pass === 0 ? Math.min(150, DURATION) : DURATION;
    let count = 0;
    const start = performance.now();
    let now = start;
    while (now - start < duration) {
      for (let i = 0; i < 16; i++) {
        const result = run(messages[count % messages.length], count);
        if (result instanceof Promise) await result;
        count++;
      }
      now = performance.now();
    }
    if (pass > 0) best = Math.max(best, count / ((now - start) / 1000));
  }
  return best;
}

async function throughput(
  payload: string,
  messages: Uint8Array[],
  mode: string,
  candidate: string,
  makePair: () => Pair,
): Promise<Throughput> {
  // Compressed forms for the decompression run, made by the same
  // candidate, in order (context takeover needs the same sequence).
  const sizing = makePair();
  const compressed: Uint8Array[] = [];
  let wire = 0;
  let plain = 0;
  for (const message of messages) {
    const out = await sizing.compress(message);
    compressed.push(out.slice());
    wire += out.length;
    plain += message.length;
    const back = await sizing.decompress(compressed[compressed.length - 1]);
    if (back.length !== message.length) {
      throw new Error(`${candidate} ${mode} ${payload}: round trip failed`);
    }
  }
  const compressPerSecond = await rate(
    messages,
    (() => {
      const pair = makePair();
      return (message: Uint8Array) => pair.compress(message);
    })(),
  );
  // Decompression replays the sequence from its start with a fresh
  // context each time it wraps around.
  let pair = makePair();
  const decompressPerSecond = await rate(compressed, (payloadBytes, i) => {
    if (i % compressed.length === 0) pair = makePair();
    return pair.decompress(payloadBytes);
  });
  return {
    payload,
    mode,
    candidate,
    compressPerSecond,
    decompressPerSecond,
    wireBytes: wire / messages.length,
    messageBytes: plain / messages.length,
  };
}

// ---------------------------------------------------------------------------
// Memory per context

interface ContextMemory {
  candidate: string;
  kind: "compressor" | "decompressor";
  windowBits: number;
  memLevel: number | null;
  /** JavaScript heap + array buffers per context, bytes. */
  heapBytes: number;
  /** Resident set size per context, bytes. */
  rssBytes: number;
}

function memoryNow(): { heap: number; rss: number } {
  collectGarbage();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed + (usage.arrayBuffers ?? 0), rss: usage.rss };
}

async function contextMemory(
  candidate: string,
  kind: "compressor" | "decompressor",
  windowBits: number,
  memLevel: number | null,
  make: () => unknown | Promise<unknown>,
): Promise<ContextMemory> {
  const count = 200;
  const kept: unknown[] = [];
  const before = memoryNow();
  for (let i = 0; i < count; i++) kept.push(await make());
  const after = memoryNow();
  const result: ContextMemory = {
    candidate,
    kind,
    windowBits,
    memLevel,
    heapBytes: (after.heap - before.heap) / count,
    rssBytes: (after.rss - before.rss) / count,
  };
  for (const item of kept) {
    (item as { close?: () => void }).close?.();
  }
  kept.length = 0;
  return result;
}

async function memoryCases(sample: Uint8Array): Promise<ContextMemory[]> {
  const results: ContextMemory[] = [];
  const compressed = new Map<number, Uint8Array>();
  for (const windowBits of [9, 12, 15]) {
    const c = pakoCodec.createDeflater({ windowBits, memLevel: 8, level: 6 });
    compressed.set(windowBits, c.deflate(sample, true));
  }
  const presets: [number, number][] = [
    [9, 1],
    [9, 8],
    [12, 5],
    [12, 8],
    [15, 8],
    [15, 9],
  ];
  for (const [windowBits, memLevel] of presets) {
    results.push(
      await contextMemory("pako", "compressor", windowBits, memLevel, () => {
        const deflater = pakoCodec.createDeflater({
          windowBits,
          memLevel,
          level: 6,
        });
        deflater.deflate(sample, true);
        return deflater;
      }),
    );
  }
  for (const windowBits of [9, 12, 15]) {
    results.push(
      await contextMemory("pako", "decompressor", windowBits, null, () => {
        const inflater = pakoCodec.createInflater(windowBits);
        inflater.inflate(compressed.get(windowBits)!, LIMIT);
        return inflater;
      }),
    );
  }
  for (const [windowBits, memLevel] of presets) {
    results.push(
      await contextMemory(
        "node:zlib stream",
        "compressor",
        windowBits,
        memLevel,
        async () => {
          const deflate = zlib.createDeflateRaw({
            windowBits,
            memLevel,
            level: 6,
          });
          await flushed(deflate, sample);
          return deflate;
        },
      ),
    );
  }
  for (const windowBits of [9, 12, 15]) {
    results.push(
      await contextMemory(
        "node:zlib stream",
        "decompressor",
        windowBits,
        null,
        async () => {
          const inflate = zlib.createInflateRaw({ windowBits });
          await flushed(inflate, withTail(compressed.get(windowBits)!));
          return inflate;
        },
      ),
    );
  }
  return results;
}

// ---------------------------------------------------------------------------
// Decompression bomb

interface Bomb {
  compressedBytes: number;
  inflatedBytes: number;
  limit: number;
  code: number | null;
  ms: number;
  /** Largest RSS growth seen while decompressing, bytes. */
  peakRssGrowth: number;
}

/**
 * 1 GiB of zeros as one raw DEFLATE stream: 16 MiB compressed once and the
 * result repeated 64 times (each copy ends byte-aligned with a sync flush
 * and only refers one byte back, so copies concatenate).
 */
function bombPayload(): Uint8Array {
  const deflater = pakoCodec.createDeflater({
    windowBits: 15,
    memLevel: 9,
    level: 9,
  });
  const piece = deflater.deflate(new Uint8Array(16 * 1024 * 1024), true);
  const copies = 64;
  const payload = new Uint8Array(piece.length * copies - 4);
  for (let i = 0; i < copies - 1; i++) payload.set(piece, i * piece.length);
  payload.set(piece.subarray(0, piece.length - 4), (copies - 1) * piece.length);
  return payload;
}

function bomb(): Bomb {
  const payload = bombPayload();
  const limit = 16 * 1024 * 1024;
  const decompressor = new MessageDecompressor(pakoCodec.createInflater(15), {
    noContextTakeover: true,
  });
  collectGarbage();
  const base = process.memoryUsage().rss;
  let peak = base;
  // Decompress frame by frame (64 KiB frames), sampling RSS in between.
  let code: number | null = null;
  const start = performance.now();
  let produced = 0;
  try {
    const frame = 64 * 1024;
    for (let at = 0; at < payload.length; at += frame) {
      const end = Math.min(payload.length, at + frame);
      const out = decompressor.decompress(
        payload.subarray(at, end),
        end === payload.length,
        limit - produced,
      );
      produced += out.length;
      peak = Math.max(peak, process.memoryUsage().rss);
    }
  } catch (error) {
    code = (error as { code?: number }).code ?? null;
  }
  const ms = performance.now() - start;
  peak = Math.max(peak, process.memoryUsage().rss);
  return {
    compressedBytes: payload.length,
    inflatedBytes: 1024 * 1024 * 1024,
    limit,
    code,
    ms,
    peakRssGrowth: peak - base,
  };
}

// ---------------------------------------------------------------------------

interface ChildReport {
  runtime: string;
  throughput: Throughput[];
  memory: ContextMemory[];
  bomb: Bomb;
}

async function child(): Promise<ChildReport> {
  const chat = chatMessages(256);
  const binary = binaryMessages(32);
  const shared = { windowBits: 15, memLevel: 8, level: 6 };
  const small = { windowBits: 11, memLevel: 4, level: 6 };
  const results: Throughput[] = [];
  for (
    const [name, messages] of [["chat JSON", chat], [
      "16 KiB binary",
      binary,
    ]] as const
  ) {
    const list = messages as Uint8Array[];
    results.push(
      await throughput(
        name,
        list,
        "shared",
        "pako",
        () => pakoPair(false, shared),
      ),
      await throughput(
        name,
        list,
        "shared",
        "node:zlib sync",
        () => zlibSyncPair(shared),
      ),
      await throughput(
        name,
        list,
        "shared",
        "node:zlib stream",
        () => zlibStreamPair(false, shared),
      ),
      await throughput(
        name,
        list,
        "dedicated w15",
        "pako",
        () => pakoPair(true, shared),
      ),
      await throughput(
        name,
        list,
        "dedicated w15",
        "node:zlib stream",
        () => zlibStreamPair(true, shared),
      ),
      await throughput(
        name,
        list,
        "dedicated w11",
        "pako",
        () => pakoPair(true, small),
      ),
    );
  }
  const memory = await memoryCases(chat[0]);
  return { runtime: runtimeName(), throughput: results, memory, bomb: bomb() };
}

// ---------------------------------------------------------------------------
// Driver (node): one child per runtime, then the report

const BIN = join(ROOT, "node_modules", ".bin");
const SCRIPT = fileURLToPath(import.meta.url);
const CHILDREN: { name: string; command: string; args: string[] }[] = [
  { name: "node", command: join(BIN, "node"), args: ["--expose-gc", SCRIPT] },
  {
    name: "deno",
    command: join(BIN, "deno"),
    args: ["run", "-A", "--v8-flags=--expose-gc", SCRIPT],
  },
  { name: "bun", command: join(BIN, "bun"), args: [SCRIPT] },
];

function runChild(command: string, args: string[]): Promise<ChildReport> {
  return new Promise((resolve, reject) => {
    const proc = spawn(command, [...args, "--child", `--time=${DURATION}`], {
      cwd: ROOT,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    proc.stdout.on("data", (chunk: Uint8Array) => {
      out += new TextDecoder().decode(chunk);
    });
    const timer = setTimeout(() => proc.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    proc.on("close", (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`${command} exited with ${code}`));
      else resolve(JSON.parse(out) as ChildReport);
    });
  });
}

const k = (n: number): string => Math.round(n).toLocaleString("en-US");
const kib = (n: number): string => (n / 1024).toFixed(1);

function markdown(reports: ChildReport[], started: Date, ms: number): string {
  const lines: string[] = [];
  lines.push("# permessage-deflate: candidates measured", "");
  lines.push(
    "Command: `node scripts/bench_deflate.ts` (each runtime runs the same",
    "script with `--child`). Each rate is the best of 3 runs of " +
      `${DURATION} ms after a`,
    "warm-up, one message at a time, RFC 7692 §7.2 transform included",
    "(tail removed / appended). Decompression inflates what the same",
    "candidate compressed, in order.",
    "",
    "- chat JSON: 256 different chat messages of ~400 B (user, room, text of",
    "  14-33 common words, ids, timestamps).",
    "- 16 KiB binary: 32 messages of 1,024 sensor records of 16 B (timestamp,",
    "  id, status, random-walk float, counter).",
    "- shared: no context takeover (windowBits 15, memLevel 8); dedicated:",
    "  context takeover at windowBits 15 / memLevel 8 (w15) or 11 / 4 (w11).",
    "- `node:zlib stream` is asynchronous: each message awaits its flush.",
    "",
  );
  for (const report of reports) {
    lines.push(`## ${report.runtime}`, "");
    lines.push(
      "| payload | mode | candidate | compress msgs/s | decompress msgs/s | wire B / msg | msg B |",
      "| --- | --- | --- | ---: | ---: | ---: | ---: |",
    );
    for (const t of report.throughput) {
      lines.push(
        `| ${t.payload} | ${t.mode} | ${t.candidate} | ${
          k(t.compressPerSecond)
        } | ${k(t.decompressPerSecond)} | ${t.wireBytes.toFixed(0)} | ${
          t.messageBytes.toFixed(0)
        } |`,
      );
    }
    lines.push("");
    lines.push(
      "Memory per context (200 contexts, each used for one chat message;",
      "heap = JS heap + array buffers, after a full GC):",
      "",
      "| candidate | context | windowBits | memLevel | heap KiB | RSS KiB |",
      "| --- | --- | ---: | ---: | ---: | ---: |",
    );
    for (const m of report.memory) {
      lines.push(
        `| ${m.candidate} | ${m.kind} | ${m.windowBits} | ${
          m.memLevel ?? "–"
        } | ${kib(m.heapBytes)} | ${kib(m.rssBytes)} |`,
      );
    }
    const b = report.bomb;
    lines.push(
      "",
      `Bomb: ${k(b.compressedBytes)} B of DEFLATE that inflate to ${
        k(b.inflatedBytes)
      } B, fed in 64 KiB frames with a ${k(b.limit)} B limit: close code ${
        b.code ?? "none"
      } after ${b.ms.toFixed(0)} ms, peak RSS growth ${
        kib(b.peakRssGrowth)
      } KiB.`,
      "",
    );
  }
  const cpu = cpus()[0]?.model ?? "unknown CPU";
  lines.push(
    "## Run",
    "",
    `- Date: ${started.toISOString()} (took ${(ms / 1000).toFixed(0)} s)`,
    `- Machine: ${cpu}, ${cpus().length} cores (shared with other work; load average ${
      loadavg()[0].toFixed(2)
    } at start), Linux ${release()}`,
    `- Runtimes: ${reports.map((r) => r.runtime).join(", ")}`,
    "",
  );
  return lines.join("\n");
}

async function driver(): Promise<void> {
  const started = new Date();
  const t0 = performance.now();
  const reports: ChildReport[] = [];
  for (const c of CHILDREN) {
    console.error(`bench_deflate: ${c.name} ...`);
    reports.push(await runChild(c.command, c.args));
  }
  const text = markdown(reports, started, performance.now() - t0);
  console.log(text);
  if (!argv.includes("--no-write")) {
    writeFileSync(join(ROOT, "docs", "bench", "deflate.md"), text);
    console.error("bench_deflate: wrote docs/bench/deflate.md");
  }
}

if (argv.includes("--child")) {
  const watchdog = setTimeout(() => {
    console.error("bench_deflate: child timed out");
    process.exit(2);
  }, CHILD_TIMEOUT_MS);
  const report = await child();
  clearTimeout(watchdog);
  console.log(JSON.stringify(report));
} else {
  await driver();
}
