/**
 * The parameters of the permessage-deflate extension (RFC 7692 §7.1): what
 * one element of a `Sec-WebSocket-Extensions` header asks for, read and
 * checked, and what two endpoints agreed on.
 *
 * @module
 */

/**
 * The extension token of RFC 7692 §7: `"permessage-deflate"`.
 *
 * @example
 * ```ts
 * import { PERMESSAGE_DEFLATE } from "./parameters.ts";
 * console.log(PERMESSAGE_DEFLATE); // "permessage-deflate"
 * ```
 */
export const PERMESSAGE_DEFLATE = "permessage-deflate";

/**
 * What both endpoints use once permessage-deflate is agreed. A window size
 * that the handshake did not limit is 15 (32 KiB), the DEFLATE maximum.
 *
 * @example
 * ```ts
 * import type { DeflateParameters } from "./parameters.ts";
 * const shared: DeflateParameters = {
 *   serverNoContextTakeover: true,
 *   clientNoContextTakeover: true,
 *   serverMaxWindowBits: 15,
 *   clientMaxWindowBits: 15,
 * };
 * ```
 */
export interface DeflateParameters {
  /**
   * The server compresses every message with an empty LZ77 window, so the
   * client may reset its decompressor after each message (§7.1.1.1).
   */
  serverNoContextTakeover: boolean;
  /** The same for the client's messages (§7.1.1.2). */
  clientNoContextTakeover: boolean;
  /** Base-2 logarithm of the server's LZ77 window, 8 to 15 (§7.1.2.1). */
  serverMaxWindowBits: number;
  /** Base-2 logarithm of the client's LZ77 window, 8 to 15 (§7.1.2.2). */
  clientMaxWindowBits: number;
}

/**
 * The permessage-deflate parameters of one header element, checked. A
 * window size is `undefined` when absent; `client_max_window_bits` is `true`
 * when given without a value (legal in an offer only, §7.1.2.2).
 *
 * @example
 * ```ts
 * import type { DeflateRequest } from "./parameters.ts";
 * const browser: DeflateRequest = {
 *   serverNoContextTakeover: false,
 *   clientNoContextTakeover: false,
 *   serverMaxWindowBits: undefined,
 *   clientMaxWindowBits: true,
 * };
 * ```
 */
export interface DeflateRequest {
  /** `server_no_context_takeover` is present. */
  serverNoContextTakeover: boolean;
  /** `client_no_context_takeover` is present. */
  clientNoContextTakeover: boolean;
  /** `server_max_window_bits`: 8 to 15, or `undefined` when absent. */
  serverMaxWindowBits: number | undefined;
  /** `client_max_window_bits`: 8 to 15, `true` without a value, or absent. */
  clientMaxWindowBits: number | true | undefined;
}

/**
 * Reads a window-size value. RFC 7692 §7.1.2.1: "a decimal integer value
 * without leading zeroes between 8 to 15, inclusive" (the same for
 * `client_max_window_bits`, §7.1.2.2).
 *
 * @param value The parameter's value, unquoted (`true` when it had none).
 * @returns 8 to 15, or `undefined` for anything else (`"08"`, `"16"`,
 * `"9.0"`, a missing value).
 *
 * @example
 * ```ts
 * import { parseWindowBits } from "./parameters.ts";
 * parseWindowBits("10"); // 10
 * parseWindowBits("010"); // undefined
 * parseWindowBits(true); // undefined
 * ```
 */
export function parseWindowBits(value: string | true): number | undefined {
  if (value === true || !/^(?:[89]|1[0-5])$/.test(value)) return undefined;
  return Number(value);
}

/**
 * Reads the parameters of one permessage-deflate element, as a server reads
 * an offer (`side: "offer"`) or a client reads the answer (`"response"`).
 *
 * RFC 7692 §7: an offer or response is invalid when it "contains an
 * extension parameter not defined for use in an offer/response", "an
 * extension parameter with an invalid value", or "multiple extension
 * parameters with the same name". Repeated names cannot reach this
 * function: `parseExtensions` (handshake.ts) drops such elements.
 *
 * @param params The element's parameters, as `parseExtensions` returns them.
 * @param side Which header they come from: only an offer may carry
 * `client_max_window_bits` without a value (§7.1.2.2).
 * @returns The parameters, or a sentence saying what is wrong.
 *
 * @example
 * ```ts
 * import { readDeflateParams } from "./parameters.ts";
 * readDeflateParams({ server_max_window_bits: "10" }, "offer");
 * // { ok: true, request: { serverNoContextTakeover: false, …, serverMaxWindowBits: 10, … } }
 * readDeflateParams({ mystery: true }, "offer");
 * // { ok: false, message: "Unknown permessage-deflate parameter: mystery" }
 * ```
 */
export function readDeflateParams(
  params: Readonly<Record<string, string | true>>,
  side: "offer" | "response",
): { ok: true; request: DeflateRequest } | { ok: false; message: string } {
  const request: DeflateRequest = {
    serverNoContextTakeover: false,
    clientNoContextTakeover: false,
    serverMaxWindowBits: undefined,
    clientMaxWindowBits: undefined,
  };
  for (const name of Object.keys(params)) {
    const value = params[name];
    switch (name) {
      // RFC 7692 §7.1.1.1 and §7.1.1.2: these parameters have no value.
      case "server_no_context_takeover":
      case "client_no_context_takeover":
        if (value !== true) return invalid(name, value);
        if (name === "server_no_context_takeover") {
          request.serverNoContextTakeover = true;
        } else {
          request.clientNoContextTakeover = true;
        }
        break;
      case "server_max_window_bits": {
        const bits = parseWindowBits(value);
        if (bits === undefined) return invalid(name, value);
        request.serverMaxWindowBits = bits;
        break;
      }
      case "client_max_window_bits": {
        // RFC 7692 §7.1.2.2: "This parameter has no value or a decimal
        // integer value" in an offer; a response's "MUST have a value".
        if (value === true && side === "offer") {
          request.clientMaxWindowBits = true;
          break;
        }
        const bits = parseWindowBits(value);
        if (bits === undefined) return invalid(name, value);
        request.clientMaxWindowBits = bits;
        break;
      }
      default:
        return {
          ok: false,
          message: `Unknown permessage-deflate parameter: ${name}`,
        };
    }
  }
  return { ok: true, request };
}

function invalid(
  name: string,
  value: string | true,
): { ok: false; message: string } {
  return {
    ok: false,
    message: value === true
      ? `Invalid permessage-deflate parameter: ${name} without a value`
      : `Invalid permessage-deflate parameter: ${name}=${value}`,
  };
}
