/**
 * The keys of the opening handshake (RFC 6455 §4.1, §4.2.2): a client's
 * random `Sec-WebSocket-Key` and the server's `Sec-WebSocket-Accept` for it.
 *
 * @module
 */

import { sha1 } from "./sha1.ts";

// RFC 6455 §1.3: the GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11".
const GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";

const encoder = new TextEncoder();

// RFC 4648 §4: the base64 alphabet.
const ALPHABET =
  "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/** RFC 4648 §4 base64, with "=" padding. */
function base64(bytes: Uint8Array): string {
  let text = "";
  const n = bytes.length;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const triple = bytes[i] << 16 | bytes[i + 1] << 8 | bytes[i + 2];
    text += ALPHABET[triple >> 18] + ALPHABET[triple >> 12 & 63] +
      ALPHABET[triple >> 6 & 63] + ALPHABET[triple & 63];
  }
  if (i + 1 === n) {
    const b = bytes[i];
    text += ALPHABET[b >> 2] + ALPHABET[b << 4 & 63] + "==";
  } else if (i + 2 === n) {
    const pair = bytes[i] << 8 | bytes[i + 1];
    text += ALPHABET[pair >> 10] + ALPHABET[pair >> 4 & 63] +
      ALPHABET[pair << 2 & 63] + "=";
  }
  return text;
}

/** `text` as bytes: one per character when it is ASCII, else UTF-8. */
function bytesOf(text: string): Uint8Array {
  const n = text.length;
  const bytes = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return encoder.encode(text);
    bytes[i] = c;
  }
  return bytes;
}

/**
 * Computes the `Sec-WebSocket-Accept` value for a `Sec-WebSocket-Key`
 * (RFC 6455 §4.2.2: base64 of the SHA-1 of the key concatenated with the
 * GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"), synchronously (`sha1.ts`:
 * no round trip through Web Crypto's asynchronous digest per handshake).
 *
 * @param key The client's `Sec-WebSocket-Key`, as received.
 * @returns The 28-character base64 accept value.
 *
 * @example
 * ```ts
 * import { computeAcceptKey } from "./accept_key.ts";
 * computeAcceptKey("dGhlIHNhbXBsZSBub25jZQ=="); // "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
 * ```
 */
export function computeAcceptKey(key: string): string {
  return base64(sha1(bytesOf(key + GUID)));
}

/**
 * Generates a random `Sec-WebSocket-Key` for a client handshake (RFC 6455
 * §4.1: "a randomly selected 16-byte value that has been base64-encoded").
 *
 * @returns 24 base64 characters.
 *
 * @example
 * ```ts
 * import { computeAcceptKey, generateKey } from "./accept_key.ts";
 * const key = generateKey();
 * const expected = computeAcceptKey(key);
 * ```
 */
export function generateKey(): string {
  return base64(crypto.getRandomValues(new Uint8Array(16)));
}
