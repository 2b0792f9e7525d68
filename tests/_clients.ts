/**
 * Test helpers shared by the server, conformance and driver suites: the
 * runtime's own `WebSocket` client, a raw TCP client (`node:net`) that speaks
 * hand-made frames, and the python-websockets client. Every wait is bounded.
 *
 * Tests may use `node:` modules; this file runs unchanged on Deno, Bun and
 * Node.
 *
 * @module
 */

import { spawn } from "node:child_process";
import { connect as netConnect, type Socket } from "node:net";
import { connect as tlsConnect, type TLSSocket } from "node:tls";
import { fileURLToPath } from "node:url";
import type { CloseInfo, Connection } from "../src/driver/connection.ts";
import { Server } from "@anyws/anyws";
import type { ServerOptions } from "../src/server/options.ts";

/** Every test server binds here, on port 0. */
export const HOST = "127.0.0.1";

const encoder = new TextEncoder();
const decoder = new TextDecoder();

// ── time ──────────────────────────────────────────────────────────────────

/**
 * Resolves or rejects like `promise`, or rejects with `Timed out: label`
 * after `ms`. The timer is always cleared.
 *
 * @example
 * ```ts
 * const value = await withTimeout(Promise.resolve(1), 100, "one");
 * ```
 */
export function withTimeout<T>(
  promise: Promise<T>,
  ms: number,
  label: string,
): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Timed out after ${ms} ms: ${label}`)),
      ms,
    );
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/**
 * Waits `ms` milliseconds.
 *
 * @example
 * ```ts
 * await delay(10);
 * ```
 */
export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * Polls `predicate` every few milliseconds until it holds; rejects after `ms`.
 *
 * @example
 * ```ts
 * await waitFor(() => server.connections.size === 0, 2000, "all closed");
 * ```
 */
export async function waitFor(
  predicate: () => boolean,
  ms: number,
  label: string,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > deadline) {
      throw new Error(`Timed out after ${ms} ms: ${label}`);
    }
    await delay(5);
  }
}

/**
 * A promise plus its resolve function, for events awaited in tests.
 *
 * @example
 * ```ts
 * const opened = deferred<string>();
 * opened.resolve("id");
 * await opened.promise;
 * ```
 */
export interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

/**
 * Creates a {@link Deferred}.
 *
 * @example
 * ```ts
 * const closed = deferred<number>();
 * ```
 */
export function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

// ── payloads ──────────────────────────────────────────────────────────────

/** 12 UTF-8 bytes: 1 + 1 + 1 + 2 + 3 + 4 (the same unit as _python_client.py). */
const TEXT_UNIT = "abc\u00e9\u20ac\u{1F600}";
const TEXT_UNIT_BYTES = 12;
const BINARY_BLOCK = new Uint8Array(256).map((_, i) => (i * 31 + 7) & 0xff);

/**
 * A deterministic text message of exactly `size` UTF-8 bytes, with 1- to
 * 4-byte characters; identical to `generate("text", size)` in python.
 *
 * @example
 * ```ts
 * console.log(encoder.encode(generateText(126)).length); // 126
 * ```
 */
export function generateText(size: number): string {
  const whole = Math.floor(size / TEXT_UNIT_BYTES);
  return TEXT_UNIT.repeat(whole) + "x".repeat(size - whole * TEXT_UNIT_BYTES);
}

/**
 * A deterministic binary message of `size` bytes (byte i is
 * `(i * 31 + 7) & 0xff`); identical to `generate("binary", size)` in python.
 *
 * @example
 * ```ts
 * console.log(generateBinary(3)); // Uint8Array [7, 38, 69]
 * ```
 */
export function generateBinary(size: number): Uint8Array<ArrayBuffer> {
  const out = new Uint8Array(size);
  out.set(BINARY_BLOCK.subarray(0, Math.min(256, size)));
  let filled = Math.min(256, size);
  while (filled < size) {
    const n = Math.min(filled, size - filled);
    out.copyWithin(filled, 0, n);
    filled += n;
  }
  return out;
}

/**
 * Whether two byte arrays hold the same bytes (word-wise, fast for MiBs).
 *
 * @example
 * ```ts
 * console.log(sameBytes(new Uint8Array([1]), new Uint8Array([1]))); // true
 * ```
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  const n = a.length;
  let i = 0;
  if (a.byteOffset % 4 === 0 && b.byteOffset % 4 === 0) {
    const words = n >>> 2;
    const wa = new Uint32Array(a.buffer, a.byteOffset, words);
    const wb = new Uint32Array(b.buffer, b.byteOffset, words);
    for (; i < words; i++) if (wa[i] !== wb[i]) return false;
    i = words * 4;
  }
  for (; i < n; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * The hex SHA-256 of `data` (UTF-8 for strings), as python reports it.
 *
 * @example
 * ```ts
 * console.log(await sha256Hex("")); // "e3b0c442..."
 * ```
 */
export async function sha256Hex(data: string | Uint8Array): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const digest = await crypto.subtle.digest(
    "SHA-256",
    bytes as Uint8Array<ArrayBuffer>,
  );
  return Array.from(
    new Uint8Array(digest),
    (b) => b.toString(16).padStart(2, "0"),
  )
    .join("");
}

/**
 * The UTF-8 byte length of a string.
 *
 * @example
 * ```ts
 * console.log(utf8Length("é")); // 2
 * ```
 */
export function utf8Length(text: string): number {
  return encoder.encode(text).length;
}

// ── server ────────────────────────────────────────────────────────────────

/**
 * A listening server on 127.0.0.1 and a free port, on the runtime's own
 * (auto) engine; `setup` registers handlers before it listens.
 *
 * @example
 * ```ts
 * const server = await startServer({}, (s) => s.on("message", (d, c) => c.send(d)));
 * await server.stop();
 * ```
 */
export async function startServer(
  options: ServerOptions = {},
  setup?: (server: Server) => void,
): Promise<Server> {
  const server = new Server({ hostname: HOST, port: 0, ...options });
  setup?.(server);
  await server.listen();
  return server;
}

/**
 * Stops `server` quickly (short close timeout), bounded in time.
 *
 * @example
 * ```ts
 * await stopServer(server);
 * ```
 */
export async function stopServer(server: Server | undefined): Promise<void> {
  if (server === undefined) return;
  await withTimeout(server.stop({ timeout: 1000 }), 5000, "server.stop()");
}

// ── the runtime's WebSocket ───────────────────────────────────────────────

/** What a client's `close` event reported. */
export interface CloseResult {
  code: number;
  reason: string;
  wasClean: boolean;
}

/**
 * A runtime `WebSocket` with a message queue, so tests can await messages in
 * order.
 *
 * @example
 * ```ts
 * const client = await openClient(server.url);
 * client.ws.send("hi");
 * console.log(await client.next());
 * ```
 */
export class WsClient {
  /** The underlying runtime WebSocket (`binaryType` is `"arraybuffer"`). */
  readonly ws: WebSocket;
  /** Resolves with the close event once the socket closed. */
  readonly closed: Promise<CloseResult>;
  /** Messages received and not yet taken by {@link next}. */
  readonly queue: Array<string | Uint8Array> = [];
  /** How many messages arrived in total. */
  received = 0;
  #waiters: Array<(message: string | Uint8Array) => void> = [];
  #closeResult: CloseResult | undefined;

  /** Wraps `ws`; call before any message can arrive. */
  constructor(ws: WebSocket) {
    this.ws = ws;
    ws.binaryType = "arraybuffer";
    ws.addEventListener("message", (event: MessageEvent) => {
      const data = typeof event.data === "string"
        ? event.data
        : new Uint8Array(event.data as ArrayBuffer);
      this.received++;
      const waiter = this.#waiters.shift();
      if (waiter) waiter(data);
      else this.queue.push(data);
    });
    this.closed = new Promise((resolve) => {
      ws.addEventListener("close", (event: CloseEvent) => {
        this.#closeResult = {
          code: event.code,
          reason: event.reason,
          wasClean: event.wasClean,
        };
        resolve(this.#closeResult);
      });
    });
  }

  /** The close event, once closed. */
  get closeResult(): CloseResult | undefined {
    return this.#closeResult;
  }

  /** The next message, waiting at most `ms`; rejects at once if the socket closes first. */
  next(ms = 5000): Promise<string | Uint8Array> {
    const queued = this.queue.shift();
    if (queued !== undefined) return Promise.resolve(queued);
    const { promise, resolve, reject } = deferred<string | Uint8Array>();
    this.#waiters.push(resolve);
    this.closed.then((info) =>
      reject(
        new Error(
          `WebSocket closed while waiting for a message: ${info.code} ${info.reason}`,
        ),
      )
    );
    return withTimeout(promise, ms, "next WebSocket message").catch((error) => {
      const index = this.#waiters.indexOf(resolve);
      if (index >= 0) this.#waiters.splice(index, 1);
      throw error;
    });
  }

  /** Closes (if open) and waits for the close event, at most `ms`. */
  async close(code?: number, reason?: string, ms = 5000): Promise<CloseResult> {
    if (this.ws.readyState < 2) this.ws.close(code, reason);
    return await withTimeout(this.closed, ms, "WebSocket close");
  }
}

/**
 * Opens one runtime `WebSocket` and waits for `open` (at most `ms`).
 *
 * @example
 * ```ts
 * const client = await openClient(`ws://127.0.0.1:${server.port}/chat?room=1`);
 * ```
 */
export async function openClient(
  url: string,
  options: { protocols?: string | string[]; timeout?: number } = {},
): Promise<WsClient> {
  const ws = options.protocols === undefined
    ? new WebSocket(url)
    : new WebSocket(url, options.protocols);
  const client = new WsClient(ws);
  const opened = new Promise<void>((resolve, reject) => {
    ws.addEventListener("open", () => resolve());
    ws.addEventListener(
      "error",
      () => reject(new Error(`WebSocket failed: ${url}`)),
    );
    ws.addEventListener(
      "close",
      () => reject(new Error(`WebSocket closed before open: ${url}`)),
    );
  });
  try {
    await withTimeout(opened, options.timeout ?? 5000, `WebSocket open ${url}`);
  } catch (error) {
    if (ws.readyState < 2) ws.close();
    throw error;
  }
  return client;
}

/**
 * Opens `count` runtime WebSockets, `batch` handshakes at a time.
 *
 * @example
 * ```ts
 * const clients = await openClients(server.url, 1000);
 * ```
 */
export async function openClients(
  url: string,
  count: number,
  options: { batch?: number; timeout?: number } = {},
): Promise<WsClient[]> {
  const batch = options.batch ?? 200;
  const clients: WsClient[] = [];
  try {
    for (let i = 0; i < count; i += batch) {
      const n = Math.min(batch, count - i);
      const opened = await Promise.allSettled(
        Array.from(
          { length: n },
          () => openClient(url, { timeout: options.timeout ?? 10_000 }),
        ),
      );
      for (const result of opened) {
        if (result.status === "fulfilled") clients.push(result.value);
      }
      const failed = opened.find((r) => r.status === "rejected");
      if (failed) throw (failed as PromiseRejectedResult).reason;
    }
  } catch (error) {
    await closeAll(clients);
    throw error;
  }
  return clients;
}

/**
 * Closes every client and waits (bounded) for their close events.
 *
 * @example
 * ```ts
 * await closeAll(clients);
 * ```
 */
export async function closeAll(
  clients: WsClient[],
  ms = 10_000,
): Promise<void> {
  for (const client of clients) {
    if (client.ws.readyState < 2) client.ws.close();
  }
  await withTimeout(
    Promise.all(clients.map((c) => c.closed)),
    ms,
    `closing ${clients.length} WebSockets`,
  );
}

// ── hand-made frames ──────────────────────────────────────────────────────

/** Opcodes, for readability in tests. */
export const OP = {
  Continuation: 0x0,
  Text: 0x1,
  Binary: 0x2,
  Close: 0x8,
  Ping: 0x9,
  Pong: 0xa,
} as const;

/** Options of {@link encodeClientFrame}. */
export interface ClientFrameOptions {
  /** FIN bit; default true. */
  fin?: boolean;
  /** Whether to mask (clients must); default true. */
  mask?: boolean;
  /** RSV bits as RSV1 << 2 | RSV2 << 1 | RSV3; default 0. */
  rsv?: number;
  /** The masking key; default a fixed non-zero key. */
  maskKey?: Uint8Array;
}

const DEFAULT_MASK_KEY = new Uint8Array([0x37, 0xfa, 0x21, 0x3d]);

/**
 * Encodes one client frame by hand (RFC 6455 §5.2), masked by default.
 *
 * @example
 * ```ts
 * const frame = encodeClientFrame(OP.Text, encoder.encode("Hello"));
 * ```
 */
export function encodeClientFrame(
  opcode: number,
  payload: Uint8Array | string = new Uint8Array(0),
  options: ClientFrameOptions = {},
): Uint8Array {
  const data = typeof payload === "string" ? encoder.encode(payload) : payload;
  const { fin = true, mask = true, rsv = 0, maskKey = DEFAULT_MASK_KEY } =
    options;
  const length = data.length;
  const lengthBytes = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const headerLength = 2 + lengthBytes + (mask ? 4 : 0);
  const out = new Uint8Array(headerLength + length);
  out[0] = (fin ? 0x80 : 0) | (rsv << 4) | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (lengthBytes === 0) out[1] = maskBit | length;
  else if (lengthBytes === 2) {
    out[1] = maskBit | 126;
    out[2] = length >>> 8;
    out[3] = length & 0xff;
  } else {
    out[1] = maskBit | 127;
    const view = new DataView(out.buffer);
    view.setUint32(2, Math.floor(length / 2 ** 32));
    view.setUint32(6, length >>> 0);
  }
  let offset = 2 + lengthBytes;
  if (mask) {
    out.set(maskKey, offset);
    offset += 4;
    for (let i = 0; i < length; i++) out[offset + i] = data[i] ^ maskKey[i & 3];
  } else {
    out.set(data, offset);
  }
  return out;
}

/**
 * A close frame payload: the 2-byte code then the UTF-8 reason.
 *
 * @example
 * ```ts
 * const payload = closePayload(1000, "bye");
 * ```
 */
export function closePayload(code: number, reason = ""): Uint8Array {
  const text = encoder.encode(reason);
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
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

/** The code and reason of a close frame payload (1005 when empty). */
export function parseClose(
  payload: Uint8Array,
): { code: number; reason: string } {
  if (payload.length < 2) return { code: 1005, reason: "" };
  return {
    code: (payload[0] << 8) | payload[1],
    reason: decoder.decode(payload.subarray(2)),
  };
}

/**
 * A valid upgrade request head for `path` (RFC 6455 §4.1), with a fixed key
 * whose accept value is {@link SAMPLE_ACCEPT}, plus `headers`: name/value
 * pairs, or whole header lines (duplicated or malformed ones too).
 *
 * @example
 * ```ts
 * const head = upgradeRequest("/chat", { "Sec-WebSocket-Protocol": "chat" });
 * const same = upgradeRequest("/chat", ["Sec-WebSocket-Protocol: chat"]);
 * ```
 */
export function upgradeRequest(
  path = "/",
  headers: Record<string, string> | readonly string[] = {},
): string {
  const lines = [
    `GET ${path} HTTP/1.1`,
    "Host: 127.0.0.1",
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${SAMPLE_KEY}`,
    "Sec-WebSocket-Version: 13",
  ];
  if (isLines(headers)) lines.push(...headers);
  else {
    for (const [name, value] of Object.entries(headers)) {
      lines.push(`${name}: ${value}`);
    }
  }
  return lines.join("\r\n") + "\r\n\r\n";
}

