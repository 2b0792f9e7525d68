/**
 * Internal: the header fields the server's opening handshake reads, found
 * by name in the request's field lines without making strings of the
 * names (RFC 9110 §5.1: field names are case-insensitive).
 *
 * @module
 */

/**
 * `text` with A–Z in lower case, each character where it was (a request
 * read by the reader is ASCII; `toLowerCase()` may lengthen other text).
 *
 * @example
 * ```ts
 * import { asciiLowerCase } from "./_handshake_fields.ts";
 * console.log(asciiLowerCase("Upgrade: WebSocket")); // "upgrade: websocket"
 * ```
 */
export function asciiLowerCase(text: string): string {
  const lower = text.toLowerCase();
  return lower.length === text.length
    ? lower
    : text.replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/**
 * The header fields the handshake reads, by a number.
 *
 * @example
 * ```ts
 * import { Field, fieldOf } from "./_handshake_fields.ts";
 * console.log(fieldOf("host: a", 0, 4) === Field.Host); // true
 * ```
 */
export const Field = Object.freeze(
  {
    Other: 0,
    Host: 1,
    Origin: 2,
    Upgrade: 3,
    Connection: 4,
    ContentLength: 5,
    Key: 6,
    TransferEncoding: 7,
    Version: 8,
    Protocol: 9,
    Extensions: 10,
  } as const,
);
export type Field = typeof Field[keyof typeof Field];

/**
 * Which field the name `lower[start..end)` is: `lower` is the field lines
 * in lower case (names are case-insensitive, RFC 9110 §5.1). Compared in
 * place, without making a string of the name.
 *
 * @example
 * ```ts
 * import { Field, fieldOf } from "./_handshake_fields.ts";
 * const lower = "sec-websocket-key: dghlihnhbxbszsbub25jzq==";
 * console.log(fieldOf(lower, 0, lower.indexOf(":")) === Field.Key); // true
 * ```
 */
export function fieldOf(lower: string, start: number, end: number): Field {
  switch (end - start) {
    case 4:
      return lower.startsWith("host", start) ? Field.Host : Field.Other;
    case 6:
      return lower.startsWith("origin", start) ? Field.Origin : Field.Other;
    case 7:
      return lower.startsWith("upgrade", start) ? Field.Upgrade : Field.Other;
    case 10:
      return lower.startsWith("connection", start)
        ? Field.Connection
        : Field.Other;
    case 14:
      return lower.startsWith("content-length", start)
        ? Field.ContentLength
        : Field.Other;
    case 17:
      return lower.startsWith("sec-websocket-key", start)
        ? Field.Key
        : lower.startsWith("transfer-encoding", start)
        ? Field.TransferEncoding
        : Field.Other;
    case 21:
      return lower.startsWith("sec-websocket-version", start)
        ? Field.Version
        : Field.Other;
    case 22:
      return lower.startsWith("sec-websocket-protocol", start)
        ? Field.Protocol
        : Field.Other;
    case 24:
      return lower.startsWith("sec-websocket-extensions", start)
        ? Field.Extensions
        : Field.Other;
  }
  return Field.Other;
}
