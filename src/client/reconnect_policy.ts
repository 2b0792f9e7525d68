/**
 * Which ends of a connection the event client retries and which it takes
 * as final.
 *
 * @module
 */

/**
 * How one connection (or one connection attempt) ended, as the reconnect
 * decision sees it.
 *
 * @example
 * ```ts
 * import type { Disconnect } from "./reconnect_policy.ts";
 * const dropped: Disconnect = { code: 1006, reason: "", wasClean: false, opened: true };
 * const refused: Disconnect = { code: 1006, reason: "", wasClean: false, opened: false, status: 503 };
 * ```
 */
export interface Disconnect {
  /** The close code (1006 when no close frame came, as for every failed handshake). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
  /** Whether the connection had opened (false: the attempt itself failed). */
  readonly opened: boolean;
  /**
   * The HTTP status of a refused handshake, when the socket reports it
   * (anyws's runtime client does; a browser's `WebSocket` never does).
   */
  readonly status?: number;
  /** The server's `Retry-After` for a refused handshake, in seconds, when reported. */
  readonly retryAfter?: number;
  /** The handshake (or the session message) did not come within the handshake timeout. */
  readonly timedOut?: boolean;
}

/**
 * Close codes after which the same request may well succeed later.
 *
 * RFC 6455 §7.4.1: 1001 "an endpoint is 'going away', such as a server
 * going down"; 1006 "the connection was closed abnormally, e.g., without
 * sending or receiving a Close control frame"; 1011 "a server is
 * terminating the connection because it encountered an unexpected
 * condition". The IANA registry (§11.7) adds 1012 Service Restart, 1013
 * Try Again Later and 1014 Bad Gateway.
 */
const RETRYABLE_CODES: ReadonlySet<number> = new Set([
  1001,
  1006,
  1011,
  1012,
  1013,
  1014,
]);

/**
 * The default reconnect decision:
 *
 * - retried: a handshake timeout; a refused handshake with a 5xx status, or
 *   408 Request Timeout or 429 Too Many Requests (both mean "try again
 *   later"; anyws answers 429 with `Retry-After` for its per-address
 *   limit); close codes 1001, 1006 (network errors, and every failed
 *   handshake a browser reports), 1011, 1012, 1013, 1014;
 * - final: any other 4xx status (401, 403, 404, ...); close codes 1000
 *   and 1005 (the server closed on purpose), 1002, 1003, 1007, 1008, 1009,
 *   1010, 1015 (retrying would fail the same way) and every application
 *   code (3000-4999).
 *
 * A browser reports a refused handshake as a close 1006 with no status,
 * the same as a network error, so in a browser a 401 or 403 is retried
 * (with backoff, up to `maxAttempts`): a server that wants a browser to
 * stop should accept the upgrade and close with 1008 or a 4xxx code.
 *
 * @example
 * ```ts
 * import { isRetryable } from "./reconnect_policy.ts";
 * isRetryable({ code: 1006, reason: "", wasClean: false, opened: true }); // true
 * isRetryable({ code: 1008, reason: "Policy", wasClean: true, opened: true }); // false
 * isRetryable({ code: 1006, reason: "", wasClean: false, opened: false, status: 401 }); // false
 * ```
 */
export function isRetryable(disconnect: Disconnect): boolean {
  if (disconnect.timedOut) return true;
  const { status } = disconnect;
  if (status !== undefined) {
    return (status >= 500 && status <= 599) || status === 408 ||
      status === 429;
  }
  return RETRYABLE_CODES.has(disconnect.code);
}