function isLines(
  headers: Record<string, string> | readonly string[],
): headers is readonly string[] {
  return Array.isArray(headers);
}

/** The key of RFC 6455 §1.3's example. */
export const SAMPLE_KEY = "dGhlIHNhbXBsZSBub25jZQ==";
/** RFC 6455 §1.3: the accept value for {@link SAMPLE_KEY}. */
export const SAMPLE_ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=";

/** The status line and headers of an HTTP response the raw client read. */
export interface HttpResponseHead {
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
 * A raw TCP (or TLS) client for hand-made frames: it writes whatever the
 * test says and parses what the server answers. Bytes are buffered until a
 * reader takes them, so nothing is lost between awaits.
 *
 * @example
 * ```ts
 * const raw = await RawClient.connect(server.port);
 * await raw.handshake();
 * raw.sendFrame(OP.Text, "hello");
 * const frame = await raw.readFrame();
 * raw.destroy();
 * ```
 */
export class RawClient {
  /** The socket (half-open allowed over plain TCP). */
  readonly socket: Socket;
  /** Resolves when the socket fully closed. */
  readonly closed: Promise<void>;
  /** Resolves when the server sent FIN. */
  readonly ended: Promise<void>;
  /** How many `data` events arrived (chunks the server wrote, roughly). */
  chunks = 0;
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
      this.chunks++;
      this.bytesReceived += chunk.length;
      if (!this.discard) {
        // The runtime may reuse its read buffer: keep a copy.
        this.#chunks.push(chunk.slice());
        this.#length += chunk.length;
      }
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

