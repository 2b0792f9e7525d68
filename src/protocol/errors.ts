/**
 * The two error classes of the library, and the one place where failures
 * map to close codes ({@link FAILURE_CLOSE_CODES}).
 *
 * @module
 */

import { CloseCode } from "./close_code.ts";

/**
 * Every way a connection can fail, with the close code it is failed with
 * (RFC 6455 §7.4.1). This table is the only place where a failure becomes
 * a close code: {@link ProtocolError.code} and {@link closeCodeFor} read it.
 *
 * | kind         | code | when |
 * | ------------ | ---- | ---- |
 * | `protocol`   | 1002 | a framing violation: RSV bits, opcode, masking, fragments, a bad close frame |
 * | `invalid-data` | 1007 | text that is not UTF-8 |
 * | `policy`     | 1008 | a policy: the rate limit, the send buffer limit |
 * | `too-big`    | 1009 | a frame or message over the size limits |
 * | `extension`  | 1010 | (client) the server did not agree to a required extension |
 * | `keepalive`  | 1011 | no data from the peer within the idle timeout |
 * | `internal`   | 1011 | anything unexpected on our side |
 *
 * @example
 * ```ts
 * import { FAILURE_CLOSE_CODES } from "@anyws/anyws/protocol";
 * console.log(FAILURE_CLOSE_CODES["too-big"]); // 1009
 * ```
 */
export const FAILURE_CLOSE_CODES: Readonly<{
  "protocol": 1002;
  "invalid-data": 1007;
  "policy": 1008;
  "too-big": 1009;
  "extension": 1010;
  "keepalive": 1011;
  "internal": 1011;
}> = Object.freeze(
  {
    "protocol": CloseCode.ProtocolError,
    "invalid-data": CloseCode.InvalidPayload,
    "policy": CloseCode.PolicyViolation,
    "too-big": CloseCode.MessageTooBig,
    "extension": CloseCode.MandatoryExtension,
    "keepalive": CloseCode.InternalError,
    "internal": CloseCode.InternalError,
  } as const,
);

/**
 * One of the kinds of {@link FAILURE_CLOSE_CODES}.
 *
 * @example
 * ```ts
 * import type { FailureKind } from "@anyws/anyws";
 * const kind: FailureKind = "policy";
 * ```
 */
export type FailureKind =
  | "protocol"
  | "invalid-data"
  | "policy"
  | "too-big"
  | "extension"
  | "keepalive"
  | "internal";

/**
 * A connection failed: the peer violated the protocol or a limit, or this
 * side gave up on it (keepalive timeout, slow consumer). `code` is the close
 * code the connection is failed with (RFC 6455 §7.1.7), read from
 * {@link FAILURE_CLOSE_CODES}. The library reports these on `error` events;
 * they are never thrown into application code.
 *
 * @example
 * ```ts
 * import { ProtocolError } from "@anyws/anyws";
 * const error = new ProtocolError("protocol", "Invalid opcode: 3");
 * console.log(error.code, error.message); // 1002 Invalid opcode: 3
 * ```
 */
export class ProtocolError extends Error {
  /** What kind of failure this is. */
  readonly kind: FailureKind;

  /**
   * A failure of kind `kind`.
   *
   * @param kind The kind of failure; it decides the close code.
   * @param message What went wrong, such as `Invalid opcode: 3`.
   * @param options Standard error options (`cause`).
   */
  constructor(kind: FailureKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProtocolError";
    this.kind = kind;
  }

  /** The close code to send (1002, 1007, 1009, ...). */
  get code(): number {
    return FAILURE_CLOSE_CODES[this.kind];
  }
}

/**
 * The application misused the API: an invalid close code passed to
 * `close()`, a control frame payload over 125 bytes, an option out of its
 * range, a new message while a fragmented one is being sent, and so on.
 *
 * @example
 * ```ts
 * import { UsageError } from "@anyws/anyws";
 * try {
 *   throw new UsageError("Invalid close code: 1005");
 * } catch (error) {
 *   console.log(error instanceof UsageError); // true
 * }
 * ```
 */
export class UsageError extends Error {
  /**
   * A misuse of the API by the application.
   *
   * @param message What was wrong, such as `Invalid close code: 1005`.
   * @param options Standard error options (`cause`).
   */
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "UsageError";
  }
}

/**
 * The close code to fail a connection with for `error`: a
 * {@link ProtocolError}'s own code, 1011 (internal error) for anything else.
 *
 * @example
 * ```ts
 * import { closeCodeFor } from "@anyws/anyws/protocol";
 * import { ProtocolError } from "@anyws/anyws";
 * console.log(closeCodeFor(new ProtocolError("too-big", "Message too big"))); // 1009
 * console.log(closeCodeFor(new Error("Boom"))); // 1011
 * ```
 */
export function closeCodeFor(error: unknown): number {
  return error instanceof ProtocolError
    ? error.code
    : FAILURE_CLOSE_CODES.internal;
}

/**
 * Wraps an unexpected error as an `internal` {@link ProtocolError} (1011);
 * a `ProtocolError` is returned as is.
 *
 * @example
 * ```ts
 * import { asProtocolError } from "@anyws/anyws/protocol";
 * console.log(asProtocolError(new Error("Boom")).code); // 1011
 * ```
 */
export function asProtocolError(error: unknown): ProtocolError {
  if (error instanceof ProtocolError) return error;
  return new ProtocolError(
    "internal",
    `Internal error: ${error instanceof Error ? error.message : String(error)}`,
    { cause: error },
  );
}
