// Long file: Deno.listen's accept loop, the read loop with its pausing, TLS, connect and the transport's write queue are one adapter; each part uses the others' private state.
/**
 * The Deno engine: `Deno.listen` / `Deno.listenTls` connections as
 * {@link Transport}s. `conn.write()` is asynchronous and may write only part
 * of the bytes, so the transport keeps its own write queue and reports
 * backpressure against a high-water mark.
 *
 * @module
 */

import type {
  AcceptTransport,
  ConnectOptions,
  Engine,
  Listener,
  ListenOptions,
  Transport,
  TransportHandler,
} from "../src/driver/engine.ts";
import type {
  DenoConn,
  DenoListener,
  DenoSubset,
  DenoTlsConn,
} from "./_deno_types.ts";
import {
  caList,
  checkConnectOptions,
  tcpConnectError,
  timeoutError,
  tlsConnectError,
  unbracketed,
} from "./_connect.ts";
import { DEFAULT_HIGH_WATER_MARK, WriteQueue } from "./_write_queue.ts";
import { WriteTurns } from "./_write_turns.ts";
import { runtimeDeflate } from "./deflate.ts";
import { UsageError } from "../src/protocol/errors.ts";
import { adoptNodeSocket } from "./node_socket.ts";
import { listenError } from "./_listen_error.ts";

/**
 * Options for {@link denoEngine}.
 *
 * @example
 * ```ts
 * import { denoEngine, type DenoEngineOptions } from "@anyws/anyws/engines/deno";
 * const options: DenoEngineOptions = { highWaterMark: 256 * 1024, readBufferSize: 16 * 1024 };
 * const engine = denoEngine(options);
 * ```
 */
export interface DenoEngineOptions {
  /** Queued bytes per connection above which `write()` returns `false` (default 64 KiB). */
  highWaterMark?: number;
  /** Size of each connection's reusable read buffer (default 64 KiB). */
  readBufferSize?: number;
}

/**
 * Every Deno transport's turns to write, one set per program: Deno's
 * operations are served by one event loop (engines/_write_turns.ts says why).
 */
const WRITE_TURNS = new WriteTurns();

/** The read buffer of a quiet connection. */
const SMALL_READ = 1024;

const toError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(String(error));

/** One accepted Deno connection, seen as a Transport. */
class DenoTransport implements Transport {
  readonly remoteAddress: string;
  readonly remotePort: number;
  #conn: DenoConn;
  #handler: TransportHandler;
  #queue = new WriteQueue();
  #highWaterMark: number;
  #writing = false;
  #needDrain = false;
  #ending = false; // end() or abort() called: later writes are ignored
  #writeDone = false; // FIN sent
  #readDone = false; // peer's FIN received
  #finishing = false; // closeWrite() started
  #connClosed = false;
  #closed = false; // handler.onClose() called
  #unsentAtClose = 0;
  // Set while reading is paused: the read loop waits on it.
  #paused: { promise: Promise<void>; resume: () => void } | undefined;

  constructor(
    conn: DenoConn,
    accept: AcceptTransport,
    options: DenoEngineOptions,
  ) {
    this.#conn = conn;
    const addr = conn.remoteAddr;
    this.remoteAddress = "hostname" in addr ? addr.hostname : "";
    this.remotePort = "port" in addr ? addr.port : 0;
    this.#highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
    try {
      conn.setNoDelay?.(true);
    } catch { /* not a TCP connection */ }
    this.#handler = accept(this);
    void this.#read(options.readBufferSize ?? 64 * 1024);
  }

  get unsentBytes(): number {
    return this.#closed ? this.#unsentAtClose : this.#queue.bytes;
  }