  /**
   * Connects to 127.0.0.1:`port`, over TLS with `options.tls`; a number is
   * the timeout alone.
   */
  static async connect(
    port: number,
    options: RawConnectOptions | number = {},
  ): Promise<RawClient> {
    const { tls, localAddress, timeout = 5000 } = typeof options === "number"
      ? { timeout: options }
      : options;
    const socket: Socket = tls === undefined
      ? netConnect({ host: HOST, port, allowHalfOpen: true, localAddress })
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
        timeout,
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

  /** Bytes received and not yet consumed. */
  get buffered(): number {
    return this.#length;
  }

  /** Writes raw bytes or a latin-1/ASCII string. */
  write(bytes: Uint8Array | string): void {
    this.socket.write(
      typeof bytes === "string" ? encoder.encode(bytes) : bytes,
    );
  }

  /** Writes one hand-made client frame (masked unless told otherwise). */
  sendFrame(
    opcode: number,
    payload?: Uint8Array | string,
    options?: ClientFrameOptions,
  ): void {
    this.write(encodeClientFrame(opcode, payload, options));
  }

  /**
   * Sends an upgrade request with `headers` (see {@link upgradeRequest}),
   * plus `extra` bytes in the same write, and reads the response head.
   * Throws unless the status is 101, when `expect101` (the default).
   */
  async handshake(
    path = "/",
    options: {
      headers?: Record<string, string> | readonly string[];
      extra?: Uint8Array;
      expect101?: boolean;
      timeout?: number;
    } = {},
  ): Promise<HttpResponseHead> {
    const head = encoder.encode(upgradeRequest(path, options.headers));
    this.write(
      options.extra === undefined ? head : concatBytes(head, options.extra),
    );
    const response = await this.readHttpHead(options.timeout);
    if ((options.expect101 ?? true) && response.status !== 101) {
      throw new Error(`Handshake failed: ${response.raw}`);
    }
    return response;
  }

  /** Reads an HTTP response head (up to the blank line). */
  async readHttpHead(ms = 5000): Promise<HttpResponseHead> {
    const end = await this.#waitUntil(
      () => {
        if (this.#length === 0) return undefined;
        const b = this.#peek(this.#length);
        for (let i = 0; i + 3 < b.length; i++) {
          if (
            b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10
          ) {
            return i + 4;
          }
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
  ): Promise<HttpResponseHead & { body: string }> {
    const response = await this.readHttpHead(ms);
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
    const b0 = bytes[0];
    const b1 = bytes[1];
    const masked = (b1 & 0x80) !== 0;
    let length = b1 & 0x7f;
    let offset = 2;
    if (length === 126) {
      length = (bytes[2] << 8) | bytes[3];
      offset = 4;
    } else if (length === 127) {
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
      length = view.getUint32(2) * 2 ** 32 + view.getUint32(6);
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
      fin: (b0 & 0x80) !== 0,
      rsv: (b0 >> 4) & 7,
      opcode: b0 & 0x0f,
      masked,
      payload,
    };
  }

  /** Reads the next frame and returns its text (throws unless it is text). */
  async readText(ms = 5000): Promise<string> {
    const frame = await this.readFrame(ms);
    if (frame.opcode !== OP.Text) {
      throw new Error(`Expected a text frame, got opcode ${frame.opcode}`);
    }
    return decoder.decode(frame.payload);
  }

  /** Reads frames until a close frame; returns it and the frames before it. */
  async readUntilClose(
    ms = 5000,
  ): Promise<{ code: number; reason: string; before: ServerFrame[] }> {
    const before: ServerFrame[] = [];
    const deadline = Date.now() + ms;
    for (;;) {
      const frame = await this.readFrame(Math.max(1, deadline - Date.now()));
      if (frame.opcode === OP.Close) {
        return { ...parseClose(frame.payload), before };
      }
      before.push(frame);
    }
  }

  /** {@link RawClient.readUntilClose}, by the name the hostile suites use. */
  readClose(
    ms = 5000,
  ): Promise<{ code: number; reason: string; before: ServerFrame[] }> {
    return this.readUntilClose(ms);
  }

  /** Resolves when the socket closed (at most `ms`). */
  waitClosed(ms = 5000): Promise<void> {
    return withTimeout(this.closed, ms, "raw socket close");
  }

  /**
   * Resolves when the server dropped or ended the connection: FIN or reset
   * (at most `ms`). The client allows half-open sockets, so a FIN alone does
   * not close it.
   */
  waitGone(ms = 5000): Promise<void> {
    return withTimeout(
      Promise.race([this.ended, this.closed]),
      ms,
      "server dropping the socket",
    );
  }

  /** Takes every byte received and not yet consumed. */
  takeAll(): Uint8Array {
    return this.#take(this.#length);
  }

  /** Stops reading from the socket (TCP backpressure builds up). */
  pause(): void {
    this.socket.pause();
  }

  /** Reads again. */
  resume(): void {
    this.socket.resume();
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

  /** The first `n` buffered bytes as one contiguous view (merging chunks). */
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
    length = view.getUint32(2) * 2 ** 32 + view.getUint32(6);
    offset = 10;
  }
  const total = offset + (masked ? 4 : 0) + length;
  return available >= total ? total : undefined;
}

// ── python-websockets ─────────────────────────────────────────────────────

/** One step of a python client script (see _python_client.py). */
export type PythonStep =
  | { op: "send"; text: string }
  | { op: "send"; hex: string }
  | { op: "send_generated"; kind: "text" | "binary"; size: number }
  | { op: "echo"; kind: "text" | "binary"; size: number; timeout?: number }
  | { op: "send_fragments"; text: string[] }
  | { op: "send_fragments"; hex: string[] }
  | { op: "recv"; timeout?: number }
  | { op: "ping"; data?: string; timeout?: number }
  | { op: "sleep"; seconds: number }
  | { op: "close"; code?: number; reason?: string }
  | { op: "wait_closed"; timeout?: number }
  | { op: "state" }
  | { op: "extensions" };

/** A python client script. */
export interface PythonScript {
  uri: string;
  steps: PythonStep[];
  /** Run the steps on this many connections at once (default 1). */
  connections?: number;
  /** Extra keyword arguments of `websockets.connect()`. */
  connect?: Record<string, unknown>;
  /**
   * The permessage-deflate offer: keyword arguments of python's
   * `ClientPerMessageDeflateFactory`, or `null` for none; absent, the
   * library's default offer.
   */
  deflate?: Record<string, unknown> | null;
  /** Overall bound inside python, in seconds (default 20). */
  timeout?: number;
}

/** One result a step reported (fields depend on the step). */
export interface PythonResult {
  op: string;
  error?: string;
  ok?: boolean;
  type?: "text" | "binary";
  length?: number;
  sha256?: string;
  text?: string;
  hex?: string;
  pong?: boolean;
  open?: boolean;
  closed?: boolean;
  close_code?: number | null;
  close_reason?: string | null;
  elapsed?: number;
  extensions?: Array<{
    name: string;
    local_no_context_takeover: boolean | null;
    remote_no_context_takeover: boolean | null;
    local_max_window_bits: number | null;
    remote_max_window_bits: number | null;
  }>;
}

/** What one python connection reported. */
export interface PythonConnectionReport {
  results: PythonResult[];
  connect_error?: string;
  close_code: number | null;
  close_reason: string | null;
}

/** The python that has python-websockets 10.4 (the pyenv python3 on PATH lacks it). */
export const PYTHON = "/usr/bin/python3";
const PYTHON_CLIENT = fileURLToPath(
  new URL("./_python_client.py", import.meta.url),
);

/**
 * Runs the python-websockets client on `script`; resolves with one report
 * per connection. The process is killed after `ms`.
 *
 * @example
 * ```ts
 * const [report] = await runPython({ uri: server.url, steps: [{ op: "echo", kind: "text", size: 5 }] });
 * ```
 */
export function runPython(
  script: PythonScript,
  ms = 30_000,
): Promise<PythonConnectionReport[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(PYTHON, [PYTHON_CLIENT], {
      stdio: ["pipe", "pipe", "pipe"],
    });
    const out: Uint8Array[] = [];
    const err: Uint8Array[] = [];
    let settled = false;
    const timer = setTimeout(() => {
      if (settled) return;
      settled = true;
      child.kill("SIGKILL");
      reject(new Error(`Python client timed out after ${ms} ms`));
    }, ms);
    child.stdout!.on("data", (chunk: Uint8Array) => out.push(chunk));
    child.stderr!.on("data", (chunk: Uint8Array) => err.push(chunk));
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
      const text = decodeChunks(out);
      try {
        const report = JSON.parse(text) as {
          connections?: PythonConnectionReport[];
          fatal?: string;
        };
        if (report.fatal !== undefined || report.connections === undefined) {
          reject(
            new Error(
              `Python client failed: ${report.fatal} ${decodeChunks(err)}`,
            ),
          );
        } else resolve(report.connections);
      } catch {
        reject(
          new Error(
            `Python client exited ${code}: ${text} ${decodeChunks(err)}`,
          ),
        );
      }
    });
    child.stdin!.end(
      JSON.stringify({ timeout: Math.max(1, ms / 1000 - 2), ...script }),
    );
  });
}

function decodeChunks(chunks: Uint8Array[]): string {
  let total = 0;
  for (const c of chunks) total += c.length;
  const all = new Uint8Array(total);
  let offset = 0;
  for (const c of chunks) {
    all.set(c, offset);
    offset += c.length;
  }
  return decoder.decode(all);
}

// ── what the server saw ───────────────────────────────────────────────────

/**
 * Records what a server's handlers saw, per client tag: a client connects to
 * `/?tag=name`, and the recorder files its connection, messages, errors and
 * close under `name` (under the connection id when there is no tag).
 *
 * @example
 * ```ts
 * const log = new ServerRecorder(server);
 * const client = await openClient(tagUrl(server, "a"));
 * client.ws.close(4000, "bye");
 * console.log(await log.closed("a")); // { code: 4000, reason: "bye", wasClean: true }
 * ```
 */
export class ServerRecorder {
  /** Every message, in arrival order, with its tag. */
  readonly messages: Array<{ tag: string; data: string | Uint8Array }> = [];
  /** Every error event, with its tag (`""` without a connection). */
  readonly errors: Array<{ tag: string; error: unknown }> = [];
  #opened = new Map<string, Deferred<Connection>>();
  #closed = new Map<string, Deferred<CloseInfo>>();
  #closedTags = new Set<string>();
  #messageWaiters = new Map<
    string,
    Array<(data: string | Uint8Array) => void>
  >();

