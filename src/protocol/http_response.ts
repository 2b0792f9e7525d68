/**
 * Builders for the HTTP/1.1 responses a WebSocket server sends before the
 * protocol switch: the 101 that accepts the handshake (RFC 6455 §4.2.2) and
 * the plain-text error responses that refuse it. Both return the exact bytes
 * to write. Extra header names and values are checked, so that a caller's
 * value can never inject a CR LF into the response.
 *
 * @module
 */

import { isToken } from "./http_fields.ts";

// RFC 9110 §15 (plus RFC 6585 for 428, 429, 431, 511 and RFC 7725 for 451).
const REASONS: Readonly<Record<number, string>> = Object.freeze({
  100: "Continue",
  101: "Switching Protocols",
  200: "OK",
  201: "Created",
  202: "Accepted",
  203: "Non-Authoritative Information",
  204: "No Content",
  205: "Reset Content",
  206: "Partial Content",
  300: "Multiple Choices",
  301: "Moved Permanently",
  302: "Found",
  303: "See Other",
  304: "Not Modified",
  305: "Use Proxy",
  307: "Temporary Redirect",
  308: "Permanent Redirect",
  400: "Bad Request",
  401: "Unauthorized",
  402: "Payment Required",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  407: "Proxy Authentication Required",
  408: "Request Timeout",
  409: "Conflict",
  410: "Gone",
  411: "Length Required",
  412: "Precondition Failed",
  413: "Content Too Large",
  414: "URI Too Long",
  415: "Unsupported Media Type",
  416: "Range Not Satisfiable",
  417: "Expectation Failed",
  421: "Misdirected Request",
  422: "Unprocessable Content",
  426: "Upgrade Required",
  428: "Precondition Required",
  429: "Too Many Requests",
  431: "Request Header Fields Too Large",
  451: "Unavailable For Legal Reasons",
  500: "Internal Server Error",
  501: "Not Implemented",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
  505: "HTTP Version Not Supported",
  511: "Network Authentication Required",
});

/**
 * The reason phrase of an HTTP status code (RFC 9110 §15), or `""` for a
 * code without a registered phrase (RFC 9112 §4 allows an empty one).
 *
 * @example
 * ```ts
 * import { statusText } from "./http_response.ts";
 * statusText(426); // "Upgrade Required"
 * statusText(299); // ""
 * ```
 */
export function statusText(status: number): string {
  return Object.hasOwn(REASONS, status) ? REASONS[status] : "";
}

const encoder = new TextEncoder();

// RFC 9110 §5.5: field-value = *field-content, made of VCHAR, SP and HTAB
// (obs-text refused). Anything else, CR and LF above all, is refused.
function checkValue(name: string, value: string): string {
  const trimmed = value.replace(/^[ \t]+|[ \t]+$/g, "");
  for (let i = 0; i < trimmed.length; i++) {
    const c = trimmed.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c >= 0x7f) {
      throw new TypeError(`Invalid header value: ${name}`);
    }
  }
  return trimmed;
}

function entries(init: HeadersInit | undefined): Array<[string, string]> {
  if (init === undefined) return [];
  const out: Array<[string, string]> = [];
  const iterable = init as Iterable<readonly string[]>;
  if (typeof iterable[Symbol.iterator] === "function") {
    for (const pair of iterable) {
      if (pair.length !== 2) {
        throw new TypeError("Invalid header pair: expected [name, value]");
      }
      out.push([pair[0], pair[1]]);
    }
  } else {
    for (const name of Object.keys(init)) {
      out.push([name, (init as Record<string, string>)[name]]);
    }
  }
  for (const pair of out) {
    if (typeof pair[0] !== "string" || !isToken(pair[0])) {
      throw new TypeError(`Invalid header name: ${JSON.stringify(pair[0])}`);
    }
    pair[1] = checkValue(pair[0], String(pair[1]));
  }
  return out;
}

function encode(head: string, body?: Uint8Array): Uint8Array {
  // The head is ASCII only (checked above), one byte per character: copied
  // by a loop, cheaper than a call into the encoder for a short head.
  const n = head.length;
  const out = new Uint8Array(n + (body === undefined ? 0 : body.length));
  for (let i = 0; i < n; i++) out[i] = head.charCodeAt(i);
  if (body !== undefined && body.length > 0) out.set(body, n);
  return out;
}

