/**
 * Helpers of the hostile-input, limits and TLS suites: a raw TCP/TLS client
 * that writes whatever a test says and parses what the server answers, hand
 * made frames (any length, any bits), a canary connection that keeps
 * echoing, counters of unhandled errors, and RSS measurement.
 *
 * Copied and adapted from `_clients.ts` and `_frames.ts` (owned by other
 * suites) so that these suites do not depend on their changes. Tests may use
 * `node:` modules; this file runs unchanged on Deno, Bun and Node.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { connect as netConnect, type Socket } from "node:net";
import process from "node:process";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import {
  delay,
  OP,
  SAMPLE_ACCEPT,
  SAMPLE_KEY,
  startServer,
  stopServer,
  withTimeout,
} from "./_clients.ts";

export {
  delay,
  OP,
  SAMPLE_ACCEPT,
  SAMPLE_KEY,
  startServer,
  stopServer,
  withTimeout,
};

/** Every test server binds here, on port 0. */
export const HOST = "127.0.0.1";

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

/** A frame the server sent, as the raw client parsed it. */
export interface ServerFrame {
  fin: boolean;
  rsv: number;
  opcode: number;
  masked: boolean;
  payload: Uint8Array;
}

/** The status line and headers of an HTTP response the raw client read. */
export interface ResponseHead {
  status: number;
  /** Header names in lower case. */
  headers: Map<string, string>;
  raw: string;
}

/** Options of {@link RawClient.connect}. */
export interface RawConnectOptions {
  /** Bound on connecting (and the TLS handshake), ms. Default 5000. */
  timeout?: number;
  /** Local address to connect from (another 127.x.y.z for a second "IP"). */
  localAddress?: string;
  /** Connect with TLS, trusting `ca` (PEM; the system's CAs without it). */
  tls?: { ca?: string; servername?: string };
}

/**
 * A raw TCP (or TLS) client: writes whatever the test says and parses what
 * the server answers. Received bytes are buffered until a reader takes
 * them, so nothing is lost between awaits.
 *
 * @example
 * ```ts
 * const raw = await RawClient.connect(server.port);
 * await raw.handshake();
 * raw.write(frame(OP.Text, "hello"));
 * const echoed = await raw.readFrame();
 * raw.destroy();
 * ```
 */
export class RawClient {
  /** The socket (half-open allowed). */
  readonly socket: Socket;
  /** Resolves when the socket fully closed. */
  readonly closed: Promise<void>;
  /** Resolves when the server sent FIN. */
  readonly ended: Promise<void>;
  /** Total bytes received. */
  bytesReceived = 0;
  /** Whether the socket has closed. */
  isClosed = false;
  /** Whether the server sent FIN. */
  isEnded = false;
  /** The first socket error, if any (a reset, typically). */
  error: Error | undefined;
  /** Count received bytes but do not keep them (floods, fuzzing). */
  discard = false;
  #chunks: Uint8Array[] = [];
  #length = 0;
  #wake: (() => void) | undefined;
  #halfClosed = false;

