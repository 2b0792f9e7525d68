/**
 * The engine contract: what a runtime adapter (one per runtime, or in-memory)
 * must provide so the driver can run WebSocket connections over it. Engines
 * move bytes and nothing else; they know nothing of WebSocket.
 *
 * @module
 */

import type { Clock } from "../shared/clock.ts";
import type { DeflateCodec, MessageCodec } from "../protocol/deflate/codec.ts";

/**
 * One accepted byte stream (a TCP or TLS socket), as an engine hands it to
 * the driver.
 *
 * @example
 * ```ts
 * import type { Transport } from "@anyws/anyws/engines";
 * function greet(transport: Transport): void {
 *   const ok = transport.write(new TextEncoder().encode("hello"));
 *   if (!ok) console.log("buffered; wait for drain");
 * }
 * ```
 */
export interface Transport {
  /** The peer's IP address, without the port. */
  readonly remoteAddress: string;
  /** The peer's port, or 0 where the engine cannot tell. */
  readonly remotePort: number;
  /**
   * Bytes accepted by {@link write} that the engine has not yet handed to
   * the operating system. Exact, and still exact inside
   * {@link TransportHandler.onClose}: 0 there means everything written
   * reached the network (a close frame among them was sent).
   */
  readonly unsentBytes: number;
  /**
   * Optional: `true` when every {@link TransportHandler.onData} chunk is a
   * buffer of its own that the engine never reads or writes again, so the
   * receiver may keep views of it (a large binary message is then handed
   * to the application where it was read, without a copy).
   */
  readonly readsAreFresh?: boolean;
  /**
   * Queues `bytes` for sending. The caller never mutates `bytes` after the
   * call, so the engine may keep the reference without copying. Returns
   * `false` when the engine's own buffer is over its high-water mark: the
   * caller should wait for {@link TransportHandler.onDrain}. Writes after
   * `end()` or `abort()` are ignored.
   */
  write(bytes: Uint8Array): boolean;
  /**
   * Optional: queues `chunks` for sending, in order, as {@link write} would
   * queue them one by one (same return value, same rules for the bytes),
   * but without joining them: an engine that can hand several buffers to
   * the operating system at once (a gathering write) sends large payloads
   * without copying them behind their frame headers. The engine keeps the
   * chunks, never the array.
   */
  writeChunks?(chunks: readonly Uint8Array[]): boolean;
  /**
   * Asks to hear when everything written has been handed to the operating
   * system: returns `true` if it already has (nothing unsent); otherwise
   * {@link TransportHandler.onDrain} is called once it has.
   */
  requestDrain(): boolean;
  /** Flushes what is queued, then closes the connection (FIN). */
  end(): void;
  /** Drops the connection now, discarding anything queued. */
  abort(): void;
  /**
   * Stops reading from the peer (read-side flow control): no
   * {@link TransportHandler.onData} until {@link resume}, except for one
   * read already under way. Unread bytes stay in the operating system's
   * buffers, so a peer that keeps sending meets TCP backpressure.
   */
  pause(): void;
  /** Reads again after {@link pause}. */
  resume(): void;
}

/**
 * What the driver hands back to an engine for one accepted transport. The
 * engine calls these methods; each runs synchronously.
 *
 * @example
 * ```ts
 * import type { TransportHandler } from "@anyws/anyws/engines";
 * const handler: TransportHandler = {
 *   onData: (bytes) => console.log(bytes.length, "bytes"),
 *   onDrain: () => {},
 *   onEnd: () => {},
 *   onClose: (error) => console.log("closed", error?.message),
 * };
 * ```
 */
export interface TransportHandler {
  /**
   * Bytes arrived. `bytes` is only valid during the call: the handler may
   * read and even modify it in place, but must copy whatever it keeps.
   */
  onData(bytes: Uint8Array): void;
  /**
   * Everything written has been handed to the operating system, after a
   * `write()` that returned `false` or a `requestDrain()` that returned
   * `false`.
   */
  onDrain(): void;
  /** The peer half-closed (sent FIN). The transport may still be written. */
  onEnd(): void;
  /** The transport is fully closed. Called exactly once, last. */
  onClose(error?: Error): void;
}

