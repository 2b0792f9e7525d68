/**
 * Helpers of the hostile-input, limits and TLS suites: hand made frames
 * (any length, any bits), a canary connection that keeps echoing, counters
 * of unhandled errors, RSS measurement and the memory check's server
 * process. The raw TCP/TLS client (`RawClient`) and the shared constants
 * come from `_clients.ts` and are re-exported here. Tests may use `node:`
 * modules; this file runs unchanged on Deno, Bun and Node.
 *
 * @module
 */

import { spawn } from "node:child_process";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { runtimeCommand } from "./_cli_process.ts";
import {
  delay,
  HOST,
  OP,
  RawClient,
  SAMPLE_ACCEPT,
  SAMPLE_KEY,
  startServer,
  stopServer,
  withTimeout,
} from "./_clients.ts";

export {
  delay,
  HOST,
  OP,
  RawClient,
  SAMPLE_ACCEPT,
  SAMPLE_KEY,
  startServer,
  stopServer,
  withTimeout,
};
export type {
  HttpResponseHead,
  RawConnectOptions,
  ServerFrame,
} from "./_clients.ts";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ── time ──────────────────────────────────────────────────────────────────

/**
 * Polls `predicate` every 5 ms until it holds; rejects after `ms`.
 *
 * @example
 * ```ts
 * await waitFor(() => server.connections.size === 1, 2000, "one left");
 * ```
 */
