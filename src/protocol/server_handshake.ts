/**
 * The RFC 6455 opening handshake, server side: is a request a WebSocket
 * upgrade, is it a valid one (§4.2.1), and which subprotocol to answer
 * with (§4.2.2).
 *
 * Statuses answered by {@link validateUpgrade} (checked in this order):
 *
 * | Condition                                                     | Status |
 * | ------------------------------------------------------------- | ------ |
 * | HTTP major version other than 1                               | 505    |
 * | HTTP/1.0 (RFC 6455 §4.2.1 wants "HTTP/1.1 or higher")         | 400    |
 * | Method other than GET                                         | 405 + `Allow: GET` |
 * | Target neither origin-form nor an absolute http(s)/ws(s) URI  | 400    |
 * | `Host`, `Origin`, `Sec-WebSocket-Key` or `Sec-WebSocket-Version` repeated | 400 |
 * | `Host` missing, empty or malformed                            | 400    |
 * | `Upgrade` without the `websocket` token                       | 400    |
 * | `Connection` without the `upgrade` token                      | 400    |
 * | `Transfer-Encoding`, or `Content-Length` other than 0         | 400    |
 * | `Sec-WebSocket-Version` missing                               | 400 + `Sec-WebSocket-Version: 13` |
 * | `Sec-WebSocket-Version` other than `13`                       | 426 + `Sec-WebSocket-Version: 13`, `Upgrade: websocket`, `Connection: Upgrade` |
 * | `Sec-WebSocket-Key` missing or not 16 bytes in base64         | 400    |
 * | `Sec-WebSocket-Protocol` with a non-token or repeated element | 400    |
 * | `Sec-WebSocket-Extensions` not matching the §9.1 grammar      | 400    |
 *
 * Header fields are read line by line (`fieldText`: the text a
 * `RequestHeadReader` keeps, or `request.rawHeaders`), so repeated fields
 * are seen; `request.headers` is not consulted. Syntax errors of the head itself
 * (400, 414, 431, 505) are answered earlier, by `RequestHeadReader`.
 *
 * @module
 */

import type { ExtensionOffer } from "./extensions.ts";
import { parseExtensions } from "./extensions.ts";
import { listElements, listHasToken } from "./http_fields.ts";
import { isToken, isValidHost } from "./http_fields.ts";
import { fieldText, type HttpRequest } from "./http_request.ts";
import { trimOws } from "./_head_scanner.ts";
import { asciiLowerCase, Field, fieldOf } from "./_handshake_fields.ts";

/**
 * What a valid upgrade request asks for.
 *
 * @example
 * ```ts
 * import type { UpgradeRequest } from "./server_handshake.ts";
 * function describe(upgrade: UpgradeRequest): string {
 *   return `${upgrade.host} from ${upgrade.origin ?? "no origin"}: ${upgrade.protocols.join(", ")}`;
 * }
 * ```
 */
export interface UpgradeRequest {
  /** The `Sec-WebSocket-Key`, to feed to {@link computeAcceptKey}. */
  key: string;
  /** `Sec-WebSocket-Protocol` tokens, in the client's order of preference. */
  protocols: string[];
  /**
   * `Sec-WebSocket-Extensions` offers, in the client's order. An offer that
   * repeats a parameter name is left out, that is, declined (RFC 7692 §7
   * requires declining such a permessage-deflate offer; any offer may be
   * declined).
   */
  extensions: ExtensionOffer[];
  /** The `Origin` header, or `null` when absent (non-browser clients). */
  origin: string | null;
  /**
   * The host the client asked for: the `Host` header, or the authority of
   * an absolute-form request-target (RFC 9112 §3.2.2).
   */
  host: string;
}

/**
 * The answer of {@link validateUpgrade}: the upgrade, or the HTTP status,
 * message and extra headers to refuse it with.
 *
 * @example
 * ```ts
 * import type { UpgradeValidation } from "./server_handshake.ts";
 * function statusOf(validation: UpgradeValidation): number {
 *   return validation.ok ? 101 : validation.status;
 * }
 * ```
 */
