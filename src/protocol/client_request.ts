/**
 * The client's opening handshake request (RFC 6455 §4.1): the HTTP/1.1
 * `GET` that asks a server to upgrade, built from a `ws:`/`wss:` URL and
 * the client's offers, with every field checked before a byte is sent.
 *
 * @module
 */

import { UsageError } from "./errors.ts";
import { type ExtensionOffer, formatExtensions } from "./extensions.ts";
import { isToken } from "./http_fields.ts";

/**
 * What goes into an upgrade request besides the URL.
 *
 * @example
 * ```ts
 * import type { UpgradeRequestOptions } from "./client_request.ts";
 * const options: UpgradeRequestOptions = {
 *   key: "dGhlIHNhbXBsZSBub25jZQ==",
 *   protocols: ["chat.v2", "chat.v1"],
 *   origin: "https://example.com",
 *   headers: { Authorization: "Bearer abc" },
 * };
 * ```
 */
export interface UpgradeRequestOptions {
  /** The `Sec-WebSocket-Key`: 16 random bytes, base64 (see `generateKey`). */
  key: string;
  /** Subprotocols to offer, most preferred first: distinct HTTP tokens. */
  protocols?: readonly string[];
  /** Extensions to offer (such as permessage-deflate's offers). */
  extensions?: readonly ExtensionOffer[];
  /** The `Origin` to send, if any (browsers always send one). */
  origin?: string;
  /**
   * Extra header fields, such as `Authorization` or `Cookie`. The fields
   * the handshake itself sets (`Host`, `Upgrade`, `Connection`,
   * `Sec-WebSocket-*`, `Origin`) and the ones that would give the request a
   * body are refused.
   */
  headers?: Readonly<Record<string, string>> | Headers;
}

/**
 * Header fields the request builds itself, or that would make a `GET`
 * carry a body: not accepted in {@link UpgradeRequestOptions.headers}.
 */
const OWN_FIELDS =
  /^(?:host|upgrade|connection|sec-websocket-[a-z]+|origin|content-length|transfer-encoding)$/i;

/**
 * The upgrade request for `url` as bytes ready to write, the request line
 * first. Throws a `UsageError` naming the problem for a URL that is not
 * `ws:`/`wss:` or has a fragment, an invalid or repeated subprotocol, or a
 * header field name or value that is not valid HTTP.
 *
 * @example
 * ```ts
 * import { buildUpgradeRequest } from "./client_request.ts";
 * const bytes = buildUpgradeRequest(new URL("ws://example.com/chat?room=1"), {
 *   key: "dGhlIHNhbXBsZSBub25jZQ==",
 *   protocols: ["chat"],
 * });
 * console.log(new TextDecoder().decode(bytes).split("\r\n")[0]);
 * // GET /chat?room=1 HTTP/1.1
 * ```
 */
export function buildUpgradeRequest(
  url: URL,
  options: UpgradeRequestOptions,
): Uint8Array {
  if (url.protocol !== "ws:" && url.protocol !== "wss:") {
    throw new UsageError(
      `Not a WebSocket URL: ${url.href} (use ws: or wss:)`,
    );
  }
  // RFC 6455 §3: "Fragment identifiers are meaningless in the context of
  // WebSocket URIs and MUST NOT be used on these URIs."
  if (url.hash !== "") {
    throw new UsageError(`A WebSocket URL has no fragment: ${url.href}`);
  }
  // RFC 6455 §4.1, items 2 to 9 of the client's requirements, in order.
  // "The "Request-URI" part of the request MUST match the /resource name/"
  // (path and query); "The request MUST contain a |Host| header field whose
  // value contains /host/ plus optionally ":" followed by /port/ (when not
  // using the default port)" (URL.host leaves a default port out).
  const lines = [
    `GET ${url.pathname || "/"}${url.search} HTTP/1.1`,
    `Host: ${url.host}`,
    "Upgrade: websocket",
    "Connection: Upgrade",
    `Sec-WebSocket-Key: ${options.key}`,
    "Sec-WebSocket-Version: 13",
  ];
  if (options.origin !== undefined) {
    lines.push(`Origin: ${fieldValue("Origin", options.origin)}`);
  }
  const protocols = options.protocols ?? [];
  if (protocols.length > 0) {
    // "|Sec-WebSocket-Protocol| ... one or more comma-separated subprotocol
    // the client wishes to speak ... The elements that comprise this value
    // MUST be non-empty strings with characters in the range U+0021 to
    // U+007E not including separator characters ... and MUST all be unique
    // strings."
    const seen = new Set<string>();
    for (const protocol of protocols) {
      if (!isToken(protocol)) {
        throw new UsageError(
          `Invalid subprotocol: ${
            JSON.stringify(protocol)
          } (must be an HTTP token)`,
        );
      }
      if (seen.has(protocol)) {
        throw new UsageError(`Subprotocol offered twice: ${protocol}`);
      }
      seen.add(protocol);
    }
    lines.push(`Sec-WebSocket-Protocol: ${protocols.join(", ")}`);
  }
  if (options.extensions !== undefined && options.extensions.length > 0) {
    lines.push(
      `Sec-WebSocket-Extensions: ${formatExtensions(options.extensions)}`,
    );
  }
  const extra = options.headers instanceof Headers
    ? [...options.headers]
    : Object.entries(options.headers ?? {});
  for (const [name, value] of extra) {
    if (!isToken(name)) {
      throw new UsageError(
        `Invalid header field name: ${JSON.stringify(name)}`,
      );
    }
    if (OWN_FIELDS.test(name)) {
      throw new UsageError(
        `The ${name} header is set by the handshake (use the client's options)`,
      );
    }
    lines.push(`${name}: ${fieldValue(name, value)}`);
  }
  lines.push("", "");
  return new TextEncoder().encode(lines.join("\r\n"));
}

/**
 * `value` if it is a valid field value (RFC 9110 §5.5: `field-value =
 * *field-content`, spaces and tabs inside, no CR, LF or NUL); throws a
 * `UsageError` otherwise. Only ASCII is sent: RFC 9110 §5.5 keeps other
 * octets (obs-text) for compatibility only, and their meaning is not
 * agreed on.
 */
function fieldValue(name: string, value: string): string {
  if (typeof value !== "string") {
    throw new UsageError(`The ${name} header's value must be a string`);
  }
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c > 0x7e) {
      throw new UsageError(
        `Invalid character in the ${name} header: U+${
          c.toString(16).toUpperCase().padStart(4, "0")
        }`,
      );
    }
  }
  if (value !== value.trim()) {
    throw new UsageError(
      `The ${name} header's value has spaces around it`,
    );
  }
  return value;
}
