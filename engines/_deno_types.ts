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
      | { hostname: string; port: number; transport?: "tcp" }
      | { transport: "unix"; path: string },
  ): DenoListener;
  listenTls(options: {
    hostname: string;
    port: number;
    cert: string;
    key: string;
  }): DenoListener;
}
