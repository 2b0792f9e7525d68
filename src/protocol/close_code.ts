/**
 * WebSocket close status codes (RFC 6455 §7.4).
 *
 * @module
 */

/**
 * The close status codes RFC 6455 §7.4.1 defines, plus the IANA-registered
 * 1012-1015.
 *
 * @example
 * ```ts
 * import { CloseCode } from "@anyws/anyws";
 * console.log(CloseCode.MessageTooBig); // 1009
 * ```
 */
export const CloseCode: Readonly<{
  Normal: 1000;
  GoingAway: 1001;
  ProtocolError: 1002;
  UnsupportedData: 1003;
  NoStatus: 1005;
  Abnormal: 1006;
  InvalidPayload: 1007;
  PolicyViolation: 1008;
  MessageTooBig: 1009;
  MandatoryExtension: 1010;
  InternalError: 1011;
  ServiceRestart: 1012;
  TryAgainLater: 1013;
  BadGateway: 1014;
  TlsHandshake: 1015;
}> = Object.freeze(
  {
    /** 1000: normal closure; the purpose of the connection was fulfilled. */
    Normal: 1000,
    /** 1001: an endpoint is going away (server shutdown, page navigation). */
    GoingAway: 1001,
    /** 1002: the peer violated the protocol. */
    ProtocolError: 1002,
    /** 1003: received a type of data it cannot accept. */
    UnsupportedData: 1003,
    /** 1005: reserved; reports that a close frame carried no status code. Never sent. */
    NoStatus: 1005,
    /** 1006: reserved; reports an abnormal closure (no close frame). Never sent. */
    Abnormal: 1006,
    /** 1007: message data inconsistent with its type (invalid UTF-8 in text). */
    InvalidPayload: 1007,
    /** 1008: a message violates the endpoint's policy. */
    PolicyViolation: 1008,
    /** 1009: a message is too big to accept. */
    MessageTooBig: 1009,
    /** 1010: the client expected the server to negotiate an extension. */
    MandatoryExtension: 1010,
    /** 1011: the server hit an unexpected condition. */
    InternalError: 1011,
    /** 1012: the service is restarting. */
    ServiceRestart: 1012,
    /** 1013: try again later (temporary overload). */
    TryAgainLater: 1013,
    /** 1014: a gateway or proxy received an invalid upstream response. */
    BadGateway: 1014,
    /** 1015: reserved; reports a TLS handshake failure. Never sent. */
    TlsHandshake: 1015,
  } as const,
);

/**
 * One of the {@link CloseCode} values.
 *
 * @example
 * ```ts
 * import { CloseCode } from "@anyws/anyws";
 * const code: CloseCode = CloseCode.Normal;
 * ```
 */
export type CloseCode = typeof CloseCode[keyof typeof CloseCode];

/**
 * Whether `code` may appear in a close frame on the wire, received or sent
 * (so also what an application may pass to `close()`): 1000-1003,
 * 1007-1014 and 3000-4999. Everything else (0-999, 1004-1006, 1015,
 * 1016-2999, 5000 and above, non-integers) is invalid, and receiving it
 * fails the connection with 1002.
 *
 * RFC 6455 §7.4.1: 1005, 1006 and 1015 "MUST NOT be set as a status code in
 * a Close control frame by an endpoint"; §7.4.2: "0-999: Status codes in the
 * range 0-999 are not used"; 1000-2999 are reserved for the protocol and its
 * extensions (only the registered ones are meaningful); 3000-3999 are for
 * libraries and frameworks; 4000-4999 for private use.
 *
 * @example
 * ```ts
 * import { isValidCloseCode } from "@anyws/anyws/protocol";
 * console.log(isValidCloseCode(1000)); // true
 * console.log(isValidCloseCode(1005)); // false
 * console.log(isValidCloseCode(4000)); // true
 * ```
 */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  return (code >= 1000 && code <= 1003) ||
    (code >= 1007 && code <= 1014) ||
    (code >= 3000 && code <= 4999);
}