const RESERVED_IN_101: readonly string[] = Object.freeze([
  "upgrade",
  "connection",
  "sec-websocket-accept",
  "sec-websocket-protocol",
  "sec-websocket-extensions",
  "content-length",
  "transfer-encoding",
]);

// RFC 6455 §4.2.2: the accept value is a base64 SHA-1 digest (20 bytes).
const ACCEPT = /^[A-Za-z0-9+/]{27}=$/;

/**
 * Options of {@link buildAcceptResponse}.
 *
 * @example
 * ```ts
 * import type { AcceptResponseInit } from "./http_response.ts";
 * const init: AcceptResponseInit = { protocol: "chat", headers: { "Set-Cookie": "id=1" } };
 * ```
 */
export interface AcceptResponseInit {
  /** The selected subprotocol, sent as `Sec-WebSocket-Protocol`. */
  protocol?: string;
  /** The accepted extensions, sent as `Sec-WebSocket-Extensions`. */
  extensions?: string;
  /**
   * Extra headers, written after the WebSocket ones, in order and with the
   * names' case kept (a `Headers` object lower-cases them). Throws a
   * `TypeError` for an invalid name or value, or for a header this function
   * writes itself.
   */
  headers?: HeadersInit;
}

/**
 * Builds the `101 Switching Protocols` response that completes the opening
 * handshake (RFC 6455 §4.2.2).
 *
 * @param accept The `Sec-WebSocket-Accept` value from `computeAcceptKey`.
 * @param options The selected subprotocol and extensions, and extra headers.
 * @returns The response bytes, ready to write. Throws a `TypeError` for an
 * invalid accept value, subprotocol, extension value or extra header.
 *
 * @example
 * ```ts
 * import { buildAcceptResponse } from "./http_response.ts";
 * const bytes = buildAcceptResponse("s3pPLMBiTxaQ9kYGzzhZRbK+xOo=", { protocol: "chat" });
 * new TextDecoder().decode(bytes);
 * // "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
 * // "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n"
 * ```
 */
export function buildAcceptResponse(
  accept: string,
  options: AcceptResponseInit = {},
): Uint8Array {
  if (!ACCEPT.test(accept)) {
    throw new TypeError("Invalid Sec-WebSocket-Accept value");
  }
  // RFC 6455 §4.2.2: "HTTP/1.1 101 Switching Protocols", "an |Upgrade|
  // header field with value "websocket"", "a |Connection| header field with
  // value "Upgrade"", "a |Sec-WebSocket-Accept| header field".
  let head =
    "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
    "Sec-WebSocket-Accept: " + accept + "\r\n";
  const { protocol, extensions, headers } = options;
  if (protocol !== undefined) {
    // RFC 6455 §4.2.2: the selected subprotocol is one the client offered,
    // so it is a token.
    if (!isToken(protocol)) {
      throw new TypeError(`Invalid subprotocol: ${JSON.stringify(protocol)}`);
    }
    head += "Sec-WebSocket-Protocol: " + protocol + "\r\n";
  }
  if (extensions !== undefined && extensions !== "") {
    head += "Sec-WebSocket-Extensions: " +
      checkValue("Sec-WebSocket-Extensions", extensions) +
      "\r\n";
  }
  if (headers !== undefined) {
    for (const [name, value] of entries(headers)) {
      if (RESERVED_IN_101.includes(name.toLowerCase())) {
        throw new TypeError(`Reserved header in 101 response: ${name}`);
      }
      head += name + ": " + value + "\r\n";
    }
  }
  return encode(head + "\r\n");
}

/**
 * Options of {@link buildErrorResponse}.
 *
 * @example
 * ```ts
 * import type { ErrorResponseInit } from "./http_response.ts";
 * const init: ErrorResponseInit = { body: "Origin not allowed", headers: { "Retry-After": "5" } };
 * ```
 */
export interface ErrorResponseInit {
  /** The body, sent as UTF-8. Defaults to the reason phrase. */
  body?: string;
  /**
   * Extra headers, written after the standard ones, in order and with the
   * names' case kept. `Content-Type` replaces the default
   * `text/plain; charset=utf-8`; `Connection` tokens are sent along with
   * `close`. Throws a `TypeError` for an invalid name or value, or for
   * `Content-Length` and `Transfer-Encoding`.
   */
  headers?: HeadersInit;
}