/**
 * PEM-encoded certificate chain and private key for `wss://`.
 *
 * @example
 * ```ts
 * import type { TlsOptions } from "@anyws/anyws/engines";
 * const tls: TlsOptions = { cert: "-----BEGIN CERTIFICATE-----…", key: "-----BEGIN PRIVATE KEY-----…" };
 * ```
 */
export interface TlsOptions {
  /** Certificate chain, PEM. */
  cert: string;
  /** Private key, PEM. */
  key: string;
}

/**
 * Where and how an engine listens.
 *
 * @example
 * ```ts
 * import type { ListenOptions } from "@anyws/anyws/engines";
 * const options: ListenOptions = { hostname: "127.0.0.1", port: 0 };
 * ```
 */
export interface ListenOptions {
  /** Interface to bind, such as `"127.0.0.1"` or `"0.0.0.0"`. */
  hostname: string;
  /** Port to bind; 0 lets the system choose. */
  port: number;
  /** Serve TLS with this certificate and key. */
  tls?: TlsOptions;
  /**
   * Listen on this Unix domain socket path instead of `hostname:port`
   * (behind a reverse proxy on the same machine). The engine does not
   * remove a socket file left by an earlier run.
   */
  path?: string;
  /**
   * Share the port with other processes that set it too (SO_REUSEPORT:
   * the kernel spreads connections among them). An engine that cannot
   * rejects the listen with an error saying why.
   */
  reusePort?: boolean;
}

/**
 * How an outbound TLS connection checks the server.
 *
 * @example
 * ```ts
 * import type { ConnectTlsOptions } from "@anyws/anyws/engines";
 * const tls: ConnectTlsOptions = {
 *   servername: "localhost",
 *   ca: "-----BEGIN CERTIFICATE-----…",
 * };
 * ```
 */
export interface ConnectTlsOptions {
  /**
   * The name sent in SNI and checked against the server's certificate.
   * Default: the `hostname` connected to (an IP address is checked against
   * the certificate's IP addresses and sent without SNI).
   */
  servername?: string;
  /**
   * Extra trusted certificate authorities, PEM (one string may hold several
   * certificates). They are added to the runtime's default trust store,
   * never replace it, on every engine (one runtime's TLS can only add).
   */
  ca?: string | readonly string[];
  /**
   * Whether a server certificate that fails verification (untrusted,
   * expired, or not for `servername`) fails the connection. Default `true`.
   * `false` accepts any certificate: for tests only. Not every engine
   * offers it (one runtime's engine rejects it with a `UsageError`).
   */
  rejectUnauthorized?: boolean;
}

/**
 * Where and how an engine opens an outbound connection.
 *
 * @example
 * ```ts
 * import type { ConnectOptions } from "@anyws/anyws/engines";
 * const options: ConnectOptions = {
 *   hostname: "example.com",
 *   port: 443,
 *   tls: {},
 *   timeout: 10_000,
 * };
 * ```
 */
export interface ConnectOptions {
  /**
   * Host name or IP address to connect to; an IPv6 address with or without
   * brackets (`URL.hostname` keeps them).
   */
  hostname: string;
  /** TCP port, 1 to 65535. */
  port: number;
  /** Speak TLS (`wss://`), checking the server as these options say. */
  tls?: ConnectTlsOptions;
  /**
   * Milliseconds the TCP connect and the TLS handshake may take together
   * before the attempt fails with a `ConnectError` of kind `"timeout"`.
   * Default: no limit but the operating system's.
   */
  timeout?: number;
}

/**
 * A bound listening socket.
 *
 * @example
 * ```ts
 * import type { Listener } from "@anyws/anyws/engines";
 * async function report(listener: Listener): Promise<void> {
 *   console.log(`listening on ${listener.hostname}:${listener.port}`);
 *   await listener.close();
 * }
 * ```
 */
