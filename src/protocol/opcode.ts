/**
 * WebSocket frame opcodes (RFC 6455 §5.2, §11.8).
 *
 * @module
 */

/**
 * The opcodes RFC 6455 defines.
 *
 * RFC 6455 §5.2: "Opcode: 4 bits. Defines the interpretation of the
 * 'Payload data'. If an unknown opcode is received, the receiving endpoint
 * MUST _Fail the WebSocket Connection_."
 *
 * @example
 * ```ts
 * import { Opcode } from "@anyws/anyws/protocol";
 * console.log(Opcode.Text); // 1
 * ```
 */
export const Opcode: Readonly<{
  Continuation: 0;
  Text: 1;
  Binary: 2;
  Close: 8;
  Ping: 9;
  Pong: 10;
}> = Object.freeze(
  {
    /** %x0 denotes a continuation frame. */
    Continuation: 0x0,
    /** %x1 denotes a text frame. */
    Text: 0x1,
    /** %x2 denotes a binary frame. */
    Binary: 0x2,
    /** %x8 denotes a connection close. */
    Close: 0x8,
    /** %x9 denotes a ping. */
    Ping: 0x9,
    /** %xA denotes a pong. */
    Pong: 0xa,
  } as const,
);

/**
 * One of the {@link Opcode} values.
 *
 * @example
 * ```ts
 * import { Opcode } from "@anyws/anyws/protocol";
 * const op: Opcode = Opcode.Binary;
 * ```
 */
export type Opcode = typeof Opcode[keyof typeof Opcode];

/**
 * Whether `opcode` denotes a control frame.
 *
 * RFC 6455 §5.5: "Control frames are identified by opcodes where the most
 * significant bit of the opcode is 1." (0x8-0xF, known or not).
 *
 * @example
 * ```ts
 * import { isControl, Opcode } from "@anyws/anyws/protocol";
 * console.log(isControl(Opcode.Ping)); // true
 * console.log(isControl(Opcode.Text)); // false
 * ```
 */
export function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/**
 * Whether `opcode` is one RFC 6455 defines (0x0-0x2, 0x8-0xA). The others
 * (0x3-0x7 reserved for further non-control frames, 0xB-0xF reserved for
 * further control frames) fail the connection when received.
 *
 * @example
 * ```ts
 * import { isKnownOpcode } from "@anyws/anyws/protocol";
 * console.log(isKnownOpcode(0x2)); // true
 * console.log(isKnownOpcode(0x3)); // false
 * ```
 */
export function isKnownOpcode(opcode: number): boolean {
  return (opcode >= 0x0 && opcode <= 0x2) || (opcode >= 0x8 && opcode <= 0xa);
}