  requestDrain(): boolean {
    if (this.#queue.empty) return true;
    this.#needDrain = true;
    return false;
  }

  pause(): void {
    if (this.#paused !== undefined || this.#connClosed) return;
    let resume!: () => void;
    const promise = new Promise<void>((resolve) => resume = resolve);
    this.#paused = { promise, resume };
  }

  resume(): void {
    const paused = this.#paused;
    this.#paused = undefined;
    paused?.resume();
  }

  write(bytes: Uint8Array): boolean {
    if (this.#ending) return true;
    this.#queue.push(bytes);
    if (!this.#writing && !this.#queue.empty) void this.#pump();
    if (this.#queue.bytes < this.#highWaterMark) return true;
    this.#needDrain = true;
    return false;
  }

  end(): void {
    if (this.#ending) return;
    this.#ending = true;
    if (!this.#writing) void this.#finish();
  }

  abort(): void {
    this.#ending = true;
    if (this.#closed || this.#connClosed) return;
    this.#closeConn();
    // Report the close on a later microtask, never from inside abort().
    queueMicrotask(() => this.#destroy());
  }

  /**
   * Reads into a small buffer while the peer is quiet (an idle connection
   * then costs 1 KiB, not 64) and into a `max`-byte one while reads fill the
   * small one; back to small after the first read that fits the small one.
   */
  async #read(max: number): Promise<void> {
    const small = new Uint8Array(Math.min(SMALL_READ, max));
    let buffer = small;
    for (;;) {
      // Paused (read-side flow control): the peer's bytes wait in the kernel.
      await this.#whilePaused();
      if (this.#connClosed) return;
      let count: number | null;
      try {
        count = await this.#conn.read(buffer);
      } catch (error) {
        this.#fail(error);
        return;
      }
      // After abort() nothing more is reported but the close.
      if (this.#connClosed) return;
      // Paused while this read was under way: hold its bytes (the buffer is
      // not read into again before they are delivered).
      await this.#whilePaused();
      if (this.#connClosed) return;
      if (count === null) {
        this.#readDone = true;
        this.#handler.onEnd();
        if (this.#writeDone) this.#destroy();
        return;
      }
      this.#handler.onData(buffer.subarray(0, count));
      if (this.#connClosed) return;
      if (count === buffer.length && buffer.length < max) {
        buffer = new Uint8Array(max);
      } else if (buffer !== small && count <= small.length) {
        // A short read: the burst is over; do not hold 64 KiB while idle.
        buffer = small;
      }
    }
  }

  /** Resolves once reading is not paused (at once when it is not). */
  async #whilePaused(): Promise<void> {
    while (this.#paused !== undefined) await this.#paused.promise;
  }

  async #pump(): Promise<void> {
    this.#writing = true;
    const queue = this.#queue;
    const turns = WRITE_TURNS;
    try {
      while (!queue.empty) {
        const turn = turns.take();
        if (turn !== undefined) await turn;
        let written: number;
        try {
          if (this.#connClosed) return;
          // Deno's conn.write may write only part of the bytes: write the rest next.
          written = await this.#conn.write(queue.peek());
        } finally {
          turns.give();
        }
        if (this.#connClosed) return;
        queue.consume(written);
      }
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#writing = false;
    if (this.#needDrain && !this.#ending) {
      this.#needDrain = false;
      this.#handler.onDrain();
    }
    if (this.#ending && !this.#writing) await this.#finish();
  }

  /** Everything is written: send FIN, then close once the peer's FIN is in too. */
  async #finish(): Promise<void> {
    if (this.#finishing || this.#connClosed) return;
    this.#finishing = true;
    try {
      await this.#conn.closeWrite();
    } catch (error) {
      this.#fail(error);
      return;
    }
    this.#writeDone = true;
    if (this.#readDone) this.#destroy();
  }

  /** An I/O error: after our own close() it only means the operation was cut short. */
  #fail(error: unknown): void {
    if (this.#closed) return;
    this.#destroy(this.#connClosed ? undefined : toError(error));
  }

  #destroy(error?: Error): void {
    if (this.#closed) return;
    this.#unsentAtClose = this.#queue.bytes;
    this.#closed = true;
    this.#closeConn();
    this.#queue.clear();
    this.resume();
    this.#handler.onClose(error);
  }

  #closeConn(): void {
    if (this.#connClosed) return;
    this.#connClosed = true;
    try {
      this.#conn.close();
    } catch { /* already closed */ }
  }
}

/** A listening Deno socket and its accept loop. */
class DenoListenerHandle implements Listener {
  readonly hostname: string;
  readonly port: number;
  readonly path: string | undefined;
  #listener: DenoListener;
  #closed = false;
  #loop: Promise<void>;

  constructor(
    listener: DenoListener,
    hostname: string,
    accept: AcceptTransport,
    options: DenoEngineOptions,
  ) {
    this.#listener = listener;
    this.hostname = hostname;
    this.port = "port" in listener.addr ? listener.addr.port : 0;
    this.path = "path" in listener.addr
      ? (listener.addr as { path: string }).path
      : undefined;
    this.#loop = this.#acceptLoop(accept, options);
  }

  async #acceptLoop(
    accept: AcceptTransport,
    options: DenoEngineOptions,
  ): Promise<void> {
    while (!this.#closed) {
      let conn: DenoConn;
      try {
        conn = await this.#listener.accept();
      } catch {
        // Closed by close(), or a transient failure (such as too many open
        // files): back off briefly rather than spin.
        if (!this.#closed) {
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
        continue;
      }
      new DenoTransport(conn, accept, options);
    }
  }

  close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      try {
        this.#listener.close();
      } catch { /* already closed */ }
    }
    return this.#loop;
  }
}

/**
 * Opens an outbound connection: `Deno.connect`, then for TLS `Deno.startTls`
 * (whose `hostname` is the name checked and sent in SNI, so it may differ
 * from the address connected to) and its handshake, all within `timeout`.
 */
async function connectConn(
  deno: DenoSubset,
  options: ConnectOptions,
): Promise<DenoConn> {
  const { port, tls, timeout } = options;
  const hostname = unbracketed(options.hostname);
  const abort = new AbortController();
  let timedOut = false;
  let conn: DenoConn | undefined;
  const timer = timeout === undefined ? undefined : setTimeout(() => {
    timedOut = true;
    abort.abort();
    closeQuietly(conn);
  }, timeout);
  try {
    try {
      conn = await deno.connect({
        hostname,
        port,
        transport: "tcp",
        signal: abort.signal,
      });
    } catch (error) {
      throw timedOut ? timeoutError(options) : tcpConnectError(error, options);
    }
    if (timedOut) {
      closeQuietly(conn);
      throw timeoutError(options);
    }
    try {
      // Before startTls, which consumes the TCP connection.
      conn.setNoDelay?.(true);
    } catch { /* not a TCP connection */ }
    if (tls === undefined) return conn;
    let secure: DenoTlsConn | undefined;
    try {
      secure = await deno.startTls(conn, {
        hostname: tls.servername ?? hostname,
        caCerts: caList(tls.ca),
      });
      conn = secure;
      if (timedOut) throw timeoutError(options);
      await secure.handshake();
    } catch (error) {
      closeQuietly(secure ?? conn);
      throw timedOut ? timeoutError(options) : tlsConnectError(error, options);
    }
    if (timedOut) {
      closeQuietly(secure);
      throw timeoutError(options);
    }
    return secure;
  } finally {
    clearTimeout(timer);
  }
}

function closeQuietly(conn: DenoConn | undefined): void {
  try {
    conn?.close();
  } catch { /* already closed or consumed */ }
}

/**
 * Creates the Deno engine (`Deno.listen`, or `Deno.listenTls` for `wss://`).
 * Each connection reads into its own reusable buffer and gets `TCP_NODELAY`.
 * `end()` flushes the queue, half-closes (`closeWrite()`), and closes the
 * connection once the peer's FIN has arrived.
 *
 * @example
 * ```ts
 * import { denoEngine } from "@anyws/anyws/engines/deno";
 * const engine = denoEngine();
 * const listener = await engine.listen({ hostname: "127.0.0.1", port: 0 }, (transport) => ({
 *   onData: (bytes) => transport.write(bytes.slice()),
 *   onDrain: () => {},
 *   onEnd: () => transport.end(),
 *   onClose: () => {},
 * }));
 * console.log(listener.port);
 * await listener.close();
 * ```
 */
export function denoEngine(options: DenoEngineOptions = {}): Engine {
  return {
    name: "deno",
    deflate: runtimeDeflate,
    async connect(
      connectOptions: ConnectOptions,
      accept: AcceptTransport,
    ): Promise<void> {
      checkConnectOptions(connectOptions);
      if (connectOptions.tls?.rejectUnauthorized === false) {
        throw new UsageError(
          "tls.rejectUnauthorized: false is not available on Deno: Deno.connectTls and Deno.startTls always verify the certificate (only the --unsafely-ignore-certificate-errors flag turns that off, for the whole process); pass the server's CA in tls.ca instead",
        );
      }
      const deno = (globalThis as unknown as { Deno: DenoSubset }).Deno;
      const conn = await connectConn(deno, connectOptions);
      try {
        new DenoTransport(conn, accept, options);
      } catch (error) {
        // accept() threw: the connection is of no use to anyone.
        closeQuietly(conn);
        throw error;
      }
    },
    listen(
      listenOptions: ListenOptions,
      accept: AcceptTransport,
    ): Promise<Listener> {
      const deno = (globalThis as unknown as { Deno: DenoSubset }).Deno;
      const { hostname, port, tls, path } = listenOptions;
      try {
        if (path !== undefined && tls !== undefined) {
          throw new Error(
            "The Deno engine cannot serve TLS on a Unix socket: terminate TLS in the proxy",
          );
        }
        // Deno 2.9 ends the process (exit code 70, nothing to catch) when
        // reusePort is passed without --unstable-net; that flag (or
        // "unstable": ["net"] in deno.json) is what exposes listenDatagram.
        const reuse = listenOptions.reusePort === true
          ? { reusePort: true }
          : {};
        if (
          listenOptions.reusePort && typeof deno.listenDatagram !== "function"
        ) {
          throw new Error(
            'reusePort on Deno needs --unstable-net (or "unstable": ["net"] in deno.json)',
          );
        }
        const listener = path !== undefined
          ? deno.listen({ transport: "unix", path })
          : tls === undefined
          ? deno.listen({ hostname, port, transport: "tcp", ...reuse })
          : deno.listenTls({
            hostname,
            port,
            cert: tls.cert,
            key: tls.key,
            ...reuse,
          });
        return Promise.resolve(
          new DenoListenerHandle(listener, hostname, accept, options),
        );
      } catch (error) {
        return Promise.reject(
          listenError(error, path ?? `${hostname}:${port}`),
        );
      }
    },
    // Deno's node:http hands its 'upgrade' listeners a node:net-like socket.
    adopt: adoptNodeSocket,
  };
}