export async function waitFor(
  predicate: () => boolean,
  ms: number,
  label: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting: ${label}`);
    await delay(5);
  }
}

// ── servers ───────────────────────────────────────────────────────────────

// ── HTTP heads ────────────────────────────────────────────────────────────

/** The header lines of a valid upgrade request, request-line excluded. */
export const UPGRADE_HEADERS: readonly string[] = [
  "Host: 127.0.0.1",
  "Upgrade: websocket",
  "Connection: Upgrade",
  `Sec-WebSocket-Key: ${SAMPLE_KEY}`,
  "Sec-WebSocket-Version: 13",
];

/**
 * A request head from its lines: joined with CR LF, ended by a blank line.
 *
 * @example
 * ```ts
 * const text = head(["GET / HTTP/1.1", "Host: a"]); // "GET / HTTP/1.1\r\nHost: a\r\n\r\n"
 * ```
 */
export function head(lines: readonly string[]): string {
  return lines.join("\r\n") + "\r\n\r\n";
}

/**
 * A valid upgrade request for `path`, with `extra` header lines appended and
 * the headers named in `omit` (case-insensitive) left out.
 *
 * @example
 * ```ts
 * const text = upgradeHead("/chat", { extra: ["Origin: http://evil.example"] });
 * ```
 */
export function upgradeHead(
  path = "/",
  options: { extra?: readonly string[]; omit?: readonly string[] } = {},
): string {
  const omit = new Set((options.omit ?? []).map((n) => n.toLowerCase()));
  const lines = [`GET ${path} HTTP/1.1`];
  for (const line of UPGRADE_HEADERS) {
    const name = line.slice(0, line.indexOf(":")).toLowerCase();
    if (!omit.has(name)) lines.push(line);
  }
  lines.push(...(options.extra ?? []));
  return head(lines);
}

// ── frames ────────────────────────────────────────────────────────────────

/** Options of {@link frame}. */
export interface FrameOptions {
  /** FIN bit; default true. */
  fin?: boolean;
  /** RSV bits as RSV1 << 2 | RSV2 << 1 | RSV3; default 0. */
  rsv?: number;
  /** Whether to mask (clients must); default true. */
  mask?: boolean;
  /** Announce this length instead of the payload's (malformed frames). */
  length?: bigint;
}

const MASK_KEY = Uint8Array.of(0x37, 0xfa, 0x21, 0x3d);

/**
 * One client frame built by hand (RFC 6455 §5.2), masked by default; the
 * announced length may lie (`length`), up to 2^64 - 1.
 *
 * @example
 * ```ts
 * const bytes = frame(OP.Text, "Hello");
 * const huge = frame(OP.Binary, new Uint8Array(0), { length: 1n << 63n });
 * ```
 */
export function frame(
  opcode: number,
  payload: Uint8Array | string = new Uint8Array(0),
  options: FrameOptions = {},
): Uint8Array {
  const data = typeof payload === "string" ? encoder.encode(payload) : payload;
  const { fin = true, rsv = 0, mask = true } = options;
  const length = options.length ?? BigInt(data.length);
  const lengthBytes = length < 126n ? 0 : length < 65536n ? 2 : 8;
  const headerLength = 2 + lengthBytes + (mask ? 4 : 0);
  const out = new Uint8Array(headerLength + data.length);
  out[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) out[1] = maskBit | Number(length);
  else if (lengthBytes === 2) {
    out[1] = maskBit | 126;
    out[2] = Number(length >> 8n);
    out[3] = Number(length & 0xffn);
  } else {
    out[1] = maskBit | 127;
    new DataView(out.buffer).setBigUint64(2, length);
  }
  let offset = 2 + lengthBytes;
  if (mask) {
    out.set(MASK_KEY, offset);
    offset += 4;
    for (let i = 0; i < data.length; i++) {
      out[offset + i] = data[i] ^ MASK_KEY[i & 3];
    }
  } else {
    out.set(data, offset);
  }
  return out;
}

/**
 * A close frame body: the 2-byte code then the reason (a string, or raw
 * bytes for invalid UTF-8).
 *
 * @example
 * ```ts
 * const body = closeBody(1000, "bye");
 * ```
 */
export function closeBody(
  code: number,
  reason: string | Uint8Array = "",
): Uint8Array {
  const text = typeof reason === "string" ? encoder.encode(reason) : reason;
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

/**
 * Concatenates byte arrays.
 *
 * @example
 * ```ts
 * const both = concat(frame(OP.Text, "a"), frame(OP.Text, "b"));
 * ```
 */
export function concat(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

// ── the canary ────────────────────────────────────────────────────────────

/** What the canary's background echo loop measured. */
export interface CanaryStats {
  /** Round trips completed. */
  echoed: number;
  /** Round trips that failed or exceeded the bound. */
  failures: string[];
  /** Slowest round trip, ms. */
  maxLatency: number;
}

/**
 * A connection opened with the runtime's own `WebSocket` before an attack,
 * that must keep echoing during and after it. Messages it did not send
 * (broadcasts) are ignored.
 *
 * @example
 * ```ts
 * const canary = await Canary.open(`ws://127.0.0.1:${server.port}/?canary`);
 * await canary.echo();
 * canary.start(25);
 * // ... attack ...
 * const stats = await canary.stop();
 * canary.close();
 * ```
 */
export class Canary {
  /** The WebSocket. */
  readonly ws: WebSocket;
  #seq = 0;
  #waiting = new Map<string, () => void>();
  #closed = false;
  #loop: Promise<void> | undefined;
  #running = false;
  #stats: CanaryStats = { echoed: 0, failures: [], maxLatency: 0 };

  private constructor(ws: WebSocket) {
    this.ws = ws;
    ws.addEventListener("message", (event: MessageEvent) => {
      if (typeof event.data !== "string") return;
      const done = this.#waiting.get(event.data);
      if (done === undefined) return;
      this.#waiting.delete(event.data);
      done();
    });
    ws.addEventListener("close", () => {
      this.#closed = true;
    });
  }

  /** Opens the canary and waits for `open` (at most 5 s). */
  static async open(url: string): Promise<Canary> {
    const ws = new WebSocket(url);
    const canary = new Canary(ws);
    await withTimeout(
      new Promise<void>((resolve, reject) => {
        ws.addEventListener("open", () => resolve());
        ws.addEventListener("error", () => reject(new Error("Canary failed")));
      }),
      5000,
      "canary open",
    );
    return canary;
  }

  /** Whether the canary's socket has closed. */
  get closed(): boolean {
    return this.#closed;
  }

  /** One round trip: sends a fresh text and waits for its echo (at most `ms`); returns the latency. */
  async echo(ms = 3000): Promise<number> {
    if (this.#closed) throw new Error("Canary is closed");
    const text = `canary:${++this.#seq}`;
    const started = Date.now();
    const echoed = new Promise<void>((resolve) =>
      this.#waiting.set(text, resolve)
    );
    this.ws.send(text);
    try {
      await withTimeout(echoed, ms, `canary echo of ${text}`);
    } finally {
      this.#waiting.delete(text);
    }
    return Date.now() - started;
  }

  /** Starts echoing in the background, one round trip every `interval` ms. */
  start(interval = 25): void {
    if (this.#running) return;
    this.#running = true;
    this.#stats = { echoed: 0, failures: [], maxLatency: 0 };
    this.#loop = (async () => {
      while (this.#running) {
        try {
          const latency = await this.echo();
          this.#stats.echoed++;
          if (latency > this.#stats.maxLatency) {
            this.#stats.maxLatency = latency;
          }
        } catch (error) {
          this.#stats.failures.push(String(error));
          if (this.#closed) return;
        }
        await delay(interval);
      }
    })();
  }

  /** Stops the background loop and returns what it measured. */
  async stop(): Promise<CanaryStats> {
    this.#running = false;
    await this.#loop;
    this.#loop = undefined;
    return this.#stats;
  }

  /** Closes the canary and waits (bounded) for the close. */
  async close(): Promise<void> {
    if (this.#closed) return;
    const closed = new Promise<void>((resolve) =>
      this.ws.addEventListener("close", () => resolve())
    );
    this.ws.close(1000);
    await withTimeout(closed, 3000, "canary close").catch(() => {});
  }
}

// ── process health ────────────────────────────────────────────────────────

/**
 * Counts `unhandledRejection` and `uncaughtException` events of the process
 * from {@link ProcessWatch.install} to {@link ProcessWatch.uninstall}.
 *
 * @example
 * ```ts
 * const watch = new ProcessWatch();
 * watch.install();
 * // ...
 * watch.uninstall();
 * console.log(watch.errors); // []
 * ```
 */
export class ProcessWatch {
  /** What was raised, as strings. */
  readonly errors: string[] = [];
  #onRejection = (reason: unknown): void => {
    this.errors.push(`unhandledRejection: ${describeError(reason)}`);
  };
  #onException = (error: unknown): void => {
    this.errors.push(`uncaughtException: ${describeError(error)}`);
  };

  /** Starts counting. */
  install(): void {
    process.on("unhandledRejection", this.#onRejection);
    process.on("uncaughtException", this.#onException);
  }

  /** Stops counting. */
  uninstall(): void {
    process.off("unhandledRejection", this.#onRejection);
    process.off("uncaughtException", this.#onException);
  }
}

function describeError(error: unknown): string {
  return error instanceof Error
    ? `${error.name}: ${error.message}\n${error.stack ?? ""}`
    : String(error);
}

let v8Gc: ((options?: object) => void) | null | undefined;
let mallocTrim: (() => void) | null | undefined;

/** What {@link trimMalloc} needs of `Deno`: its FFI. */
interface DenoFfi {
  build: { os: string };
  dlopen(
    path: string,
    symbols: { malloc_trim: { parameters: ["usize"]; result: "i32" } },
  ): { symbols: { malloc_trim(pad: number): number } };
}

/**
 * Gives the free pages inside glibc's heap back to the system
 * (`malloc_trim(0)`), on Deno through its FFI; elsewhere, or where the C
 * library is not glibc, it does nothing.
 *
 * `free()` only shrinks glibc's heap from its top: a block still in use
 * near the top keeps every free page below it resident. Under Deno (whose
 * native side allocates with glibc) that holds 8 to 15 MiB of freed socket
 * and request memory after a round of attacks, or none, depending on which
 * block happened to land last: its RSS settles at about 63 or 77 MiB in no
 * order. `malloc_trim(0)` releases free pages wherever they are and nothing
 * in use, so what remains is what the process holds. (Bun's allocator is
 * given back by `Bun.shrink()`; Node offers neither, and its glibc heap
 * varies by a few MiB only.)
 *
 * @example
 * ```ts
 * await collectGarbage();
 * trimMalloc();
 * ```
 */
export function trimMalloc(): void {
  if (mallocTrim === undefined) {
    mallocTrim = null;
    const deno = (globalThis as unknown as { Deno?: DenoFfi }).Deno;
    if (deno?.build.os === "linux") {
      try {
        const libc = deno.dlopen("libc.so.6", {
          malloc_trim: { parameters: ["usize"], result: "i32" },
        });
        mallocTrim = () => void libc.symbols.malloc_trim(0);
      } catch { /* not glibc (musl, say): nothing to trim */ }
    }
  }
  mallocTrim?.();
}

/**
 * Runs a full garbage collection where the runtime allows it (`Bun.gc`, or
 * V8's `gc` exposed through `node:v8` and `node:vm` on Node and Deno).
 * With `shrink`, the runtime also gives back what it keeps in reserve, as
 * under memory pressure, and so does the C allocator ({@link trimMalloc}).
 *
 * @example
 * ```ts
 * await collectGarbage({ shrink: true });
 * ```
 */
export async function collectGarbage(
  options: { shrink?: boolean } = {},
): Promise<void> {
  const bun = (globalThis as {
    Bun?: { gc(force: boolean): void; shrink?(): void };
  }).Bun;
  if (bun !== undefined) {
    bun.gc(true);
    // Returns freed pages to the system (JSC's heap and the allocator's).
    if (options.shrink) bun.shrink?.();
    return;
  }
  if (v8Gc === undefined) {
    try {
      const v8 = await import("node:v8");
      const vm = await import("node:vm");
      v8.setFlagsFromString("--expose-gc");
      v8Gc = vm.runInNewContext("gc") as (options?: object) => void;
    } catch {
      v8Gc = null;
    }
  }
  // "last-resort": a full GC that also shrinks the young generation grown
  // under load.
  v8Gc?.({
    type: "major",
    execution: "sync",
    flavor: options.shrink ? "last-resort" : "regular",
  });
  if (options.shrink) trimMalloc();
}

/** A sample this far below the lowest so far is a new low, in bytes. */
const SETTLE_STEP = 256 * 1024;
/** How many samples, 100 ms apart, without a new low make a settled RSS. */
const SETTLE_SAMPLES = 3;

/**
 * The process's resident set size once it has settled, in bytes: a full
 * collection (shrinking, see {@link collectGarbage}) every 100 ms, until
 * three samples in a row set no new low (by 256 KiB; at most 3 s); the
 * lowest sample.
 *
 * Bun frees closed sockets' memory and purges its allocator's pages a
 * moment after the collection: 30 ms after it, its RSS read anywhere from
 * 55 to 67 MiB; a few hundred ms later, 55 to 57 MiB.
 *
 * @example
 * ```ts
 * const baseline = await settledRss();
 * ```
 */
export async function settledRss(): Promise<number> {
  const deadline = Date.now() + 3000;
  let lowest = Infinity;
  let since = 0;
  for (;;) {
    await collectGarbage({ shrink: true });
    await delay(100);
    const rss = process.memoryUsage().rss;
    if (rss < lowest - SETTLE_STEP) since = 0;
    else since++;
    lowest = Math.min(lowest, rss);
    if (since >= SETTLE_SAMPLES || Date.now() > deadline) return lowest;
  }
}

// ── subprocesses ──────────────────────────────────────────────────────────

/**
 * The hostile suite's server (`_hostile_server.ts`) in a child process of
 * the same runtime, driven by JSON-line commands.
 *
 * @example
 * ```ts
 * const child = await ServerProcess.start();
 * const { rss } = await child.command("rss");
 * await child.stop();
 * ```
 */
export class ServerProcess {
  /** The port the child's server listens on. */
  readonly port: number;
  #child: ReturnType<typeof spawn>;
  #waiting = new Map<number, (reply: Record<string, unknown>) => void>();
  #next = 0;
  #exited: Promise<void>;

  private constructor(
    child: ReturnType<typeof spawn>,
    port: number,
    lines: AsyncIterator<string>,
    exited: Promise<void>,
  ) {
    this.#child = child;
    this.port = port;
    this.#exited = exited;
    void (async () => {
      for (;;) {
        const { value, done } = await lines.next();
        if (done) return;
        const reply = JSON.parse(value) as Record<string, unknown>;
        const id = reply.id as number;
        this.#waiting.get(id)?.(reply);
        this.#waiting.delete(id);
      }
    })();
  }

  /**
   * Starts the child (`_hostile_server.ts` unless `script` names another
   * server of this folder that speaks the same line protocol) and waits (at
   * most 20 s) for its port. `env` is added to the child's environment.
   */
  static async start(
    script = "./_hostile_server.ts",
    env: Record<string, string> = {},
  ): Promise<ServerProcess> {
    const file = fileURLToPath(new URL(script, import.meta.url));
    const [command, args] = runtimeCommand(file);
    // Measurement hygiene, for the child only (glibc's malloc; Bun's own
    // allocator ignores it; Deno's is also trimmed, see `trimMalloc`). One
    // arena, so that RSS reflects live memory, not how many of the runtime's
    // threads happened to allocate (glibc keeps an arena per thread). A
    // fixed mmap threshold of 64 KiB: blocks that large (read
    // buffers, broadcast frames) get mappings of their own, unmapped when
    // freed. Left dynamic, glibc raises the threshold (up to 32 MiB) once
    // such a block is freed, after which they land in the heap, where a block
    // still in use above them keeps them resident: under Node, whose heap
    // nothing trims, that held about 7.5 MiB after one round in three.
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "inherit"],
      env: {
        ...process.env,
        MALLOC_ARENA_MAX: "1",
        MALLOC_MMAP_THRESHOLD_: "65536",
        ...env,
      },
    });
    const exited = new Promise<void>((resolve) =>
      child.on("exit", () => resolve())
    );
    const lines = readLines(child.stdout!);
    try {
      const first = await withTimeout(lines.next(), 20_000, "child server");
      const { port } = JSON.parse(first.value) as { port: number };
      return new ServerProcess(child, port, lines, exited);
    } catch (error) {
      child.kill("SIGKILL");
      throw error;
    }
  }

  /** Sends a command and waits (at most `ms`) for its reply. */
  command(
    cmd: string,
    fields: Record<string, unknown> = {},
    ms = 30_000,
  ): Promise<Record<string, unknown>> {
    const id = ++this.#next;
    const reply = new Promise<Record<string, unknown>>((resolve) =>
      this.#waiting.set(id, resolve)
    );
    this.#child.stdin!.write(JSON.stringify({ id, cmd, ...fields }) + "\n");
    return withTimeout(reply, ms, `child command ${cmd}`);
  }

  /** Stops the server and waits for the process to exit (killing it after 5 s). */
  async stop(): Promise<void> {
    try {
      await this.command("stop", {}, 5000);
      await withTimeout(this.#exited, 5000, "child exit");
    } catch {
      this.#child.kill("SIGKILL");
      await this.#exited;
    } finally {
      // Open pipes would keep this process alive.
      this.#child.stdin?.destroy();
      this.#child.stdout?.destroy();
    }
  }
}

/** The lines of a readable stream, as an async iterator. */
function readLines(stream: NodeJS.ReadableStream): AsyncIterator<string> {
  let buffered = "";
  const utf8 = new TextDecoder();
  const ready: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  stream.on("data", (chunk: Uint8Array | string) => {
    buffered += typeof chunk === "string"
      ? chunk
      : utf8.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      ready.push(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
    }
    wake?.();
  });
  stream.on("end", () => {
    ended = true;
    wake?.();
  });
  return {
    async next(): Promise<IteratorResult<string>> {
      while (ready.length === 0 && !ended) {
        await new Promise<void>((resolve) => wake = resolve);
        wake = undefined;
      }
      if (ready.length > 0) return { value: ready.shift()!, done: false };
      return { value: undefined, done: true };
    },
  };
}

/** What a finished subprocess printed. */
export interface ProcessResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs `command` with `args`, writes `input` to its stdin, and collects its
 * output; the process is killed after `ms`.
 *
 * @example
 * ```ts
 * const { code, stdout } = await runProcess("/usr/bin/python3", ["-c", "print(1)"]);
 * ```
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: { input?: string; env?: Record<string, string>; ms?: number } = {},
): Promise<ProcessResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, [...args], {
      stdio: ["pipe", "pipe", "pipe"],
      env: { ...process.env, ...options.env },
    });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    let settled = false;
    const ms = options.ms ?? 20_000;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill("SIGKILL");
      reject(new Error(`Timed out after ${ms} ms: ${command} ${args[0]}`));
    }, ms);
    child.stdout!.on("data", (chunk: Uint8Array) => out.push(chunk.slice()));
    child.stderr!.on("data", (chunk: Uint8Array) => err.push(chunk.slice()));
    child.on("error", (error: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      reject(error);
    });
    child.on("close", (code: number | null) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({
        code,
        stdout: decoder.decode(concat(...out)),
        stderr: decoder.decode(concat(...err)),
      });
    });
    child.stdin!.end(options.input ?? "");
  });
}
