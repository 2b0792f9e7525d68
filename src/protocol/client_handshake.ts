/**
 * The RFC 6455 opening handshake, client side: checking the server's 101
 * answer against what the client offered (§4.1).
 *
 * @module
 */

import { type ExtensionOffer, parseExtensions } from "./extensions.ts";
import { listHasToken } from "./http_fields.ts";

/**
 * What the client offered, to check the server's 101 response against.
 *
 * @example
 * ```ts
 * import type { AcceptResponseOptions } from "./client_handshake.ts";
 * const options: AcceptResponseOptions = {
 *   accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 *   protocols: ["chat"],
 *   extensions: ["permessage-deflate"],
 * };
 * ```
 */
export interface AcceptResponseOptions {
  /** The expected accept value: `computeAcceptKey(key)`. */
  accept: string;
  /** The subprotocols offered, if any. */
  protocols?: readonly string[];
  /** The names of the extensions offered, if any. */
  extensions?: readonly string[];
}

/**
 * The answer of {@link validateAcceptResponse}.
 *
 * @example
 * ```ts
 * import type { AcceptResponseValidation } from "./client_handshake.ts";
 * function protocolOf(validation: AcceptResponseValidation): string | undefined {
 *   return validation.ok ? validation.protocol : undefined;
 * }
 * ```
 */
export type AcceptResponseValidation =
  | { ok: true; protocol: string | undefined; extensions: ExtensionOffer[] }
  | { ok: false; message: string };

/**
 * Client side: checks a server's response to an opening handshake (RFC 6455
 * §4.1, "the client MUST validate the server's response as follows"):
 * status 101, `Upgrade: websocket`, `Connection: Upgrade`, the expected
 * `Sec-WebSocket-Accept`, and only offered subprotocols and extensions.
 *
 * @param response The status and headers of the response.
 * @param options What was offered and the expected accept value.
 *
 * @example
 * ```ts
 * import { validateAcceptResponse } from "./client_handshake.ts";
 * const result = validateAcceptResponse(
 *   {
 *     status: 101,
 *     headers: new Headers({
 *       Upgrade: "websocket",
 *       Connection: "Upgrade",
 *       "Sec-WebSocket-Accept": "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
 *     }),
 *   },
 *   { accept: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=" },
 * );
 * console.log(result.ok); // true
 * ```
 */
export function validateAcceptResponse(
  response: { status: number; headers: Headers },
  options: AcceptResponseOptions,
): AcceptResponseValidation {
  const headers = response.headers;
  // RFC 6455 §4.1: "If the status code received from the server is not 101,
  // the client handles the response per HTTP [RFC2616] procedures."
  if (response.status !== 101) {
    return {
      ok: false,
      message: `Unexpected response status: ${response.status}`,
    };
  }
  // "If the response lacks an |Upgrade| header field or the |Upgrade| header
  // field contains a value that is not an ASCII case-insensitive match for
  // the value "websocket", the client MUST _Fail the WebSocket Connection_."
  const upgrade = headers.get("upgrade");
  if (upgrade === null || upgrade.trim().toLowerCase() !== "websocket") {
    return { ok: false, message: "Missing or invalid header: Upgrade" };
  }
  // "If the response lacks a |Connection| header field or the |Connection|
  // header field doesn't contain a token that is an ASCII case-insensitive
  // match for the value "Upgrade", the client MUST _Fail the WebSocket
  // Connection_."
  if (!listHasToken(headers.get("connection"), "upgrade")) {
    return { ok: false, message: "Missing or invalid header: Connection" };
  }
  // "If the response lacks a |Sec-WebSocket-Accept| header field or the
  // |Sec-WebSocket-Accept| contains a value other than the base64-encoded
  // SHA-1 of the concatenation of the |Sec-WebSocket-Key| ... with the
  // string "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" ... the client MUST _Fail
  // the WebSocket Connection_."
  if (headers.get("sec-websocket-accept") !== options.accept) {
    return {
      ok: false,
      message: "Missing or invalid header: Sec-WebSocket-Accept",
    };
  }
  // "If the response includes a |Sec-WebSocket-Extensions| header field and
  // this header field indicates the use of an extension that was not present
  // in the client's handshake ..., the client MUST _Fail the WebSocket
  // Connection_."
  let extensions: ExtensionOffer[] = [];
  const extensionHeader = headers.get("sec-websocket-extensions");
  if (extensionHeader !== null) {
    const parsed = parseExtensions(extensionHeader);
    if (parsed === null) {
      return { ok: false, message: "Invalid header: Sec-WebSocket-Extensions" };
    }
    const offered = options.extensions ?? [];
    for (const extension of parsed) {
      if (!offered.includes(extension.name)) {
        return {
          ok: false,
          message: `Unexpected extension: ${extension.name}`,
        };
      }
    }
    extensions = parsed;
  }
  // "If the response includes a |Sec-WebSocket-Protocol| header field and
  // this header field indicates the use of a subprotocol that was not
  // present in the client's handshake ..., the client MUST _Fail the
  // WebSocket Connection_."
  const protocol = headers.get("sec-websocket-protocol");
  if (protocol !== null && !(options.protocols ?? []).includes(protocol)) {
    return { ok: false, message: `Unexpected subprotocol: ${protocol}` };
  }
  return { ok: true, protocol: protocol ?? undefined, extensions };
}
