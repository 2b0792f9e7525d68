// Long file: a program of its own: the DEFLATE measurements' cases, the codecs compared and the report.
/**
 * Measures the permessage-deflate candidates on each runtime, to choose the
 * implementation by figures (issue 14). It is one file of ~900 lines on
 * purpose: it re-runs itself as a child on each runtime (`--child`), so the
 * parent and every child must load exactly the same cases.
 *
 * - `pako`: the synchronous pure-JavaScript codec of
 *   `engines/deflate_pako.ts`;
 * - `node:zlib sync`: one-shot `deflateRawSync` / `inflateRawSync`
 *   (`engines/deflate_zlib.ts`): no context between messages, so
 *   shared mode only;
 * - `node:zlib stream`: `createDeflateRaw` / `createInflateRaw` with
 *   `flush(Z_SYNC_FLUSH)` (asynchronous, as ws uses it), awaited one
 *   message at a time.
 *
 * For each: messages per second compressed and decompressed (RFC 7692
 * §7.2 transform included), of ~400 B chat JSON and of 16 KiB binary
 * records, in shared mode (no context takeover) and dedicated mode
 * (context takeover); the compressed size; the memory one context costs at
 * several window sizes and memory levels; the heap of an idle compressed
 * connection; and the peak memory of decompressing a bomb (1 GiB of zeros
 * in ~1 MiB) with a 16 MiB limit (Linux: reads /proc/self).
 *
 *   node scripts/bench/deflate.ts               # all three runtimes, writes docs/bench/deflate.md
 *   node scripts/bench/deflate.ts --no-write    # print only
 *   node scripts/bench/deflate.ts --child       # this runtime only, JSON on stdout
 *   deno run -A --v8-flags=--expose-gc scripts/bench/deflate.ts --child
 *   bun scripts/bench/deflate.ts --child
 *
 * `--time=ms` sets each measurement's duration (default 300; best of 3).
 * A child stops after 120 s whatever happens.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { cpus, loadavg, release } from "node:os";
import { dirname, join } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import zlib from "node:zlib";
import { readFileSync, writeFileSync } from "node:fs";
import * as pako from "pako";
import type {
  DeflaterOptions,
  MessageCodec,
} from "../../src/protocol/deflate/codec.ts";
import { contextMessageCodec } from "../../src/protocol/deflate/context_message_codec.ts";
import { DeflateContexts } from "../../src/protocol/deflate/deflate_contexts.ts";
import { MessageCompressor } from "../../src/protocol/deflate/message_compressor.ts";
import { MessageDecompressor } from "../../src/protocol/deflate/message_decompressor.ts";
import { resolveDeflateOptions } from "../../src/protocol/deflate/options.ts";
import { pakoCodec } from "../../engines/deflate_pako.ts";
import { PerMessageDeflate } from "../../src/protocol/deflate/per_message_deflate.ts";
import { zlibMessageCodec } from "../../engines/deflate_zlib.ts";

// deno-lint-ignore no-explicit-any
const g = globalThis as any;
const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
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
    const length = 30 + Math.floor(random() * 30);
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

/** Shared mode as the server runs it: whole messages, right-sized. */
function sharedPair(messages: MessageCodec): Pair {
  const contexts = new DeflateContexts(
    pakoCodec,
    resolveDeflateOptions(),
    messages,
  );
  return {
    compress: (bytes) => contexts.compressMessage(bytes, 15),
    decompress: (bytes) => contexts.decompressMessage(bytes, LIMIT),
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
  /** pako: bytes of the typed arrays the context holds (exact). */
  typedArrayBytes: number | null;
  /** JavaScript heap + array buffers per context, as the runtime reports. */
  heapBytes: number;
  /** Resident set size per context. */
  rssBytes: number;
}

function memoryNow(): { heap: number; rss: number } {
  collectGarbage();
  const usage = process.memoryUsage();
  return { heap: usage.heapUsed + (usage.arrayBuffers ?? 0), rss: usage.rss };
}

/** Bytes of the distinct array buffers reachable from `root`'s fields. */
function typedArrayBytes(root: unknown): number {
  const buffers = new Set<ArrayBufferLike>();
  const seen = new Set<unknown>();
  const visit = (value: unknown, depth: number): void => {
    if (value === null || typeof value !== "object" || seen.has(value)) return;
    seen.add(value);
    if (ArrayBuffer.isView(value)) {
      buffers.add(value.buffer);
      return;
    }
    if (depth > 4) return;
    for (const key of Object.keys(value)) {
      visit((value as Record<string, unknown>)[key], depth + 1);
    }
  };
  visit(root, 0);
  let total = 0;
  for (const buffer of buffers) total += buffer.byteLength;
  return total;
}

async function contextMemory(
  candidate: string,
  kind: "compressor" | "decompressor",
  windowBits: number,
  memLevel: number | null,
  make: () => unknown | Promise<unknown>,
  exact?: () => number,
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
    typedArrayBytes: exact?.() ?? null,
    heapBytes: (after.heap - before.heap) / count,
    rssBytes: (after.rss - before.rss) / count,
  };
  for (const item of kept) {
    (item as { close?: () => void }).close?.();
  }
  kept.length = 0;
  return result;
}