export type UpgradeValidation =
  | { ok: true; upgrade: UpgradeRequest }
  | {
    ok: false;
    status: number;
    message: string;
    headers?: Record<string, string>;
  };

function refuse(
  status: number,
  message: string,
  headers?: Record<string, string>,
): UpgradeValidation {
  return headers === undefined
    ? { ok: false, status, message }
    : { ok: false, status, message, headers };
}

/**
 * Whether `request` asks to upgrade to WebSocket: an `Upgrade` header field
 * with the `websocket` token (RFC 6455 §4.2.1, ASCII case-insensitive).
 * Other upgrades, such as `h2c`, are not ours to answer: RFC 9110 §7.8
 * lets a server ignore them and serve the request as plain HTTP.
 *
 * @example
 * ```ts
 * import { isWebSocketUpgrade, RequestHeadReader } from "@anyws/anyws/protocol";
 * const result = new RequestHeadReader().push(new TextEncoder().encode(
 *   "GET / HTTP/1.1\r\nHost: a\r\nUpgrade: h2c\r\n\r\n",
 * ));
 * if (result.state === "complete") console.log(isWebSocketUpgrade(result.request)); // false
 * ```
 */
export function isWebSocketUpgrade(request: HttpRequest): boolean {
  const text = fieldText(request);
  const lower = asciiLowerCase(text);
  const length = text.length;
  for (let start = 0; start < length;) {
    let end = lower.indexOf("\r\n", start);
    if (end === -1) end = length;
    const colon = lower.indexOf(":", start);
    if (
      fieldOf(lower, start, colon) === Field.Upgrade &&
      listHasToken(trimOws(lower.slice(colon + 1, end)), "websocket")
    ) return true;
    start = end + 2;
  }
  return false;
}

// RFC 6455 §4.1: the key is "a randomly selected 16-byte value that has been
// base64-encoded": 22 base64 characters and "==".
const KEY = /^[A-Za-z0-9+/]{22}==$/;

