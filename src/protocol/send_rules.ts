/**
 * What may be sent on a connection (RFC 6455 §5.2, §5.5, §7.4), checked
 * before a frame is queued or broadcast.
 *
 * @module
 */

import { isValidCloseCode } from "./close_code.ts";
import { UsageError } from "./errors.ts";
import type { Frame } from "./frame.ts";
import { isControl, isKnownOpcode, Opcode } from "./opcode.ts";
import { isValidUtf8 } from "./utf8.ts";

/**
 * Throws a `UsageError` unless `frame` may be sent on a connection that
 * negotiated the RSV bits `allowedRsv`: a known opcode, no RSV bit that was
 * not negotiated, and for a control frame a payload of at most 125 bytes,
 * FIN set, and a valid close body (RFC 6455 §5.5, §7.4).
 *
 * @example
 * ```ts
 * import { checkSendable } from "@anyws/anyws/protocol";
 * import { Frame } from "@anyws/anyws";
 * checkSendable(Frame.text("fine"), 0); // no throw
 * try {
 *   checkSendable(new Frame(3, new Uint8Array()), 0);
 * } catch (error) {
 *   console.log((error as Error).message); // "Invalid opcode: 3"
 * }
 * ```
 */
export function checkSendable(frame: Frame, allowedRsv: number): void {
  const { opcode, fin, rsv, payload } = frame;
  if (!isKnownOpcode(opcode)) {
    throw new UsageError(`Invalid opcode: ${opcode}`);
  }
  if ((rsv & ~allowedRsv) !== 0) {
    throw new UsageError(`RSV bits not negotiated: ${rsv}`);
  }
  if (isControl(opcode)) {
    checkControl(payload, fin);
    if (opcode === Opcode.Close) checkCloseBody(payload);
  }
}

/**
 * Throws a `UsageError` unless `payload` fits a control frame (RFC 6455
 * §5.5: at most 125 bytes) and `fin` is set (control frames are never
 * fragmented).
 *
 * @example
 * ```ts
 * import { checkControl } from "@anyws/anyws/protocol";
 * checkControl(new Uint8Array(125), true); // no throw
 * ```
 */
export function checkControl(payload: Uint8Array, fin: boolean): void {
  // RFC 6455 §5.5: "All control frames MUST have a payload length of 125
  // bytes or less and MUST NOT be fragmented."
  if (!fin) throw new UsageError("Control frames cannot be fragmented");
  if (payload.length > 125) {
    throw new UsageError(
      `Control frame payload too long: ${payload.length} bytes`,
    );
  }
}

function checkCloseBody(payload: Uint8Array): void {
  if (payload.length === 0) return;
  if (payload.length === 1) {
    throw new UsageError("Invalid close frame: 1-byte body");
  }
  const code = (payload[0] << 8) | payload[1];
  if (!isValidCloseCode(code)) {
    throw new UsageError(`Invalid close code: ${code}`);
  }
  if (!isValidUtf8(payload.subarray(2))) {
    throw new UsageError("Invalid close reason: not UTF-8");
  }
}
