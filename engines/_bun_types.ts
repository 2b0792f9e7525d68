/**
 * Internal: the small structural subset of the `Bun` global that
 * engines/bun.ts uses, so the file type-checks under `tsc` and `deno check`
 * without Bun's type definitions.
 *
 * @module
 */

/** `Bun.Socket`, with `data` holding our per-socket state. */
export interface BunSocket<Data> {
  data: Data;
  readonly remoteAddress: string;
  readonly remotePort?: number;
  /** Returns how many bytes were written (the rest is ours to retry), or -1 when closed. */
  write(bytes: Uint8Array): number;
  /** Sends FIN after what the kernel holds and closes the socket (both directions). */
  end(): void;
  /** `shutdown(2)`: without an argument the write side only (FIN), reading goes on; `true` shuts the read side. */
  shutdown?(halfClose?: boolean): void;
  /** Drops the connection now. */
  terminate?(): void;
  setNoDelay?(noDelay?: boolean): boolean;
  /** Stops reading (read-side flow control); the peer's bytes wait in the kernel. */
  pause?(): void;
  /** Reads again after `pause()`. */
  resume?(): void;
}

/** The per-listener socket handlers of `Bun.listen`. */
export interface BunSocketHandler<Data> {
  open(socket: BunSocket<Data>): void;
  data(socket: BunSocket<Data>, bytes: Uint8Array): void;
  drain(socket: BunSocket<Data>): void;
  end(socket: BunSocket<Data>): void;
  close(socket: BunSocket<Data>, error?: Error): void;
  error(socket: BunSocket<Data>, error: Error): void;
}

/** The socket handlers of `Bun.connect`: those of a listener, plus the connect's own. */
export interface BunConnectHandler<Data> extends BunSocketHandler<Data> {
  /** TLS only: the handshake finished; `success` is false when the certificate was refused. */
  handshake(
    socket: BunSocket<Data>,
    success: boolean,
    authorizationError: Error | null,
  ): void;
  /** The connection could not be made. */
  connectError(socket: BunSocket<Data>, error: Error): void;
}

/** The `tls` options of `Bun.connect`. */
export interface BunConnectTls {
  serverName?: string;
  ca?: string[];
  rejectUnauthorized?: boolean;
}

/** `Bun.TCPSocketListener`. */
export interface BunListener {
  readonly port: number;
  stop(closeActiveConnections?: boolean): void;
}

/** The members of the `Bun` global the engine calls. */
export interface BunSubset {
  listen<Data>(options: {
    hostname?: string;
    port?: number;
    /** A Unix domain socket path instead of `hostname`/`port`. */
    unix?: string;
    allowHalfOpen?: boolean;
    reusePort?: boolean;
    tls?: { cert: string; key: string };
    socket: BunSocketHandler<Data>;
  }): BunListener;
  connect<Data>(options: {
    hostname: string;
    port: number;
    allowHalfOpen?: boolean;
    tls?: BunConnectTls;
    socket: BunConnectHandler<Data>;
  }): Promise<BunSocket<Data>>;
}
