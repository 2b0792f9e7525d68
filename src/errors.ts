/**
 * The two error classes of the protocol core, and the one place that maps
 * errors to close codes.
 *
 * @module
 */

/**
 * The peer violated the protocol. `code` is the close code to send when
 * failing the connection (RFC 6455 §7.1.7): 1002 for framing violations,
 * 1007 for invalid UTF-8, 1009 for oversized messages, and so on. The
 * protocol core reports these as events; they are never thrown into user
 * code.
 *
 * @example
 * ```ts
 * import { ProtocolError } from "@anyws/anyws";
 * const error = new ProtocolError(1002, "Invalid opcode: 3");
 * console.log(error.code, error.message); // 1002 Invalid opcode: 3
 * ```
 */
export class ProtocolError extends Error {
  /** The close code to send (1002, 1007, 1009, ...). */
  readonly code: number;

  /**
   * A peer's violation, answered with close code `code`.
   *
   * @param code The close code to send.
   * @param message What the peer did wrong, such as `Invalid opcode: 3`.
   * @param options Standard error options (`cause`).
   */
  constructor(code: number, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ProtocolError";
    this.code = code;
  }
}

/**
 * The application misused the API: an invalid close code passed to
 * `close()`, a control frame payload over 125 bytes, a new message while a
 * fragmented one is being sent, and so on.
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
 * The close code to send for `error`: a {@link ProtocolError}'s own code,
 * 1011 (internal error) for anything else.
 *
 * @example
 * ```ts
 * import { closeCodeFor, ProtocolError } from "@anyws/anyws";
 * console.log(closeCodeFor(new ProtocolError(1009, "Message too big: 20000000 bytes"))); // 1009
 * console.log(closeCodeFor(new Error("Boom"))); // 1011
 * ```
 */
export function closeCodeFor(error: unknown): number {
  return error instanceof ProtocolError ? error.code : 1011;
}
