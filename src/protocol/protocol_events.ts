/**
 * What a {@link Protocol} reports: its states, its events, and how a
 * connection ended.
 *
 * @module
 */

import type { ProtocolError } from "./errors.ts";

/**
 * Connection states, with the values of the browser `WebSocket.readyState`.
 *
 * @example
 * ```ts
 * import { Protocol } from "@anyws/anyws/protocol";
 * import { ReadyState } from "@anyws/anyws";
 * console.log(new Protocol().readyState === ReadyState.Open); // true
 * ```
 */
export const ReadyState: Readonly<{
  Connecting: 0;
  Open: 1;
  Closing: 2;
  Closed: 3;
}> = Object.freeze(
  {
    /** The opening handshake is under way (never reported by `Protocol`). */
    Connecting: 0,
    /** Messages flow both ways. */
    Open: 1,
    /** A close frame was sent or received, or the connection failed. */
    Closing: 2,
    /** The transport is closed. */
    Closed: 3,
  } as const,
);

/**
 * One of the {@link ReadyState} values.
 *
 * @example
 * ```ts
 * import { ReadyState } from "@anyws/anyws";
 * const state: ReadyState = ReadyState.Closing;
 * ```
 */
export type ReadyState = typeof ReadyState[keyof typeof ReadyState];

/**
 * What {@link Protocol.nextEvent} reports. The protocol's answer to an event
 * is queued when the event is taken, so that whatever the application sends
 * in answer to the events before it goes out first.
 *
 * - `text`, `binary`: a complete message; `data` is owned by the receiver.
 * - `ping`: a ping arrived; taking it queues the pong with the same payload
 *   (RFC 6455 §5.5.2, §5.5.3) unless a close was already sent.
 * - `pong`: a pong arrived.
 * - `close`: the peer's close frame arrived (`code` 1005 when its body was
 *   empty). Taking it moves to `Closing` and, if no close was sent, queues
 *   the reply: the same code, or an empty body when the peer sent none.
 *   Nothing more is read.
 * - `error`: the peer violated the protocol. Taking it is RFC 6455 §7.1.7
 *   "Fail the WebSocket Connection": it moves to `Closing` and queues a close
 *   frame with `error.code` (unless one was already sent). Nothing more is
 *   read.
 *
 * @example
 * ```ts
 * import type { ProtocolEvent } from "@anyws/anyws/protocol";
 * function describe(event: ProtocolEvent): string {
 *   switch (event.type) {
 *     case "text": return `text ${event.data}`;
 *     case "binary": return `binary ${event.data.length} bytes`;
 *     case "ping": case "pong": return event.type;
 *     case "close": return `close ${event.code} ${event.reason}`;
 *     case "error": return `error ${event.error.code}`;
 *   }
 * }
 * ```
 */
export type ProtocolEvent =
  | { type: "text"; data: string }
  | { type: "binary"; data: Uint8Array }
  | { type: "ping"; data: Uint8Array }
  | { type: "pong"; data: Uint8Array }
  | { type: "close"; code: number; reason: string }
  | { type: "error"; error: ProtocolError };

/**
 * How a connection ended, as its `close` event reports it (RFC 6455 §7.1.5,
 * §7.1.6).
 *
 * - `code`: the code of the peer's close frame (1005 when it had none); or,
 *   when this side failed the connection (a protocol violation, a slow
 *   consumer, a keepalive timeout), the code of that failure; otherwise
 *   1006 (the connection dropped without a close frame).
 * - `wasClean`: both close frames were exchanged (ours written out, the
 *   peer's received) before the connection closed.
 *
 * @example
 * ```ts
 * import type { CloseInfo } from "@anyws/anyws";
 * const info: CloseInfo = { code: 1006, reason: "", wasClean: false };
 * ```
 */
export interface CloseInfo {
  /** Close code (RFC 6455 §7.4). */
  readonly code: number;
  /** Close reason (UTF-8 text, up to 123 bytes). */
  readonly reason: string;
  /** Whether the closing handshake completed. */
  readonly wasClean: boolean;
}
