// Long file: Bun.listen's socket handlers, its TLS, its connect and its transport (corked writes, drain, read pausing) are one adapter; each part uses the others' private state.
/**
 * The Bun engine: `Bun.listen` sockets as {@link Transport}s. Bun's
 * `socket.write()` returns how many bytes the kernel took and keeps nothing,
 * so the transport queues the rest and writes it from Bun's `drain` handler.
 *
 * @module
 */

import { isIP } from "node:net";
import { getCACertificates, rootCertificates } from "node:tls";
import type {
  AcceptTransport,
  ConnectOptions,
  Engine,
  Listener,
  ListenOptions,
  Transport,
  TransportHandler,
} from "../src/driver/engine.ts";
import { ConnectError } from "../src/driver/connect_error.ts";
import type {
  BunConnectHandler,
  BunConnectTls,
  BunSocket,
  BunSocketHandler,
  BunSubset,
} from "./_bun_types.ts";
import {
  caList,
  checkConnectOptions,
  tcpConnectError,
  timeoutError,
  tlsConnectError,
  unbracketed,
} from "./_connect.ts";
import { DEFAULT_HIGH_WATER_MARK, WriteQueue } from "./_write_queue.ts";
import { runtimeDeflate } from "./deflate.ts";
import { adoptNodeSocket } from "./node_socket.ts";
import { listenError } from "./_listen_error.ts";

/**
 * Options for {@link bunEngine}.
 *
 * @example
 * ```ts
 * import { bunEngine, type BunEngineOptions } from "@anyws/anyws/engines/bun";
 * const options: BunEngineOptions = { highWaterMark: 256 * 1024 };
 * const engine = bunEngine(options);
 * ```
 */
export interface BunEngineOptions {
  /** Queued bytes per socket above which `write()` returns `false` (default 64 KiB). */
  highWaterMark?: number;
}

// BunTransport's state flags, kept in one number: a field costs 8 bytes on
// every idle connection.
/** A write returned false: call `onDrain` once the queue empties. */
const NEED_DRAIN = 1;
/** end() or abort() called: later writes are ignored. */
const ENDING = 2;
/** Our FIN is sent (shutdown). */
const FIN_SENT = 4;
/** Bun reported the peer's FIN (`end`). */
const PEER_ENDED = 8;
/** abort() called. */
const ABORTED = 16;
/** Inside write()/end()/abort(): Bun may call `close` synchronously. */
const IN_CALL = 32;
/** Bun reported `close`. */
const CLOSED = 64;

/** One accepted Bun socket, seen as a Transport. */
class BunTransport implements Transport {
  handler!: TransportHandler;
  #socket: BunSocket<BunTransport>;
  // Created when Bun first takes only part of a write: most connections
  // never need one.
  #queue: WriteQueue | undefined;
  #highWaterMark: number;
  #flags = 0;
  #error: Error | undefined;
  #unsentAtClose = 0;

  constructor(socket: BunSocket<BunTransport>, highWaterMark: number) {
    this.#socket = socket;
    this.#highWaterMark = highWaterMark;
  }

  // Read from the socket when asked (the driver asks once) rather than kept.
  get remoteAddress(): string {
    return this.#socket.remoteAddress ?? "";
  }

  get remotePort(): number {
    return this.#socket.remotePort ?? 0;
  }