/** A pako deflate stream as the codec makes it, used once. */
function pakoDeflateStream(
  windowBits: number,
  memLevel: number,
  sample: Uint8Array,
): pako.ZStream {
  const strm = new pako.ZStream();
  pako.zlibDeflateInit2(strm, 6, 8, -windowBits, memLevel, 0, memLevel < 8);
  strm.input = sample;
  strm.next_in = 0;
  strm.avail_in = sample.length;
  strm.output = new Uint8Array(sample.length + 1024);
  strm.next_out = 0;
  strm.avail_out = strm.output.length;
  pako.zlibDeflate(strm, pako.Z_SYNC_FLUSH);
  strm.input = new Uint8Array(0);
  strm.output = new Uint8Array(0);
  return strm;
}

function pakoInflateStream(
  windowBits: number,
  payload: Uint8Array,
): pako.ZStream {
  const strm = new pako.ZStream();
  pako.zlibInflateInit2(strm, -windowBits);
  strm.input = payload;
  strm.next_in = 0;
  strm.avail_in = payload.length;
  strm.output = new Uint8Array(64 * 1024);
  strm.next_out = 0;
  strm.avail_out = strm.output.length;
  pako.zlibInflate(strm, pako.Z_NO_FLUSH);
  strm.input = new Uint8Array(0);
  strm.output = new Uint8Array(0);
  return strm;
}

const PRESETS: [number, number][] = [
  [9, 1],
  [9, 2],
  [11, 4],
  [12, 5],
  [12, 8],
  [15, 8],
  [15, 9],
];

