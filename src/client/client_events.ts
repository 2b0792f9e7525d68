/**
 * The events an `EventClient` emits itself, and what each handler
 * receives.
 *
 * @module
 */

/**
 * What a `close` handler receives.
 *
 * @example
 * ```ts
 * import type { ClientCloseInfo } from "./client_events.ts";
 * const info: ClientCloseInfo = { code: 1006, reason: "", wasClean: false, reconnecting: true };
 * ```
 */
export interface ClientCloseInfo {
  /** The close code (1006 when the connection dropped without a close frame). */
  readonly code: number;
  /** The close reason. */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
  /** Whether the client will try again (`reconnecting` follows); `false`: this is the end. */
  readonly reconnecting: boolean;
}

/**
 * What a `reconnecting` handler receives: attempt `attempt` (1, 2, ...)
 * starts in `delay` ms; `code` and `status` say how the last connection
 * or attempt ended.
 *
 * @example
 * ```ts
 * import type { ReconnectingInfo } from "./client_events.ts";
 * const info: ReconnectingInfo = { attempt: 2, delay: 1840, code: 1006 };
 * ```
 */
export interface ReconnectingInfo {
  /** The attempt about to be made (1 for the first after a drop). */
  readonly attempt: number;
  /** The wait before it, in ms. */
  readonly delay: number;
  /** The close code of the previous connection or attempt. */
  readonly code: number;
  /** The HTTP status of the previous attempt's refused handshake, when known. */
  readonly status?: number;
}

/**
 * What a `reconnected` handler receives: attempt `attempt` succeeded;
 * `resumed` says whether the server restored the session (then `resume`
 * follows, otherwise `open`).
 *
 * @example
 * ```ts
 * import type { ReconnectedInfo } from "./client_events.ts";
 * const info: ReconnectedInfo = { attempt: 1, resumed: true };
 * ```
 */
export interface ReconnectedInfo {
  /** The attempt that succeeded. */
  readonly attempt: number;
  /** Whether the session was resumed. */
  readonly resumed: boolean;
}

/**
 * The library's own events and their handlers.
 *
 * - `open`: a new session began: on the first connection, and after a
 *   reconnect the server did not resume (re-join rooms, log in again
 *   here). `id` is the connection id the server gave (undefined with
 *   `session: false`).
 * - `resume`: after a reconnect, the server restored the session: same id,
 *   rooms, user and data.
 * - `message`: a message that is not an event with handlers: a string for
 *   text, a `Uint8Array` for binary.
 * - `close`: an open connection ended (`reconnecting: true` when the
 *   client will try again), or the client ended for good (`false`).
 * - `error`: a socket error, a handler that threw, a malformed or
 *   oversized message from the server, queued messages that were never
 *   sent.
 * - `reconnecting`: the next attempt is scheduled.
 * - `reconnected`: a reconnect attempt succeeded (before `open` or `resume`).
 *
 * Handlers of `open`, `resume` and `reconnected` run before the messages
 * queued during the outage are sent, so a login or room join sent from
 * them reaches the server first.
 *
 * @example
 * ```ts
 * import type { ClientEvents } from "./client_events.ts";
 * const onClose: ClientEvents["close"] = ({ code, reconnecting }) =>
 *   console.log(code, reconnecting ? "retrying" : "gone");
 * ```
 */
export interface ClientEvents {
  /** A new session began. */
  open: (info: { readonly id: string | undefined }) => unknown;
  /** The server resumed the session after a reconnect. */
  resume: (info: { readonly id: string }) => unknown;
  /** A message no event handler took. */
  message: (data: string | Uint8Array) => unknown;
  /** A connection ended. */
  close: (info: ClientCloseInfo) => unknown;
  /** Something failed. */
  error: (error: Error) => unknown;
  /** A reconnect attempt is scheduled. */
  reconnecting: (info: ReconnectingInfo) => unknown;
  /** A reconnect attempt succeeded. */
  reconnected: (info: ReconnectedInfo) => unknown;
}

/**
 * The names of {@link ClientEvents}: the server's events of these names
 * never reach their handlers (they arrive as `message`).
 *
 * @example
 * ```ts
 * import { CLIENT_EVENTS } from "./client_events.ts";
 * console.log(CLIENT_EVENTS.has("reconnecting")); // true
 * ```
 */
export const CLIENT_EVENTS: ReadonlySet<string> = new Set<keyof ClientEvents>([
  "open",
  "resume",
  "message",
  "close",
  "error",
  "reconnecting",
  "reconnected",
]);
