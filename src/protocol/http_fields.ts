/**
 * HTTP field syntax shared by the request reader and the handshakes:
 * tokens (RFC 9110 §5.6.2), comma-separated lists (§5.6.1) and the `Host`
 * field (§7.2, RFC 9112 §3.2).
 *
 * @module
 */

import type { HttpRequest } from "./http_request.ts";

// RFC 9110 §5.6.2: tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" /
// "-" / "." / "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
// A frozen table (module state may not change): TCHAR[c] for c < 128.
export const TCHAR: readonly boolean[] = /* @__PURE__ */ Object.freeze(
  Array.from(
    { length: 128 },
    (_, c) =>
      (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) || "!#$%&'*+-.^_`|~".includes(
        String.fromCharCode(c),
      ),
  ),
);

/**
 * Whether `value` is an HTTP token (RFC 9110 §5.6.2: `token = 1*tchar`), the
 * syntax of methods, header field names, WebSocket subprotocols and
 * extension names.
 *
 * @example
 * ```ts
 * import { isToken } from "./http_fields.ts";
 * isToken("chat.v2"); // true
 * isToken("two words"); // false
 * isToken(""); // false
 * ```
 */
export function isToken(value: string): boolean {
  const length = value.length;
  if (length === 0) return false;
  for (let i = 0; i < length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 128 || !TCHAR[c]) return false;
  }
  return true;
}

// RFC 9110 §7.2: Host = uri-host [ ":" port ]; uri-host = IP-literal /
// IPv4address / reg-name (RFC 3986 §3.2.2).
const HOST =
  /^(?:\[[0-9A-Fa-f:.]+\]|\[v[0-9A-Fa-f]+\.[A-Za-z0-9\-._~!$&'()*+,;=:]+\]|[A-Za-z0-9\-._~!$&'()*+,;=%]+)(?::[0-9]*)?$/;

/**
 * Whether `value` is a valid, non-empty `Host` field value (RFC 9110 §7.2).
 *
 * @example
 * ```ts
 * import { isValidHost } from "./http_fields.ts";
 * console.log(isValidHost("example.com:8080"), isValidHost("a b")); // true false
 * ```
 */
export function isValidHost(value: string): boolean {
  return HOST.test(value);
}

/**
 * What is wrong with the `Host` field of `request`, or `undefined`. RFC 9112
 * §3.2: "A server MUST respond with a 400 (Bad Request) status code to any
 * HTTP/1.1 request message that lacks a Host header field and to any
 * request message that contains more than one Host header field line or a
 * Host header field with an invalid field value."
 *
 * @example
 * ```ts
 * import { hostProblem } from "./http_fields.ts";
 * import { RequestHeadReader } from "./request_head_reader.ts";
 * const result = new RequestHeadReader().push(new TextEncoder().encode("GET / HTTP/1.1\r\n\r\n"));
 * if (result.state === "complete") console.log(hostProblem(result.request)); // "Missing header: Host"
 * ```
 */
export function hostProblem(request: HttpRequest): string | undefined {
  let host: string | undefined;
  for (const [name, value] of request.rawHeaders) {
    if (name.length !== 4 || name.toLowerCase() !== "host") continue;
    if (host !== undefined) return "Duplicate header: Host";
    host = value;
  }
  if (host === undefined) {
    return request.version === "1.0" ? undefined : "Missing header: Host";
  }
  return isValidHost(host) ? undefined : "Invalid Host header";
}

// Splits a comma-separated list (RFC 9110 §5.6.1), trimming OWS and
// dropping empty elements ("a recipient MUST parse and ignore a reasonable
// number of empty list elements").
/**
 * The elements of a comma-separated header value (RFC 9110 §5.6.1), OWS
 * trimmed, empty elements dropped.
 *
 * @example
 * ```ts
 * import { listElements } from "./http_fields.ts";
 * console.log(listElements("a, ,b")); // ["a", "b"]
 * ```
 */
export function listElements(value: string): string[] {
  const out: string[] = [];
  const parts = value.split(",");
  for (let i = 0; i < parts.length; i++) {
    const element = parts[i].replace(/^[ \t]+|[ \t]+$/g, "");
    if (element !== "") out.push(element);
  }
  return out;
}

/**
 * Whether the comma-separated header value `value` has the element `token`
 * (`token` in lower case; compared ASCII case-insensitively).
 *
 * @example
 * ```ts
 * import { listHasToken } from "./http_fields.ts";
 * console.log(listHasToken("keep-alive, Upgrade", "upgrade")); // true
 * ```
 */
export function listHasToken(value: string | null, token: string): boolean {
  if (value === null) return false;
  // The usual one-element list, without splitting it.
  if (value.length === token.length) return value.toLowerCase() === token;
  const elements = listElements(value);
  for (let i = 0; i < elements.length; i++) {
    if (elements[i].toLowerCase() === token) return true;
  }
  return false;
}