async function memoryCases(sample: Uint8Array): Promise<ContextMemory[]> {
  const results: ContextMemory[] = [];
  const compressed = new Map<number, Uint8Array>();
  for (const windowBits of [9, 11, 12, 15]) {
    const c = pakoCodec.createDeflater({ windowBits, memLevel: 8, level: 6 });
    compressed.set(windowBits, c.deflate(sample, true));
  }
  for (const [windowBits, memLevel] of PRESETS) {
    results.push(
      await contextMemory(
        "pako",
        "compressor",
        windowBits,
        memLevel,
        () => {
          const deflater = pakoCodec.createDeflater({
            windowBits,
            memLevel,
            level: 6,
          });
          deflater.deflate(sample, true);
          return deflater;
        },
        () => typedArrayBytes(pakoDeflateStream(windowBits, memLevel, sample)),
      ),
    );
  }
  for (const windowBits of [9, 11, 12, 15]) {
    results.push(
      await contextMemory(
        "pako",
        "decompressor",
        windowBits,
        null,
        () => {
          const inflater = pakoCodec.createInflater(windowBits);
          inflater.inflate(compressed.get(windowBits)!, LIMIT);
          return inflater;
        },
        () =>
          typedArrayBytes(
            pakoInflateStream(windowBits, compressed.get(windowBits)!),
          ),
      ),
    );
  }
  for (const [windowBits, memLevel] of PRESETS) {
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
  for (const windowBits of [9, 11, 12, 15]) {
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

interface IdleCost {
  mode: string;
  /** Heap bytes of one connection's PerMessageDeflate before any message. */
  idleBytes: number;
  /** The same after one message each way. */
  afterMessageBytes: number;
}

/** What a compressed connection costs beyond its PerMessageDeflate object. */
function idleCosts(sample: Uint8Array): IdleCost[] {
  const out: IdleCost[] = [];
  const cases = [
    ["shared", resolveDeflateOptions(), {
      serverNoContextTakeover: true,
      clientNoContextTakeover: true,
      serverMaxWindowBits: 15,
      clientMaxWindowBits: 15,
    }],
    ["dedicated w11", resolveDeflateOptions({ mode: "dedicated" }), {
      serverNoContextTakeover: false,
      clientNoContextTakeover: false,
      serverMaxWindowBits: 11,
      clientMaxWindowBits: 11,
    }],
  ] as const;
  for (const [mode, options, parameters] of cases) {
    const contexts = new DeflateContexts(pakoCodec, options);
    const peer = new DeflateContexts(pakoCodec, options);
    const count = 2000;
    const kept: PerMessageDeflate[] = [];
    // Shared contexts exist before the measurement, as in a running server.
    const warm = new PerMessageDeflate(contexts, parameters, "server");
    warm.decompress(
      new PerMessageDeflate(peer, parameters, "client").compress(sample, true),
      true,
      LIMIT,
    );
    warm.compress(sample, true);
    const before = memoryNow();
    for (let i = 0; i < count; i++) {
      kept.push(new PerMessageDeflate(contexts, parameters, "server"));
    }
    const idle = memoryNow();
    // A first message, decodable by any fresh context.
    const payload = new PerMessageDeflate(peer, parameters, "client")
      .compress(sample, true);
    for (const connection of kept) {
      connection.decompress(payload, true, LIMIT);
      connection.compress(sample, true);
    }
    const used = memoryNow();
    out.push({
      mode,
      idleBytes: (idle.heap - before.heap) / count,
      afterMessageBytes: (used.heap - before.heap) / count,
    });
    kept.length = 0;
  }
  return out;
}

// ---------------------------------------------------------------------------
// Decompression bomb

interface Bomb {
  candidate: string;
  compressedBytes: number;
  inflatedBytes: number;
  limit: number;
  code: number | null;
  ms: number;
  /** Peak RSS growth while decompressing (Linux VmHWM), bytes. */
  peakRssGrowth: number;
}

/**
 * 1 GiB of zeros as one raw DEFLATE stream: 16 MiB compressed once and the
 * result repeated 64 times (each copy ends byte-aligned with a sync flush
 * and only refers one byte back, so copies concatenate).
 */
function bombPayload(): Uint8Array {
  // Compressed from a 1 MiB buffer 16 times, so that building the bomb
  // leaves no large free block for the measured run to reuse unseen.
  const deflater = pakoCodec.createDeflater({
    windowBits: 15,
    memLevel: 9,
    level: 9,
  });
  const zeros = new Uint8Array(1024 * 1024);
  const parts: Uint8Array[] = [];
  for (let i = 0; i < 16; i++) parts.push(deflater.deflate(zeros, false));
  parts.push(deflater.deflate(new Uint8Array(0), true));
  let size = 0;
  for (const part of parts) size += part.length;
  const piece = new Uint8Array(size);
  let at = 0;
  for (const part of parts) {
    piece.set(part, at);
    at += part.length;
  }
  const copies = 64;
  const payload = new Uint8Array(piece.length * copies - 4);
  for (let i = 0; i < copies - 1; i++) payload.set(piece, i * piece.length);
  payload.set(piece.subarray(0, piece.length - 4), (copies - 1) * piece.length);
  return payload;
}

function statusBytes(field: string): number {
  const status = readFileSync("/proc/self/status", "utf8");
  return Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)![1]) * 1024;
}

function bomb(candidate: string, codec: MessageCodec): Bomb {
  const payload = bombPayload();
  const limit = 16 * 1024 * 1024;
  collectGarbage();
  const base = statusBytes("VmRSS");
  writeFileSync("/proc/self/clear_refs", "5");
  let code: number | null = null;
  const start = performance.now();
  try {
    codec.decompress(payload, limit);
  } catch (error) {
    code = (error as { code?: number }).code ?? null;
  }
  const ms = performance.now() - start;
  return {
    candidate,
    compressedBytes: payload.length,
    inflatedBytes: 1024 * 1024 * 1024,
    limit,
    code,
    ms,
    peakRssGrowth: statusBytes("VmHWM") - base,
  };
}

// ---------------------------------------------------------------------------

interface ChildReport {
  runtime: string;
  throughput: Throughput[];
  memory: ContextMemory[];
  idle: IdleCost[];
  bombs: Bomb[];
}

async function child(): Promise<ChildReport> {
  // Bombs first, while the allocator holds no large free block that would
  // hide their peak from the resident set.
  const pakoMessages = contextMessageCodec(pakoCodec);
  const bombs = [
    bomb("pako", pakoMessages),
    bomb("node:zlib sync", zlibMessageCodec),
  ];
  const chat = chatMessages(256);
  const binary = binaryMessages(32);
  const w15 = { windowBits: 15, memLevel: 8, level: 6 };
  const w11 = { windowBits: 11, memLevel: 4, level: 6 };
  const results: Throughput[] = [];
  const payloads: [string, Uint8Array[]][] = [
    ["chat JSON", chat],
    ["16 KiB binary", binary],
  ];
  for (const [name, list] of payloads) {
    const cases: [string, string, () => Pair][] = [
      ["shared", "pako", () => sharedPair(pakoMessages)],
      ["shared", "node:zlib sync", () => sharedPair(zlibMessageCodec)],
      ["shared", "node:zlib stream", () => zlibStreamPair(false, w15)],
      ["dedicated w15", "pako", () => pakoPair(true, w15)],
      ["dedicated w15", "node:zlib stream", () => zlibStreamPair(true, w15)],
      ["dedicated w11", "pako", () => pakoPair(true, w11)],
      ["dedicated w11", "node:zlib stream", () => zlibStreamPair(true, w11)],
    ];
    for (const [mode, candidate, make] of cases) {
      results.push(await throughput(name, list, mode, candidate, make));
    }
  }
  const memory = await memoryCases(chat[0]);
  const idle = idleCosts(chat[0]);
  return { runtime: runtimeName(), throughput: results, memory, idle, bombs };
}

// ---------------------------------------------------------------------------
// Driver (node): one child per runtime, then the report

const k = (n: number): string => Math.round(n).toLocaleString("en-US");
const kib = (n: number): string => (n / 1024).toFixed(1);

function markdown(reports: ChildReport[], started: Date, ms: number): string {
  const lines: string[] = [];
  lines.push("# permessage-deflate: candidates measured", "");
  lines.push(
    "Written by `node scripts/bench/deflate.ts` (each runtime runs the same",
    "script with `--child`); the choice made from these figures is in",
    "[../deflate.md](../deflate.md).",
    "",
    `Each rate is the best of 3 runs of ${DURATION} ms after a warm-up, one`,
    "message at a time, RFC 7692 §7.2 transform included (tail removed and",
    "appended). Decompression inflates what the same candidate compressed,",
    "in order.",
    "",
    "- chat JSON: 256 different chat messages (user, room, text of 30-59",
    "  common words, ids, timestamps).",
    "- 16 KiB binary: 32 messages of 1,024 sensor records of 16 B (timestamp,",
    "  id, status, random-walk float, counter).",
    "- shared: no context takeover, as `DeflateContexts` runs it (window and",
    "  memLevel sized to the message, contexts reset after each message);",
    "  `node:zlib sync` is `engines/deflate_zlib.ts`",
    "  (`deflateRawSync` / `inflateRawSync`), `node:zlib stream` one",
    "  `createDeflateRaw` stream reset after each message.",
    "- dedicated: context takeover at windowBits 15 / memLevel 8 (w15) or",
    "  11 / 4 (w11).",
    "- `node:zlib stream` is asynchronous: each message awaits its flush",
    "  (as ws does); the protocol core is synchronous and cannot use it.",
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
      "Memory per context (200 contexts, each used for one chat message).",
      "Typed arrays: exact bytes of pako's buffers. Heap: JS heap + array",
      "buffers as the runtime reports them after a full GC (Deno reports no",
      "array buffers). RSS: resident growth, noisy (allocator reuse).",
      "",
      "| candidate | context | windowBits | memLevel | typed arrays KiB | heap KiB | RSS KiB |",
      "| --- | --- | ---: | ---: | ---: | ---: | ---: |",
    );
    for (const m of report.memory) {
      lines.push(
        `| ${m.candidate} | ${m.kind} | ${m.windowBits} | ${
          m.memLevel ?? "–"
        } | ${m.typedArrayBytes === null ? "–" : kib(m.typedArrayBytes)} | ${
          kib(m.heapBytes)
        } | ${kib(m.rssBytes)} |`,
      );
    }
    lines.push(
      "",
      "Heap per connection's `PerMessageDeflate` (2,000 connections of one",
      "server, pako contexts):",
      "",
      "| mode | idle B | after one message each way B |",
      "| --- | ---: | ---: |",
    );
    for (const c of report.idle) {
      lines.push(
        `| ${c.mode} | ${c.idleBytes.toFixed(0)} | ${
          c.afterMessageBytes.toFixed(0)
        } |`,
      );
    }
    lines.push("");
    for (const b of report.bombs) {
      lines.push(
        `Bomb, ${b.candidate}: ${k(b.compressedBytes)} B of DEFLATE that ` +
          `inflate to ${k(b.inflatedBytes)} B, one message, limit ${
            k(b.limit)
          } B: close code ${b.code ?? "none"} after ${
            b.ms.toFixed(0)
          } ms, peak RSS growth ${kib(b.peakRssGrowth)} KiB.`,
        "",
      );
    }
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