  /** Registers open, message, error and close handlers on `server`. */
  constructor(server: Server) {
    server.on("open", (request, conn) => {
      this.#entry(this.#opened, tagOf(request.query, conn.id)).resolve(conn);
    });
    server.on("message", (data, conn) => {
      const tag = tagOf(conn.request.query, conn.id);
      this.messages.push({ tag, data });
      const waiter = this.#messageWaiters.get(tag)?.shift();
      waiter?.(data);
    });
    server.on("error", (error, conn) => {
      this.errors.push({
        tag: conn ? tagOf(conn.request.query, conn.id) : "",
        error,
      });
    });
    server.on("close", (info, conn) => {
      this.#closedTags.add(tagOf(conn.request.query, conn.id));
      this.#entry(this.#closed, tagOf(conn.request.query, conn.id)).resolve(
        info,
      );
    });
  }

  /** The connection tagged `tag`, once open. */
  opened(tag: string, ms = 5000): Promise<Connection> {
    return withTimeout(
      this.#entry(this.#opened, tag).promise,
      ms,
      `server open of ${tag}`,
    );
  }

  /** The close info of the connection tagged `tag`, once closed. */
  closed(tag: string, ms = 5000): Promise<CloseInfo> {
    return withTimeout(
      this.#entry(this.#closed, tag).promise,
      ms,
      `server close of ${tag}`,
    );
  }