export interface Listener {
  /** The bound interface. */
  readonly hostname: string;
  /** The bound port (the real one when 0 was asked for; 0 on a Unix socket). */
  readonly port: number;
  /** The Unix domain socket path, when listening on one. */
  readonly path?: string;
  /**
   * Stops accepting and releases the listening socket. Accepted transports
   * stay open. Resolves when the listener is closed.
   */
  close(): Promise<void>;
}

/**
 * Called by an engine for each accepted transport; returns the handler the
 * engine reports that transport's events to.
 *
 * @example
 * ```ts
 * import type { AcceptTransport } from "./engine.ts";
 * const accept: AcceptTransport = (transport) => ({
 *   onData: (bytes) => transport.write(bytes.slice()),
 *   onDrain: () => {},
 *   onEnd: () => transport.end(),
 *   onClose: () => {},
 * });
 * ```
 */
export type AcceptTransport = (transport: Transport) => TransportHandler;

/**
 * A runtime adapter: binds a listener and turns each accepted socket into a
 * {@link Transport}; opens outbound connections as transports too.
 *
 * @example
 * ```ts
 * import type { Engine } from "@anyws/anyws/engines";
 * async function start(engine: Engine): Promise<void> {
 *   const listener = await engine.listen({ hostname: "127.0.0.1", port: 0 }, (t) => ({
 *     onData: () => {}, onDrain: () => {}, onEnd: () => t.end(), onClose: () => {},
 *   }));
 *   await listener.close();
 * }
 * ```
 */
export interface Engine {
  /** A short name such as `"node"`, `"deno"`, `"bun"` or `"memory"`. */
  readonly name: string;
  /**
   * The clock the server's timers run on (handshake, close and heartbeat
   * timers). Default: the system clock. The memory engine can run on a
   * virtual clock, for tests that step time.
   */
  readonly clock?: Clock;
  /**
   * The DEFLATE implementation permessage-deflate runs on (RFC 7692), or
   * `undefined` when the engine has none (compression is then refused).
   */
  readonly deflate?: DeflateImplementation;
  /** Binds and starts accepting. Rejects if the address cannot be bound. */
  listen(options: ListenOptions, accept: AcceptTransport): Promise<Listener>;
  /**
   * Opens an outbound connection (a client's). Once it is connected (after
   * the TLS handshake, for TLS) the transport is handed to `accept`, then
   * the promise resolves; from there on the transport behaves exactly like
   * an accepted one. Rejects with a `ConnectError` (kind `"refused"`,
   * `"dns"`, `"timeout"`, `"tls"` or `"network"`) when the connection
   * cannot be made, and with a `UsageError` for invalid options; `accept`
   * is then never called. If `accept` throws, the connection is dropped and
   * the promise rejects with that error. Optional: an engine that only
   * serves may omit it.
   */
  connect?(options: ConnectOptions, accept: AcceptTransport): Promise<void>;
  /**
   * Takes over a socket another server accepted (the socket a Node-style
   * HTTP server hands its `'upgrade'` listeners): it becomes a transport
   * like an accepted one, and
   * `head` (the bytes already read from it) is its first `onData`.
   * Engines that cannot adopt a socket leave it out. Throws a `TypeError`
   * for a value that is not a socket the engine knows.
   */
  adopt?(socket: unknown, head: Uint8Array, accept: AcceptTransport): void;
}

/**
 * What an engine offers for permessage-deflate: contexts that keep their
 * window between messages (`codec`, needed for context takeover), and
 * optionally a faster whole-message codec for messages sent and received
 * without context takeover (`messages`).
 *
 * @example
 * ```ts
 * import type { DeflateImplementation, Engine } from "@anyws/anyws/engines";
 * function describe(engine: Engine): string {
 *   const deflate: DeflateImplementation | undefined = engine.deflate;
 *   return deflate ? `${deflate.codec.name} + ${deflate.messages?.name ?? "-"}` : "none";
 * }
 * ```
 */
export interface DeflateImplementation {
  /** Compression contexts with a window kept between messages. */
  readonly codec: DeflateCodec;
  /** Whole messages without context; default: reset contexts of `codec`. */
  readonly messages?: MessageCodec;
}
