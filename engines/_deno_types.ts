/**
 * Internal: the small structural subset of the `Deno` namespace that
 * engines/deno.ts uses, so the file type-checks under `tsc` (which has no
 * Deno types) as well as under `deno check`.
 *
 * @module
 */

/** `Deno.NetAddr`. */
export interface DenoNetAddr {
  hostname: string;
  port: number;
}

/** `Deno.Conn` (TCP or TLS). */
export interface DenoConn {
  readonly remoteAddr: DenoNetAddr | { transport: string };
  read(buffer: Uint8Array): Promise<number | null>;
  write(bytes: Uint8Array): Promise<number>;
  closeWrite(): Promise<void>;
  close(): void;
  /** Only on `Deno.TcpConn`. */
  setNoDelay?(noDelay?: boolean): void;
}

/** `Deno.TlsConn`. */
export interface DenoTlsConn extends DenoConn {
  handshake(): Promise<unknown>;
}

/** `Deno.Listener`. */
export interface DenoListener {
  readonly addr: DenoNetAddr | { transport: string };
  accept(): Promise<DenoConn>;
  close(): void;
}

/** The members of the `Deno` global the engine calls. */
export interface DenoSubset {
  listen(
    options:
      | {
        hostname: string;
        port: number;
        transport?: "tcp";
        reusePort?: boolean;
      }
      | { transport: "unix"; path: string },
  ): DenoListener;
  listenTls(options: {
    hostname: string;
    port: number;
    cert: string;
    key: string;
    reusePort?: boolean;
  }): DenoListener;
  connect(options: {
    hostname: string;
    port: number;
    transport: "tcp";
    signal?: AbortSignal;
  }): Promise<DenoConn>;
  startTls(
    conn: DenoConn,
    options: { hostname: string; caCerts?: string[] },
  ): Promise<DenoTlsConn>;
  /** Only with `--unstable-net`: how the engine tells that the flag is on. */
  listenDatagram?: unknown;
}