  /** Whether the connection tagged `tag` has closed. */
  hasClosed(tag: string): boolean {
    return this.#closedTags.has(tag);
  }

  /** The messages of `tag` so far. */
  messagesOf(tag: string): Array<string | Uint8Array> {
    return this.messages.filter((m) => m.tag === tag).map((m) => m.data);
  }

  /** The errors of `tag` so far. */
  errorsOf(tag: string): unknown[] {
    return this.errors.filter((e) => e.tag === tag).map((e) => e.error);
  }

  /** The next message of `tag` that arrives after this call. */
  nextMessage(tag: string, ms = 5000): Promise<string | Uint8Array> {
    const { promise, resolve } = deferred<string | Uint8Array>();
    const list = this.#messageWaiters.get(tag) ?? [];
    list.push(resolve);
    this.#messageWaiters.set(tag, list);
    return withTimeout(promise, ms, `server message of ${tag}`);
  }

  #entry<T>(map: Map<string, Deferred<T>>, tag: string): Deferred<T> {
    let entry = map.get(tag);
    if (entry === undefined) {
      entry = deferred<T>();
      map.set(tag, entry);
    }
    return entry;
  }
}

function tagOf(query: URLSearchParams, id: string): string {
  return query.get("tag") ?? id;
}

/**
 * `ws://127.0.0.1:port/?tag=name`.
 *
 * @example
 * ```ts
 * const client = await openClient(tagUrl(server, "alice"));
 * ```
 */
export function tagUrl(server: Server, tag: string, path = "/"): string {
  return `ws://${HOST}:${server.port}${path}?tag=${encodeURIComponent(tag)}`;
}

/**
 * Concatenates byte arrays.
 *
 * @example
 * ```ts
 * const both = concatBytes(frameA, frameB);
 * ```
 */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
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