  get unsentBytes(): number {
    if (this.#flags & CLOSED) return this.#unsentAtClose;
    return this.#queue?.bytes ?? 0;
  }

  requestDrain(): boolean {
    if (this.#queue === undefined || this.#queue.empty) return true;
    this.#flags |= NEED_DRAIN;
    return false;
  }

  pause(): void {
    if (!(this.#flags & CLOSED)) this.#socket.pause?.();
  }

  resume(): void {
    if (!(this.#flags & CLOSED)) this.#socket.resume?.();
  }

  /** Whether the handler must hear nothing more (closed or aborted). */
  get closed(): boolean {
    return (this.#flags & (CLOSED | ABORTED)) !== 0;
  }

  write(bytes: Uint8Array): boolean {
    if (this.#flags & ENDING) return true;
    let queue = this.#queue;
    if (queue === undefined || queue.empty) {
      this.#flags |= IN_CALL;
      const written = this.#socket.write(bytes);
      this.#flags &= ~IN_CALL;
      if (written >= bytes.length || this.#flags & CLOSED) return true;
      // Bun took only part of it: keep the unwritten rest for the drain handler.
      queue = this.#queue ??= new WriteQueue();
      queue.push(written > 0 ? bytes.subarray(written) : bytes);
    } else queue.push(bytes);
    if (queue.bytes < this.#highWaterMark) return true;
    this.#flags |= NEED_DRAIN;
    return false;
  }

  end(): void {
    if (this.#flags & ENDING) return;
    this.#flags |= ENDING;
    if (this.#queue === undefined || this.#queue.empty) this.#finish();
  }

  abort(): void {
    const flags = this.#flags;
    this.#flags |= ENDING;
    if (flags & (CLOSED | ABORTED)) return;
    this.#flags |= ABORTED;
    // What is dropped was never sent.
    this.#unsentAtClose = this.#queue?.bytes ?? 0;
    this.#queue?.clear();
    const socket = this.#socket;
    this.#flags |= IN_CALL;
    if (socket.terminate !== undefined) socket.terminate();
    else socket.end();
    this.#flags &= ~IN_CALL;
  }

  /** Bun's `drain`: the socket is writable again. */
  onDrain(): void {
    const queue = this.#queue;
    while (queue !== undefined && !queue.empty && !this.closed) {
      const chunk = queue.peek();
      const written = this.#socket.write(chunk);
      if (written <= 0) return;
      queue.consume(written);
      if (written < chunk.length) return;
    }
    if (this.closed) return;
    const flags = this.#flags;
    if ((flags & (NEED_DRAIN | ENDING)) === NEED_DRAIN) {
      this.#flags &= ~NEED_DRAIN;
      this.handler.onDrain();
    }
    if (this.#flags & ENDING && (queue === undefined || queue.empty)) {
      this.#finish();
    }
  }

  /** Bun's `end`: the peer sent FIN. */
  onEnd(): void {
    if (this.closed) return;
    this.#flags |= PEER_ENDED;
    this.handler.onEnd();
  }

  /** Bun's `error`: an I/O error, or an exception thrown by a handler. */
  onError(error: Error): void {
    this.#error ??= error;
    // Make sure the close (with this error) follows.
    if (!this.closed && this.#socket.terminate !== undefined) {
      this.#socket.terminate();
    }
  }

  onClose(error?: Error): void {
    const flags = this.#flags;
    if (flags & CLOSED) return;
    if (!(flags & ABORTED)) this.#unsentAtClose = this.#queue?.bytes ?? 0;
    this.#flags |= CLOSED | ENDING;
    this.#queue?.clear();
    const reason = flags & ABORTED ? undefined : error ?? this.#error;
    // Never report the close from inside write(), end() or abort().
    if (flags & IN_CALL) queueMicrotask(() => this.#reportClose(reason));
    else this.#reportClose(reason);
  }

  #reportClose(error: Error | undefined): void {
    // After our FIN, Bun reports the peer's FIN as `close` without `end`
    // (a reset comes with an error): report the FIN as the other engines do.
    if (
      error === undefined &&
      (this.#flags & (FIN_SENT | PEER_ENDED | ABORTED)) === FIN_SENT
    ) {
      this.handler.onEnd();
    }
    this.handler.onClose(error);
  }

  /** Everything is written: send FIN, keep reading until the peer's FIN. */
  #finish(): void {
    if (this.#flags & FIN_SENT) return;
    this.#flags |= FIN_SENT;
    const socket = this.#socket;
    this.#flags |= IN_CALL;
    // shutdown() without an argument half-closes (SHUT_WR; shutdown(true)
    // shuts the read side in Bun 1.4); end() would close both directions.
    if (socket.shutdown !== undefined) socket.shutdown();
    else socket.end();
    this.#flags &= ~IN_CALL;
  }
}

/** Shared `Bun.listen` handlers for one listener (Bun's one-set-per-server design). */
function socketHandler(
  accept: AcceptTransport,
  highWaterMark: number,
): BunSocketHandler<BunTransport> {
  return {
    open(socket) {
      const transport = new BunTransport(socket, highWaterMark);
      socket.data = transport;
      socket.setNoDelay?.(true);
      transport.handler = accept(transport);
    },
    data(socket, bytes) {
      const transport = socket.data;
      if (transport !== undefined && !transport.closed) {
        // Made a plain Uint8Array, since Buffer's slice() would not copy.
        // Bun hands over a fresh Buffer per call, so it is ours to change;
        // switching its prototype is cheaper than a view (reading `buffer`
        // makes JavaScriptCore allocate an ArrayBuffer object).
        transport.handler.onData(
          Object.setPrototypeOf(bytes, Uint8Array.prototype) as Uint8Array,
        );
      }
    },
    drain(socket) {
      socket.data?.onDrain();
    },
    end(socket) {
      socket.data?.onEnd();
    },
    error(socket, error) {
      socket.data?.onError(error);
    },
    close(socket, error) {
      socket.data?.onClose(error);
    },
  };
}

/**
 * Opens an outbound socket with `Bun.connect` and hands it over as a
 * {@link BunTransport} once connected: at `open` for TCP, at `handshake`
 * for TLS (Bun opens a TLS socket before its handshake).
 */
function connectSocket(
  options: ConnectOptions,
  accept: AcceptTransport,
  highWaterMark: number,
): Promise<void> {
  checkConnectOptions(options);
  const bun = (globalThis as unknown as { Bun: BunSubset }).Bun;
  const { port, tls, timeout } = options;
  const hostname = unbracketed(options.hostname);
  const shared = socketHandler(accept, highWaterMark);
  let settled = false;
  let opened: BunSocket<BunTransport> | undefined;
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const done = new Promise<void>((yes, no) => {
    resolve = yes;
    reject = no;
  });
  const timer = timeout === undefined
    ? undefined
    : setTimeout(() => fail(timeoutError(options)), timeout);
  function fail(error: Error): void {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    opened?.terminate?.();
    reject(error);
  }
  function connected(socket: BunSocket<BunTransport>): void {
    if (settled) {
      // Given up on (timed out) before Bun connected it.
      socket.terminate?.();
      return;
    }
    settled = true;
    clearTimeout(timer);
    try {
      shared.open(socket);
    } catch (error) {
      // accept() threw: the connection is of no use to anyone, and its
      // transport has no handler to report the close to.
      socket.data = undefined as unknown as BunTransport;
      socket.terminate?.();
      reject(error as Error);
      return;
    }
    resolve();
  }
  const handler: BunConnectHandler<BunTransport> = {
    ...shared,
    open(socket) {
      if (tls === undefined) connected(socket);
      else if (settled) socket.terminate?.();
      else opened = socket;
    },
    handshake(socket, success, authorizationError) {
      if (settled) return;
      // Bun reports `success` false for a certificate not for serverName
      // even with rejectUnauthorized false (the connection works), and for
      // a failed handshake (no connection).
      const accepted = tls?.rejectUnauthorized === false
        ? !isHandshakeFailure(authorizationError)
        : success && authorizationError === null;
      if (accepted) {
        connected(socket);
      } else {
        fail(
          tlsConnectError(
            authorizationError ?? new Error("handshake failed"),
            options,
          ),
        );
      }
    },
    connectError(_socket, error) {
      fail(tcpConnectError(error, options));
    },
    close(socket, error) {
      if (socket.data !== undefined) shared.close(socket, error);
      else {
        fail(
          new ConnectError(
            tls === undefined ? "network" : "tls",
            hostname,
            port,
            error?.message ?? "closed before connected",
          ),
        );
      }
    },
  };
  bun.connect<BunTransport>({
    hostname,
    port,
    allowHalfOpen: true,
    tls: tls === undefined ? undefined : bunTls(tls, hostname),
    socket: handler,
  }).catch((error) => fail(tcpConnectError(error, options)));
  return done;
}

/**
 * Whether Bun's handshake error means the TLS handshake itself failed (a
 * peer that does not speak TLS, a reset), not a certificate that did not
 * verify.
 */
function isHandshakeFailure(error: Error | null): boolean {
  if (error === null) return false;
  const code = (error as { code?: unknown }).code;
  return code === "EPROTO" || code === "ECONNRESET" ||
    (typeof code === "string" && code.startsWith("ERR_SSL_")) ||
    /SSL routines/.test(error.message);
}

/** Bun's `tls` options for ours: `ca` added to the default CAs (Bun's own `ca` replaces them). */
function bunTls(
  tls: NonNullable<ConnectOptions["tls"]>,
  hostname: string,
): BunConnectTls {
  const ca = caList(tls.ca);
  return {
    // Bun sends the hostname in SNI by default, an IP address too (RFC 6066
    // §3 forbids that); an empty serverName sends none, and Bun still
    // checks the certificate against the address.
    serverName: tls.servername ?? (isIP(hostname) === 0 ? undefined : ""),
    rejectUnauthorized: tls.rejectUnauthorized !== false,
    ca: ca.length === 0 ? undefined : [
      ...(typeof getCACertificates === "function"
        ? getCACertificates("default")
        : rootCertificates),
      ...ca,
    ],
  };
}

/**
 * Creates the Bun engine (`Bun.listen`, with `tls` for `wss://`). Sockets
 * allow half-open connections (the peer's FIN is reported through
 * {@link TransportHandler.onEnd}; the transport stays writable) and get
 * `TCP_NODELAY` where Bun offers it.
 *
 * @example
 * ```ts
 * import { bunEngine } from "@anyws/anyws/engines/bun";
 * const engine = bunEngine();
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
export function bunEngine(options: BunEngineOptions = {}): Engine {
  const highWaterMark = options.highWaterMark ?? DEFAULT_HIGH_WATER_MARK;
  return {
    name: "bun",
    deflate: runtimeDeflate,
    connect(
      connectOptions: ConnectOptions,
      accept: AcceptTransport,
    ): Promise<void> {
      try {
        return connectSocket(connectOptions, accept, highWaterMark);
      } catch (error) {
        return Promise.reject(error);
      }
    },
    listen(
      listenOptions: ListenOptions,
      accept: AcceptTransport,
    ): Promise<Listener> {
      const bun = (globalThis as unknown as { Bun: BunSubset }).Bun;
      const { hostname, port, tls, path } = listenOptions;
      try {
        const listener = bun.listen<BunTransport>({
          ...(path === undefined ? { hostname, port } : { unix: path }),
          allowHalfOpen: true,
          ...(listenOptions.reusePort ? { reusePort: true } : {}),
          ...(tls === undefined
            ? {}
            : { tls: { cert: tls.cert, key: tls.key } }),
          socket: socketHandler(accept, highWaterMark),
        });
        let closed = false;
        return Promise.resolve({
          hostname,
          port: path === undefined ? listener.port : 0,
          path,
          close(): Promise<void> {
            if (!closed) {
              closed = true;
              // false: accepted sockets stay open.
              listener.stop(false);
            }
            return Promise.resolve();
          },
        });
      } catch (error) {
        return Promise.reject(
          listenError(error, path ?? `${hostname}:${port}`),
        );
      }
    },
    // Bun's node:http hands its 'upgrade' listeners a node:net socket.
    adopt: adoptNodeSocket,
  };
}