  /** Wraps a connecting socket; prefer {@link RawClient.connect}. */
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on("data", (chunk: Uint8Array) => {
      this.bytesReceived += chunk.length;
      if (this.discard) return;
      // The runtime may reuse its read buffer: keep a copy.
      this.#chunks.push(chunk.slice());
      this.#length += chunk.length;
      this.#notify();
    });
    socket.on("error", (error: Error) => {
      this.error ??= error;
    });
    this.ended = new Promise((resolve) => {
      socket.on("end", () => {
        this.isEnded = true;
        this.#notify();
        resolve();
      });
    });
    this.closed = new Promise((resolve) => {
      socket.on("close", () => {
        this.isClosed = true;
        this.#notify();
        resolve();
      });
    });
  }

  /** Connects to 127.0.0.1:`port`. */
  static async connect(
    port: number,
    options: RawConnectOptions = {},
  ): Promise<RawClient> {
    const { tls } = options;
    const socket: Socket = tls === undefined
      ? netConnect({
        host: HOST,
        port,
        allowHalfOpen: true,
        localAddress: options.localAddress,
      })
      : tlsConnect({
        host: HOST,
        port,
        ca: tls.ca,
        servername: tls.servername ?? "localhost",
      });
    socket.setNoDelay(true);
    const client = new RawClient(socket);
    const event = tls === undefined ? "connect" : "secureConnect";
    try {
      await withTimeout(
        new Promise<void>((resolve, reject) => {
          socket.once(event, () => resolve());
          socket.once("error", reject);
        }),
        options.timeout ?? 5000,
        `connect to ${port}`,
      );
    } catch (error) {
      socket.destroy();
      throw error;
    }
    return client;
  }

  /** The TLS socket, when connected with TLS. */
  get tlsSocket(): TLSSocket {
    return this.socket as TLSSocket;
  }

  /** Writes raw bytes or an ASCII string. */
  write(bytes: Uint8Array | string): void {
    this.socket.write(
      typeof bytes === "string" ? encoder.encode(bytes) : bytes,
    );
  }

  /**
   * Writes a valid upgrade request for `path` (plus `extra` bytes in the
   * same write) and reads the response head; throws unless it is 101.
   */
  async handshake(
    path = "/",
    options: { headers?: readonly string[]; extra?: Uint8Array } = {},
  ): Promise<ResponseHead> {
    const request = encoder.encode(
      upgradeHead(path, { extra: options.headers }),
    );
    this.write(
      options.extra === undefined ? request : concat(request, options.extra),
    );
    const response = await this.readHead();
    if (response.status !== 101) {
      throw new Error(`Handshake failed: ${response.raw}`);
    }
    return response;
  }

  /** Reads an HTTP response head (up to the blank line). */
  async readHead(ms = 5000): Promise<ResponseHead> {
    const end = await this.#waitUntil(
      () => {
        if (this.#length < 4) return undefined;
        const b = this.#peek(this.#length);
        for (let i = 0; i + 3 < b.length; i++) {
          if (
            b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10
          ) return i + 4;
        }
        return undefined;
      },
      ms,
      "HTTP response head",
    );
    const raw = decoder.decode(this.#take(end));
    const [statusLine, ...lines] = raw.slice(0, -4).split("\r\n");
    const headers = new Map<string, string>();
    for (const line of lines) {
      const colon = line.indexOf(":");
      headers.set(
        line.slice(0, colon).trim().toLowerCase(),
        line.slice(colon + 1).trim(),
      );
    }
    return { status: Number(statusLine.split(" ")[1]), headers, raw };
  }

  /** Reads an HTTP response head and the `Content-Length` body after it. */
  async readResponse(
    ms = 5000,
  ): Promise<ResponseHead & { body: string }> {
    const response = await this.readHead(ms);
    const length = Number(response.headers.get("content-length") ?? 0);
    await this.#waitUntil(
      () => this.#length >= length ? length : undefined,
      ms,
      "HTTP response body",
    );
    return { ...response, body: decoder.decode(this.#take(length)) };
  }

  /** Reads the next whole server frame (at most `ms`). */
  async readFrame(ms = 5000): Promise<ServerFrame> {
    const size = await this.#waitUntil(
      () =>
        this.#length < 2
          ? undefined
          : frameSize(this.#peek(Math.min(14, this.#length)), this.#length),
      ms,
      "server frame",
    );
    const bytes = this.#take(size);
    const b1 = bytes[1];
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let offset = 2;
    if (length === 126) {
      length = (bytes[2] << 8) | bytes[3];
      offset = 4;
    } else if (length === 127) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      length = Number(view.getBigUint64(2));
      offset = 10;
    }
    let payload: Uint8Array;
    if (masked) {
      const key = bytes.subarray(offset, offset + 4);
      payload = bytes.slice(offset + 4, offset + 4 + length);
      for (let i = 0; i < payload.length; i++) payload[i] ^= key[i & 3];
    } else {
      payload = bytes.subarray(offset, offset + length);
    }
    return {
      fin: (bytes[0] & 0x80) !== 0,
      rsv: (bytes[0] >> 4) & 7,
      opcode: bytes[0] & 0x0f,
      masked,
      payload,
    };
  }

  /** Reads the next frame and returns its text (throws unless it is text). */
  async readText(ms = 5000): Promise<string> {
    const f = await this.readFrame(ms);
    if (f.opcode !== OP.Text) {
      throw new Error(`Expected a text frame, got opcode ${f.opcode}`);
    }
    return decoder.decode(f.payload);
  }

  /** Reads frames until a close frame; returns its code, reason and the frames before it. */
  async readClose(
    ms = 5000,
  ): Promise<{ code: number; reason: string; before: ServerFrame[] }> {
    const before: ServerFrame[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const f = await this.readFrame(Math.max(1, deadline - Date.now()));
      if (f.opcode === OP.Close) {
        if (f.payload.length < 2) return { code: 1005, reason: "", before };
        return {
          code: (f.payload[0] << 8) | f.payload[1],
          reason: decoder.decode(f.payload.subarray(2)),
          before,
        };
      }
      before.push(f);
    }
  }

  /** Resolves when the server sent FIN or the socket closed (at most `ms`). */
  waitGone(ms = 5000): Promise<void> {
    return withTimeout(
      Promise.race([this.ended, this.closed]),
      ms,
      "server dropping the socket",
    );
  }

  /** Bytes received and not yet consumed. */
  get buffered(): number {
    return this.#length;
  }

  /** Takes every byte received and not yet consumed. */
  takeAll(): Uint8Array {
    return this.#take(this.#length);
  }

  /** Half-closes: sends FIN, keeps reading. */
  end(): void {
    this.#halfClosed = true;
    this.socket.end();
  }

  /** Drops the connection at once (a reset where the runtime can). */
  destroy(): void {
    const socket = this.socket as Socket & { resetAndDestroy?: () => void };
    // Node: a reset while our FIN is pending leaves the handle open (and
    // the event loop spinning), so after end() plain destroy() it is.
    if (
      typeof socket.resetAndDestroy === "function" && !this.isClosed &&
      !this.#halfClosed
    ) {
      try {
        socket.resetAndDestroy();
        return;
      } catch { /* fall back to destroy() */ }
    }
    socket.destroy();
  }

  #peek(n: number): Uint8Array {
    const chunks = this.#chunks;
    if (chunks[0].length >= n) return chunks[0].subarray(0, n);
    let count = 0;
    let size = 0;
    while (size < n) size += chunks[count++].length;
    const merged = new Uint8Array(size);
    let offset = 0;
    for (let i = 0; i < count; i++) {
      merged.set(chunks[i], offset);
      offset += chunks[i].length;
    }
    chunks.splice(0, count, merged);
    return merged.subarray(0, n);
  }

  #take(n: number): Uint8Array {
    if (n === 0) return new Uint8Array(0);
    const out = this.#peek(n);
    const first = this.#chunks[0];
    if (first.length === n) this.#chunks.shift();
    else this.#chunks[0] = first.subarray(n);
    this.#length -= n;
    return out;
  }

  #notify(): void {
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  async #waitUntil<T>(
    ready: () => T | undefined,
    ms: number,
    label: string,
  ): Promise<T> {
    const deadline = Date.now() + ms;
    for (;;) {
      const value = ready();
      if (value !== undefined) return value;
      if (this.isClosed || this.isEnded) {
        throw new Error(`Connection ended while waiting for: ${label}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Timed out after ${ms} ms: ${label}`);
      await withTimeout(
        new Promise<void>((resolve) => this.#wake = resolve),
        left,
        label,
      );
    }
  }
}

/** The size of the first whole frame in `b`, or undefined when incomplete. */
function frameSize(b: Uint8Array, available: number): number | undefined {
  if (b.length < 2) return undefined;
  const masked = (b[1] & 0x80) !== 0;
  let length = b[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (b.length < 4) return undefined;
    length = (b[2] << 8) | b[3];
    offset = 4;
  } else if (length === 127) {
    if (b.length < 10) return undefined;
    const view = new DataView(b.buffer, b.byteOffset, b.length);
    length = Number(view.getBigUint64(2));
    offset = 10;
  }
  const total = offset + (masked ? 4 : 0) + length;
  return available >= total ? total : undefined;
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

/**
 * Runs a full garbage collection where the runtime allows it (`Bun.gc`, or
 * V8's `gc` exposed through `node:v8` and `node:vm` on Node and Deno).
 * With `shrink`, the runtime also gives back what it keeps in reserve, as
 * under memory pressure.
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
}

/**
 * The process's resident set size after a garbage collection and a short
 * settle, in bytes.
 *
 * @example
 * ```ts
 * const baseline = await settledRss();
 * ```
 */
export async function settledRss(): Promise<number> {
  for (let i = 0; i < 3; i++) {
    await collectGarbage({ shrink: true });
    await delay(30);
  }
  return process.memoryUsage().rss;
}

// ── subprocesses ──────────────────────────────────────────────────────────

/**
 * The command that runs a TypeScript file on the current runtime: `deno run
 * -A file`, `bun file` or `node file`.
 *
 * @example
 * ```ts
 * const [command, args] = runtimeCommand("tests/_hostile_server.ts");
 * ```
 */
export function runtimeCommand(file: string): [string, string[]] {
  const isDeno = typeof (globalThis as { Deno?: unknown }).Deno === "object";
  return [process.execPath, isDeno ? ["run", "-A", file] : [file]];
}

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

  /** Starts the child and waits (at most 20 s) for its port. */
  static async start(): Promise<ServerProcess> {
    const file = fileURLToPath(
      new URL("./_hostile_server.ts", import.meta.url),
    );
    const [command, args] = runtimeCommand(file);
    // One malloc arena: RSS then reflects live memory, not how many of the
    // runtime's threads happened to allocate (glibc keeps an arena per thread).
    const child = spawn(command, args, {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, MALLOC_ARENA_MAX: "1" },
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
