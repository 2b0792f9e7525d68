/**
 * What a server's connection drivers count as they run: bytes on the wire,
 * messages sent, flow control. Plain number fields, one object per server,
 * incremented in place on the hot paths: counting allocates nothing and
 * costs an addition. The server's metrics read them (`server.metrics()`).
 *
 * @module
 */

/**
 * The counters the drivers of one server share. Every field only grows.
 *
 * @example
 * ```ts
 * import { TrafficCounters } from "./traffic_counters.ts";
 * const counters = new TrafficCounters();
 * counters.bytesIn += 128;
 * console.log(counters.bytesIn); // 128
 * ```
 */
export class TrafficCounters {
  /** Bytes read from the peers (HTTP heads and bodies included). */
  bytesIn = 0;
  /** Bytes handed to the engines for the peers (HTTP answers included). */
  bytesOut = 0;
  /**
   * Messages queued by `conn.send` (frames given to it included),
   * `conn.emit` and broadcasts, one per receiving connection; not the
   * pings, pongs and closes the server sends on its own.
   */
  messagesOut = 0;
  /** Messages queued on one connection by a broadcast (a room, `server.emit`, a relayed message). */
  sharedDeliveries = 0;
  /** Times a connection stopped being read because the peer did not take what it asked for. */
  backpressurePauses = 0;
  /** Connections closed because their `bufferedAmount` went over `maxBufferedAmount`. */
  bufferLimitCloses = 0;
  /**
   * Connections whose transport closed during the HTTP phase without an
   * answer: the handshake timed out, the peer left, early data overflowed.
   */
  handshakesAbandoned = 0;
}