/**
 * Builds a complete HTTP/1.1 response that refuses a request, with a
 * plain-text body and `Connection: close`: the server closes the connection
 * once it is written.
 *
 * @param status A status from 200 to 599 that allows a body (not 204, 205
 * or 304); throws a `RangeError` otherwise.
 * @param options The body and extra headers.
 * @returns The response bytes, ready to write.
 *
 * @example
 * ```ts
 * import { buildErrorResponse } from "./http_response.ts";
 * const bytes = buildErrorResponse(400, { body: "Missing header: Host" });
 * new TextDecoder().decode(bytes);
 * // "HTTP/1.1 400 Bad Request\r\nConnection: close\r\n" +
 * // "Content-Type: text/plain; charset=utf-8\r\nContent-Length: 20\r\n\r\nMissing header: Host"
 * ```
 */
export function buildErrorResponse(
  status: number,
  options: ErrorResponseInit = {},
): Uint8Array {
  // RFC 9110 §6.4.1: 1xx, 204 and 304 responses have no content; 205 must
  // not generate any either (§15.3.6).
  if (
    !Number.isInteger(status) || status < 200 || status > 599 ||
    status === 204 ||
    status === 205 || status === 304
  ) {
    throw new RangeError(`Invalid status code: ${status}`);
  }
  const reason = statusText(status);
  const body = encoder.encode(options.body ?? reason);
  const connection: string[] = [];
  let contentType = "text/plain; charset=utf-8";
  let extra = "";
  for (const [name, value] of entries(options.headers)) {
    const lower = name.toLowerCase();
    if (lower === "content-length" || lower === "transfer-encoding") {
      throw new TypeError(`Reserved header in error response: ${name}`);
    } else if (lower === "content-type") {
      contentType = value;
    } else if (lower === "connection") {
      for (const token of value.split(",")) {
        const trimmed = token.trim();
        if (trimmed !== "" && trimmed.toLowerCase() !== "close") {
          connection.push(trimmed);
        }
      }
    } else {
      extra += name + ": " + value + "\r\n";
    }
  }
  connection.push("close");
  const head = "HTTP/1.1 " + status + " " + reason + "\r\nConnection: " +
    connection.join(", ") +
    "\r\nContent-Type: " + contentType + "\r\nContent-Length: " + body.length +
    "\r\n" + extra +
    "\r\n";
  return encode(head, body);
}

/**
 * Serializes a Web `Response` (status, headers, body) as an HTTP/1.1
 * response that closes the connection. `Content-Length` and `Connection`
 * are set here; `Transfer-Encoding` from the response is dropped, since the
 * body is sent whole. With `head`, the body is left out (RFC 9110 §9.3.2).
 *
 * @example
 * ```ts
 * import { serializeResponse } from "./http_response.ts";
 * const bytes = await serializeResponse(new Response("ok", { status: 200 }));
 * console.log(new TextDecoder().decode(bytes).split("\r\n")[0]); // "HTTP/1.1 200 OK"
 * ```
 */
export async function serializeResponse(
  response: Response,
  options: { head?: boolean } = {},
): Promise<Uint8Array> {
  const { status } = response;
  if (!Number.isInteger(status) || status < 200 || status > 599) {
    throw new RangeError(`Invalid status code: ${status}`);
  }
  const body = new Uint8Array(await response.arrayBuffer());
  // RFC 9110 §6.4.1: 204 and 304 responses have no content.
  const bodyless = status === 204 || status === 304;
  let head = "HTTP/1.1 " + status + " " +
    (response.statusText || statusText(status)) + "\r\n";
  for (const [name, value] of response.headers) {
    const lower = name.toLowerCase();
    if (
      lower === "content-length" || lower === "connection" ||
      lower === "transfer-encoding" || lower === "keep-alive"
    ) continue;
    head += name + ": " + checkValue(name, value) + "\r\n";
  }
  if (!bodyless) head += "Content-Length: " + body.length + "\r\n";
  head += "Connection: close\r\n\r\n";
  return options.head || bodyless ? encode(head) : encode(head, body);
}
