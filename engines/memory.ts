/**
 * The memory engine: a server and its clients in one process, joined by
 * in-memory pipes instead of TCP. Run a server on it for fast,
 * deterministic tests or demos: the client end ({@link MemorySocket})
 * speaks raw bytes to whatever listens, through callbacks.
 *
 * Pipes behave like sockets (`_memory_pipe.ts`): delivery is asynchronous
 * (a microtask after the write), bytes arrive in order, FIN follows the
 * data, each end's `write()` reports backpressure against a high-water
 * mark, and `handler.onClose()` runs exactly once, last.
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
} from "../src/driver/engine.ts";
import type { Clock } from "../src/shared/clock.ts";
import { ConnectError } from "../src/driver/connect_error.ts";
import { checkConnectOptions } from "./_connect.ts";
import { pakoDeflate } from "./deflate.ts";
import { MemoryEnd, type PipeOptions } from "./_memory_pipe.ts";
import { DEFAULT_HIGH_WATER_MARK, MAX_BATCH } from "./_write_queue.ts";

/**
 * Options for {@link memoryEngine}.
 *
 * @example
 * ```ts
 * import { memoryEngine, type MemoryEngineOptions } from "@anyws/anyws/engines/memory";
 * // Deliver at most 3 bytes per data() call, to test a parser's reassembly.
 * const options: MemoryEngineOptions = { chunkSize: 3, highWaterMark: 1024 };
 * const engine = memoryEngine(options);
 * ```
 */
export interface MemoryEngineOptions {
  /** Undelivered bytes per end above which `write()` returns `false` (default 64 KiB). */
  highWaterMark?: number;
  /** Largest number of bytes handed to one `data()` call (default 64 KiB). */
  chunkSize?: number;
  /**
   * The clock a server on this engine runs its timers on (default the
   * system clock): a virtual clock lets a test step time.
   */
  clock?: Clock;
}

/**
 * Options for {@link MemoryEngine.connect}.
 *
 * @example
 * ```ts
 * import type { MemoryConnectOptions } from "@anyws/anyws/engines/memory";
 * const options: MemoryConnectOptions = { remoteAddress: "203.0.113.7", remotePort: 50000 };
 * ```
 */
export interface MemoryConnectOptions {
  /** The address the server's transport reports for this client (default `"127.0.0.1"`). */
  remoteAddress?: string;
  /** The port the server's transport reports for this client (default: a new one per client). */
  remotePort?: number;
}

const encoder = new TextEncoder();

/**
 * The client end of an in-memory connection, from
 * {@link MemoryEngine.connect}. Set the `on*` callbacks to hear the server.
 *
 * @example
 * ```ts
 * import { memoryEngine } from "@anyws/anyws/engines/memory";
 * const engine = memoryEngine();
 * const listener = await engine.listen({ hostname: "127.0.0.1", port: 0 }, (transport) => ({
 *   onData: (bytes) => transport.write(bytes.slice()),
 *   onDrain: () => {},
 *   onEnd: () => transport.end(),
 *   onClose: () => {},
 * }));
 * const socket = engine.connect(listener.port);
 * socket.onData = (bytes) => console.log(new TextDecoder().decode(bytes)); // "ping"
 * socket.write("ping");
 * socket.end();
 * await socket.closed;
 * await listener.close();
 * ```
 */
export interface MemorySocket extends Transport {
  /** Bytes from the server; they are this socket's own copy. Unset: they are dropped. */
  onData: ((bytes: Uint8Array) => void) | undefined;
  /** The write buffer emptied after `write()` returned `false`. */
  onDrain: (() => void) | undefined;
  /** The server sent FIN. */
  onEnd: (() => void) | undefined;
  /** The connection closed; `error` is set when it was reset. */
  onClose: ((error?: Error) => void) | undefined;
  /** Resolves (never rejects) once the connection is closed, with the error if it was reset. */
  readonly closed: Promise<Error | undefined>;
  /** Sends bytes, or a string as UTF-8. Returns `false` above the high-water mark; ignored after `end()`/`abort()`. */
  write(bytes: Uint8Array | string): boolean;
  /** Sends FIN once everything written has been delivered; the socket keeps reading. */
  end(): void;
  /** Resets the connection: both ends close, the server's with an error. */
  abort(): void;
  /** Stops reading: the server's bytes wait in its queue and count against its high-water mark. */
  pause(): void;
  /** Reads again. */
  resume(): void;
}

/** The client end: a pipe end whose handler is the {@link MemorySocket} callbacks. */
class MemoryClient extends MemoryEnd implements MemorySocket {
  onData: ((bytes: Uint8Array) => void) | undefined;
  onDrain: (() => void) | undefined;
  onEnd: (() => void) | undefined;
  onClose: ((error?: Error) => void) | undefined;
  readonly closed: Promise<Error | undefined>;

  constructor(remoteAddress: string, remotePort: number, options: PipeOptions) {
    super(remoteAddress, remotePort, options);
    let settle!: (error: Error | undefined) => void;
    this.closed = new Promise((resolve) => settle = resolve);
    this.handler = {
      onData: (bytes) => this.onData?.(bytes),
      onDrain: () => this.onDrain?.(),
      onEnd: () => this.onEnd?.(),
      onClose: (error) => {
        settle(error);
        this.onClose?.(error);
      },
    };
  }

  override write(bytes: Uint8Array | string): boolean {
    return super.write(
      typeof bytes === "string" ? encoder.encode(bytes) : bytes,
    );
  }
}

