/**
 * What the connections of one program share to write their frames: a slab
 * for small frames and, in the client role, a pool of random masking keys.
 *
 * @module
 */

import { RandomPool } from "./random_pool.ts";
import { Slab } from "./slab.ts";

/**
 * The shared write buffers of many {@link Protocol}s of one role. A server
 * passes one instance to all its connections, a client program another
 * (with `masks`), so idle connections hold none of their own.
 *
 * @example
 * ```ts
 * import { FrameBuffers, Protocol } from "@anyws/anyws/protocol";
 * const buffers = new FrameBuffers("client");
 * const a = new Protocol({ role: "client", buffers });
 * const b = new Protocol({ role: "client", buffers });
 * ```
 */
export class FrameBuffers {
  /** Where small frames are written. */
  readonly slab: Slab;
  /** Masking keys: present exactly in the client role. */
  readonly masks: RandomPool | undefined;

  /** Buffers for connections of `role` (`"server"` frames are not masked). */
  constructor(role: "server" | "client") {
    this.slab = new Slab();
    this.masks = role === "client" ? new RandomPool() : undefined;
  }
}
