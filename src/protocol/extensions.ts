/**
 * The `Sec-WebSocket-Extensions` header grammar (RFC 6455 §9.1): parsing
 * offers and formatting a response. Negotiating a particular extension
 * (permessage-deflate) builds on it.
 *
 * @module
 */

import { isToken } from "./http_fields.ts";

/**
 * One element of a `Sec-WebSocket-Extensions` header: an extension name and
 * its parameters (a parameter without a value maps to `true`). `params` has
 * no prototype, so any parameter name is safe to look up.
 *
 * @example
 * ```ts
 * import type { ExtensionOffer } from "./extensions.ts";
 * const offer: ExtensionOffer = {
 *   name: "permessage-deflate",
 *   params: { client_max_window_bits: true, server_max_window_bits: "10" },
 * };
 * ```
 */
export interface ExtensionOffer {
  /** The extension token, such as `"permessage-deflate"`. */
  name: string;
  /** Parameters by name; `true` for a parameter given without a value. */
  params: Record<string, string | true>;
}

function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/**
 * Parses a `Sec-WebSocket-Extensions` value (RFC 6455 §9.1):
 *
 * ```
 * extension-list = 1#extension
 * extension = extension-token *( ";" extension-param )
 * extension-param = token [ "=" (token | quoted-string) ]
 * ```
 *
 * Whitespace is allowed around `,`, `;` and `=`; empty list elements are
 * ignored. A quoted value must be a token once unescaped (§9.1). An offer
 * that repeats a parameter name is left out of the result (declined).
 *
 * @param value The header value (several header lines joined with ",").
 * @returns The offers in order, or `null` when the value is malformed.
 *
 * @example
 * ```ts
 * import { parseExtensions } from "./extensions.ts";
 * parseExtensions("permessage-deflate; client_max_window_bits, x-foo");
 * // [{ name: "permessage-deflate", params: { client_max_window_bits: true } },
 * //  { name: "x-foo", params: {} }]
 * parseExtensions("bad name"); // null
 * ```
 */
export function parseExtensions(value: string): ExtensionOffer[] | null {
  const n = value.length;
  const offers: ExtensionOffer[] = [];
  let i = 0;
  const token = (): string => {
    const start = i;
    while (i < n) {
      const c = value.charCodeAt(i);
      if (c === 0x2c || c === 0x3b || c === 0x3d || c === 0x22 || isOws(c)) {
        break;
      }
      i++;
    }
    const t = value.slice(start, i);
    return isToken(t) ? t : "";
  };
  const skipOws = (): void => {
    while (i < n && isOws(value.charCodeAt(i))) i++;
  };
  while (true) {
    skipOws();
    if (i === n) break;
    if (value.charCodeAt(i) === 0x2c /* "," */) {
      i++;
      continue;
    }
    const name = token();
    if (name === "") return null;
    const params: Record<string, string | true> = Object.create(null);
    let repeated = false;
    skipOws();
    while (i < n && value.charCodeAt(i) === 0x3b /* ";" */) {
      i++;
      skipOws();
      const param = token();
      if (param === "") return null;
      skipOws();
      let paramValue: string | true = true;
      if (i < n && value.charCodeAt(i) === 0x3d /* "=" */) {
        i++;
        skipOws();
        if (i < n && value.charCodeAt(i) === 0x22 /* '"' */) {
          // RFC 9110 §5.6.4: quoted-string = DQUOTE *( qdtext / quoted-pair )
          // DQUOTE. RFC 6455 §9.1: "the value after quoted-string unescaping
          // MUST conform to the 'token' ABNF."
          i++;
          let unescaped = "";
          while (true) {
            if (i === n) return null;
            const c = value.charCodeAt(i);
            if (c === 0x22) break;
            if (c === 0x5c /* "\" */) {
              i++;
              if (i === n) return null;
            }
            unescaped += value[i];
            i++;
          }
          i++;
          if (!isToken(unescaped)) return null;
          paramValue = unescaped;
        } else {
          paramValue = token();
          if (paramValue === "") return null;
        }
        skipOws();
      }
      if (Object.hasOwn(params, param)) repeated = true;
      else params[param] = paramValue;
    }
    if (!repeated) offers.push({ name, params });
    if (i === n) break;
    if (value.charCodeAt(i) !== 0x2c) return null;
    i++;
  }
  return offers;
}

/**
 * Serialises extensions for a `Sec-WebSocket-Extensions` header (the
 * server's choice in the 101 response, or a client's offer). Values are
 * written as bare tokens, as RFC 6455 §9.1 only allows tokens.
 *
 * @param extensions The extensions and their parameters, in order.
 * @returns The header value, such as
 * `"permessage-deflate; server_no_context_takeover"`. Throws a `TypeError` if
 * a name or value is not a token.
 *
 * @example
 * ```ts
 * import { formatExtensions } from "./extensions.ts";
 * formatExtensions([
 *   { name: "permessage-deflate", params: { server_max_window_bits: "10", client_no_context_takeover: true } },
 * ]); // "permessage-deflate; server_max_window_bits=10; client_no_context_takeover"
 * ```
 */
export function formatExtensions(
  extensions: readonly ExtensionOffer[],
): string {
  const parts: string[] = [];
  for (const extension of extensions) {
    if (!isToken(extension.name)) {
      throw new TypeError(
        `Invalid extension name: ${JSON.stringify(extension.name)}`,
      );
    }
    let part = extension.name;
    for (const param of Object.keys(extension.params)) {
      if (!isToken(param)) {
        throw new TypeError(
          `Invalid extension parameter name: ${JSON.stringify(param)}`,
        );
      }
      const value = extension.params[param];
      if (value === true) {
        part += "; " + param;
      } else if (isToken(value)) {
        part += "; " + param + "=" + value;
      } else {
        throw new TypeError(
          `Invalid extension parameter value: ${JSON.stringify(value)}`,
        );
      }
    }
    parts.push(part);
  }
  return parts.join(", ");
}