/**
 * An {@link Engine} whose listeners are reached with {@link connect} instead
 * of TCP.
 *
 * @example
 * ```ts
 * import { memoryEngine, type MemoryEngine } from "@anyws/anyws/engines/memory";
 * const engine: MemoryEngine = memoryEngine();
 * console.log(engine.name); // "memory"
 * ```
 */
export interface MemoryEngine extends Engine {
  /**
   * Opens a connection to the listener on `port` (or to the only listener
   * when `port` is omitted); the listener accepts it synchronously. Throws
   * `Connection refused: …` when nothing listens there.
   */
  connect(port?: number, options?: MemoryConnectOptions): MemorySocket;
  /**
   * {@link Engine.connect}: opens a connection to the listener on
   * `options.port` and hands its client end to `accept` (`hostname` and
   * `tls` are not looked at: pipes are not encrypted; `timeout` cannot
   * expire, the listener accepts at once). Rejects with a `ConnectError`
   * of kind `refused` when nothing listens there.
   */
  connect(options: ConnectOptions, accept: AcceptTransport): Promise<void>;
}

/**
 * Creates an in-memory engine. Listeners live in this engine only; port 0
 * picks a free port number.
 *
 * @example
 * ```ts
 * import { memoryEngine } from "@anyws/anyws/engines/memory";
 * const engine = memoryEngine({ highWaterMark: 1024 });
 * const listener = await engine.listen({ hostname: "127.0.0.1", port: 0 }, (transport) => ({
 *   onData: () => {},
 *   onDrain: () => {},
 *   onEnd: () => transport.end(),
 *   onClose: () => {},
 * }));
 * const socket = engine.connect(listener.port, { remoteAddress: "203.0.113.7" });
 * socket.end();
 * await socket.closed;
 * await listener.close();
 * ```
 */
export function memoryEngine(options: MemoryEngineOptions = {}): MemoryEngine {
  const pipe: PipeOptions = {
    highWaterMark: options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK,
    chunkSize: Math.max(1, options.chunkSize ?? MAX_BATCH),
  };
  const listeners = new Map<
    number,
    { hostname: string; accept: AcceptTransport }
  >();
  let nextPort = 1024;
  let nextClientPort = 49152;

  /** Joins `client` to a new server end accepted by the listener `entry`. */
  function join(
    client: MemoryEnd,
    entry: { accept: AcceptTransport },
    remoteAddress: string | undefined,
    remotePort: number | undefined,
  ): void {
    const server = new MemoryEnd(
      remoteAddress ?? "127.0.0.1",
      remotePort ?? nextClientPort++,
      pipe,
    );
    client.peer = server;
    server.peer = client;
    server.handler = entry.accept(server);
  }

  function connect(port?: number, options?: MemoryConnectOptions): MemorySocket;
  function connect(
    options: ConnectOptions,
    accept: AcceptTransport,
  ): Promise<void>;
  function connect(
    first?: number | ConnectOptions,
    second?: MemoryConnectOptions | AcceptTransport,
  ): MemorySocket | Promise<void> {
    if (typeof first === "object" && typeof second === "function") {
      return connectTransport(first, second);
    }
    return connectSocket(
      first as number | undefined,
      second as MemoryConnectOptions | undefined,
    );
  }

  function connectTransport(
    options: ConnectOptions,
    accept: AcceptTransport,
  ): Promise<void> {
    try {
      checkConnectOptions(options);
    } catch (error) {
      return Promise.reject(error);
    }
    const entry = listeners.get(options.port);
    if (entry === undefined) {
      return Promise.reject(
        new ConnectError("refused", options.hostname, options.port),
      );
    }
    const client = new MemoryEnd(entry.hostname, options.port, pipe);
    try {
      // The client's handler first: the server may write as it accepts.
      client.handler = accept(client);
    } catch (error) {
      // accept() threw: the listener never hears of this connection.
      return Promise.reject(error);
    }
    join(client, entry, undefined, undefined);
    return Promise.resolve();
  }

  function connectSocket(
    port?: number,
    connectOptions: MemoryConnectOptions = {},
  ): MemorySocket {
    if (port === undefined && listeners.size === 1) {
      port = listeners.keys().next().value;
    }
    const entry = port === undefined ? undefined : listeners.get(port);
    if (port === undefined || entry === undefined) {
      throw new Error(
        `Connection refused: memory port ${port ?? "(none given)"}`,
      );
    }
    const client = new MemoryClient(entry.hostname, port, pipe);
    join(
      client,
      entry,
      connectOptions.remoteAddress,
      connectOptions.remotePort,
    );
    return client;
  }

  return {
    name: "memory",
    deflate: pakoDeflate,
    clock: options.clock,
    listen(
      listenOptions: ListenOptions,
      accept: AcceptTransport,
    ): Promise<Listener> {
      let port = listenOptions.port;
      if (port === 0) {
        while (listeners.has(nextPort)) nextPort++;
        port = nextPort++;
      } else if (listeners.has(port)) {
        return Promise.reject(
          new Error(`Address already in use: memory port ${port}`),
        );
      }
      const { hostname } = listenOptions;
      const entry = { hostname, accept };
      listeners.set(port, entry);
      return Promise.resolve({
        hostname,
        port,
        close(): Promise<void> {
          if (listeners.get(port) === entry) listeners.delete(port);
          return Promise.resolve();
        },
      });
    },
    connect,
  };
}