const ABSOLUTE_TARGET = /^(?:https?|wss?):\/\/([^/?#]+)/i;

/**
 * Checks an HTTP request against the client handshake rules of RFC 6455
 * §4.2.1 (and RFC 9110/9112 for the HTTP parts), and extracts what the
 * client asked for. See the module documentation for the table of statuses.
 *
 * @param request The parsed request head.
 * @returns `{ ok: true, upgrade }`, or `{ ok: false, status, message,
 * headers? }` to answer with `buildErrorResponse(status, { body: message,
 * headers })`.
 *
 * @example
 * ```ts
 * import { RequestHeadReader } from "./request_head_reader.ts";
 * import { validateUpgrade } from "./server_handshake.ts";
 * const result = new RequestHeadReader().push(new TextEncoder().encode(
 *   "GET /chat HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\n" +
 *     "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n" +
 *     "Sec-WebSocket-Version: 13\r\n\r\n",
 * ));
 * if (result.state === "complete") {
 *   const validation = validateUpgrade(result.request);
 *   console.log(validation.ok); // true
 * }
 * ```
 */
export function validateUpgrade(request: HttpRequest): UpgradeValidation {
  // RFC 6455 §4.2.1: "An HTTP/1.1 or higher GET request".
  const version = /^([0-9]+)\.([0-9]+)$/.exec(request.version);
  if (version === null || version[1] !== "1") {
    return refuse(505, `Unsupported HTTP version: ${request.version}`);
  }
  if (version[2] === "0") return refuse(400, "Unsupported HTTP version: 1.0");
  if (request.method !== "GET") {
    // RFC 9110 §15.5.6: "The origin server MUST generate an Allow header
    // field in a 405 response containing a list of the target resource's
    // currently supported methods."
    return refuse(405, `Method not allowed: ${request.method}`, {
      Allow: "GET",
    });
  }
  // RFC 6455 §4.2.1: a Request-URI "that should be interpreted as a
  // /resource name/ ... (or an absolute HTTP/HTTPS URI containing the
  // /resource name/)".
  const target = request.target;
  let targetHost: string | undefined;
  if (target.charCodeAt(0) !== 0x2f /* "/" */) {
    const absolute = ABSOLUTE_TARGET.exec(target);
    if (absolute === null) return refuse(400, "Invalid request target");
    targetHost = absolute[1];
  }

  // One pass over the field lines (cheaper than Headers lookups, and it
  // sees repeated fields that Headers would combine); only the values read
  // become strings.
  let hosts = 0;
  let origins = 0;
  let keys = 0;
  let versions = 0;
  let host: string | null = null;
  let origin: string | null = null;
  let key: string | null = null;
  let wsVersion: string | null = null;
  let upgrade = false;
  let connection = false;
  let transferEncoding = false;
  let contentLength = true;
  let protocolLines: string[] | undefined;
  let extensionLines: string[] | undefined;
  const text = fieldText(request);
  // Names are matched in a lower-case copy; values are read from the text
  // as received (the key is case-sensitive).
  const lower = asciiLowerCase(text);
  const length = text.length;
  for (let start = 0; start < length;) {
    let end = lower.indexOf("\r\n", start);
    if (end === -1) end = length;
    const colon = lower.indexOf(":", start);
    const field = fieldOf(lower, start, colon);
    const from = colon + 1;
    start = end + 2;
    if (field === Field.Other) continue;
    const value = trimOws(
      field === Field.Upgrade || field === Field.Connection
        ? lower.slice(from, end)
        : text.slice(from, end),
    );
    switch (field) {
      case Field.Host:
        hosts++;
        host = value;
        break;
      case Field.Origin:
        origins++;
        origin = value;
        break;
      case Field.Key:
        keys++;
        key = value;
        break;
      case Field.Version:
        versions++;
        wsVersion = value;
        break;
      case Field.Upgrade:
        // RFC 6455 §4.2.1: "An |Upgrade| header field containing the value
        // "websocket", treated as an ASCII case-insensitive value."
        upgrade ||= listHasToken(value, "websocket");
        break;
      case Field.Connection:
        // RFC 6455 §4.2.1: "A |Connection| header field that includes the
        // token "Upgrade", treated as an ASCII case-insensitive value."
        connection ||= listHasToken(value, "upgrade");
        break;
      case Field.TransferEncoding:
        transferEncoding = true;
        break;
      case Field.ContentLength:
        contentLength &&= /^0(?:[ \t]*,[ \t]*0)*$/.test(value);
        break;
      case Field.Protocol:
        (protocolLines ??= []).push(value);
        break;
      case Field.Extensions:
        (extensionLines ??= []).push(value);
        break;
    }
  }
  // RFC 9112 §3.2: "A server MUST respond with a 400 (Bad Request) status
  // code to any HTTP/1.1 request message that lacks a Host header field and
  // to any request message that contains more than one Host header field
  // line or a Host header field with an invalid field value."
  if (hosts > 1) return refuse(400, "Duplicate header: Host");
  if (origins > 1) return refuse(400, "Duplicate header: Origin");
  if (keys > 1) return refuse(400, "Duplicate header: Sec-WebSocket-Key");
  if (versions > 1) {
    return refuse(400, "Duplicate header: Sec-WebSocket-Version");
  }
  if (host === null) return refuse(400, "Missing header: Host");
  // RFC 6455 §4.1: the Host header "MUST" carry the host, so it may not be
  // empty here.
  if (!isValidHost(host)) return refuse(400, "Invalid Host header");
  if (!upgrade) return refuse(400, "Missing or invalid header: Upgrade");
  if (!connection) return refuse(400, "Missing or invalid header: Connection");
  // The bytes after the head are WebSocket frames: a request that announces
  // a body would make them ambiguous (request smuggling), so refuse it.
  if (transferEncoding) {
    return refuse(400, "Unexpected request body: Transfer-Encoding");
  }
  if (!contentLength) {
    return refuse(400, "Unexpected request body: Content-Length");
  }

  // RFC 6455 §4.2.1: "A |Sec-WebSocket-Version| header field, with a value
  // of 13." §4.4: "If this version does not match a version understood by
  // the server, the server MUST abort the WebSocket handshake ... and
  // instead send an appropriate HTTP error code (such as 426 Upgrade
  // Required) and a |Sec-WebSocket-Version| header field indicating the
  // version(s) the server is capable of understanding."
  if (wsVersion === null) {
    return refuse(400, "Missing header: Sec-WebSocket-Version", {
      "Sec-WebSocket-Version": "13",
    });
  }
  if (wsVersion !== "13") {
    // RFC 9110 §15.5.22: "The server MUST send an Upgrade header field in a
    // 426 response to indicate the required protocol(s)".
    return refuse(426, `Unsupported WebSocket version: ${wsVersion}`, {
      "Sec-WebSocket-Version": "13",
      Upgrade: "websocket",
      Connection: "Upgrade",
    });
  }

  // RFC 6455 §4.2.1: "A |Sec-WebSocket-Key| header field with a
  // base64-encoded value that, when decoded, is 16 bytes in length."
  if (key === null) return refuse(400, "Missing header: Sec-WebSocket-Key");
  if (!KEY.test(key)) return refuse(400, "Invalid header: Sec-WebSocket-Key");

  // RFC 6455 §4.1: the subprotocol elements "MUST be non-empty strings with
  // characters in the range U+0021 to U+007E not including separator
  // characters as defined in [RFC2616] and MUST all be unique strings."
  const protocols: string[] = [];
  for (
    let i = 0;
    protocolLines !== undefined && i < protocolLines.length;
    i++
  ) {
    const elements = listElements(protocolLines[i]);
    for (let j = 0; j < elements.length; j++) {
      const protocol = elements[j];
      if (!isToken(protocol)) {
        return refuse(400, "Invalid header: Sec-WebSocket-Protocol");
      }
      if (protocols.includes(protocol)) {
        return refuse(400, `Duplicate subprotocol: ${protocol}`);
      }
      protocols.push(protocol);
    }
  }

  let extensions: ExtensionOffer[] = [];
  if (extensionLines !== undefined) {
    const parsed = parseExtensions(extensionLines.join(","));
    if (parsed === null) {
      return refuse(400, "Invalid header: Sec-WebSocket-Extensions");
    }
    extensions = parsed;
  }

  return {
    ok: true,
    upgrade: {
      key,
      protocols,
      extensions,
      origin,
      host: targetHost ?? host,
    },
  };
}

/**
 * Picks the subprotocol to answer with: the first protocol in the client's
 * order of preference that the server supports (exact, case-sensitive
 * match), or `undefined` when there is none. RFC 6455 §4.2.2: the server
 * selects "one or none of the acceptable protocols".
 *
 * @param offered The client's `Sec-WebSocket-Protocol` tokens, in order.
 * @param supported The protocols the server speaks.
 *
 * @example
 * ```ts
 * import { selectSubprotocol } from "./server_handshake.ts";
 * selectSubprotocol(["v2.chat", "v1.chat"], ["v1.chat", "v2.chat"]); // "v2.chat"
 * selectSubprotocol(["mqtt"], ["v1.chat"]); // undefined
 * ```
 */
export function selectSubprotocol(
  offered: readonly string[],
  supported: readonly string[],
): string | undefined {
  for (let i = 0; i < offered.length; i++) {
    if (supported.includes(offered[i])) return offered[i];
  }
  return undefined;
}
